using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// The real server in-process, on a real SQLite file of its own. Several instances may be created
/// one after another on the same file to simulate restarts.
/// </summary>
public sealed class ServerApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly List<IInterceptor> _interceptors = [];
    private readonly List<Action<IServiceCollection>> _services = [];

    public ServerApp(string databasePath, ManualClock clock, IDictionary<string, string?>? settings = null)
        : this(new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = $"Data Source={databasePath}" },
            System.IO.Path.GetDirectoryName(databasePath)!, clock, settings)
    {
        DatabasePath = databasePath;
    }

    /// <summary>A server on any store (PostgreSQL tests use this); logs go to <paramref name="workFolder"/>.</summary>
    public ServerApp(StoreOptions store, string workFolder, ManualClock clock, IDictionary<string, string?>? settings = null)
    {
        Store = store;
        DatabasePath = string.Empty;
        Clock = clock;
        _settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = store.Provider.ToString(),
            ["Database:ConnectionString"] = store.ConnectionString,
            // EF's check for a context used by two operations at once: off in the shipped server, on under test.
            ["Database:ThreadSafetyChecks"] = "true",
            ["Serilog:WriteTo:1:Args:path"] = System.IO.Path.Combine(workFolder, "logs", "processserver-.json"),
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public string DatabasePath { get; }

    public StoreOptions Store { get; }

    public ManualClock Clock { get; }

    /// <summary>The warnings and errors this server logged.</summary>
    public CapturedLog Log { get; } = new();

    /// <summary>Adds an EF interceptor (before the first request).</summary>
    public ServerApp With(IInterceptor interceptor)
    {
        _interceptors.Add(interceptor);
        return this;
    }

    /// <summary>Changes the server's services (before the first request), e.g. to slow a part down.</summary>
    public ServerApp WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    /// <summary>A client sending the given API key.</summary>
    public HttpClient ClientFor(string? apiKey)
    {
        var client = CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A context on the same database file, for assertions on stored rows.</summary>
    public ProcessServerDbContext OpenStore()
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, Store);
        return new ProcessServerDbContext(builder.Options);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<Serilog.Core.ILogEventSink>(Log);
            foreach (var configure in _services)
            {
                configure(services);
            }

            foreach (var interceptor in _interceptors)
            {
                services.AddSingleton(interceptor);
            }
        });
    }
}

/// <summary>A fresh database folder per test, removed afterwards.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "processserver-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public string DatabaseFile => Path.Combine(Folder, "processserver.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow CI disk is not worth failing a test for.
        }
    }
}
