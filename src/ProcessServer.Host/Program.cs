using ProcessServer.Host.Infrastructure;
using Serilog;
using SerilogLog = Serilog.Log;

// Serilog's bootstrap logger: start-up failures (a bad configuration file, a database that cannot
// be migrated) are logged before the configured logger exists.
SerilogLog.Logger = new LoggerConfiguration().WriteTo.Console(formatProvider: System.Globalization.CultureInfo.InvariantCulture).CreateBootstrapLogger();
try
{
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
}
catch (Exception ex) when (ex is not HostAbortedException)
{
    SerilogLog.Fatal(ex, "ProcessServer stopped on an unexpected error");
    return 2;
}
finally
{
    await SerilogLog.CloseAndFlushAsync();
}

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
