using ProcessServer.Host.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.AddProcessServer();
}
catch (ServerConfigurationException refused)
{
    // A configuration that must not be served ends the process with the reasons, not a stack trace.
    await Console.Error.WriteLineAsync(refused.Message);
    return 1;
}

var app = builder.Build();
app.UseProcessServer();
await app.PrepareStoreAsync();
await app.RunAsync();
return 0;

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
