using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Faults;

/// <summary>
/// The server's application built inside the fault process from a fault server's settings and
/// database file, without Kestrel and without its background services: for reading its route
/// table, and for calling its HTTP-free use-case handlers (the same ones the endpoints call)
/// straight from a DI scope.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app) => _app = app;

    public IServiceProvider Services => _app.Services;

    public WebApplication App => _app;

    /// <summary>Builds the application with the endpoints mapped; the store is untouched.</summary>
    public static InProcessServer Build(FaultHost host)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "ProcessServer.Host",
            ContentRootPath = host.Folder,
            EnvironmentName = host.Environment,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = $"Data Source={host.DatabaseFile}",
            // EF's check for a context used by two operations at once: off in the shipped server, on under test.
            ["Database:ThreadSafetyChecks"] = "true",
            ["Serilog:WriteTo:1:Args:path"] = Path.Combine(host.Folder, "logs", "in-process-.json"),
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });
        builder.AddProcessServer();
        var app = builder.Build();
        app.UseProcessServer();
        return new InProcessServer(app);
    }

    /// <summary>Builds the application and prepares its store (migrations, samples) as a start-up would.</summary>
    public static async Task<InProcessServer> StartAsync(FaultHost host, CancellationToken cancellationToken = default)
    {
        var server = Build(host);
        await server._app.PrepareStoreAsync(cancellationToken);
        return server;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
