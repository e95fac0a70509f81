using ProcessServer.Host.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddProcessServer();

var app = builder.Build();
app.UseProcessServer();
await app.PrepareStoreAsync();
await app.RunAsync();

/// <summary>Entry point; public so functional tests can host it.</summary>
public partial class Program;
