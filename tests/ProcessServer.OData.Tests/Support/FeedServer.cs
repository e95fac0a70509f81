using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProcessServer.Persistence;

namespace ProcessServer.OData.Tests.Support;

/// <summary>
/// The real server on Kestrel (a loopback port, so the Node client can reach it), on a SQLite file of
/// its own, with a hand-moved clock.
/// </summary>
public sealed class FeedServer : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public FeedServer(string folder, ManualClock clock, IDictionary<string, string?>? settings = null)
    {
        Folder = folder;
        Clock = clock;
        Store = new StoreOptions { Provider = StoreProvider.Sqlite, ConnectionString = $"Data Source={Path.Combine(folder, "processserver.db")}" };
        _settings = new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["Database:ConnectionString"] = Store.ConnectionString,
            // EF's check for a context used by two operations at once: off in the shipped server, on under test.
            ["Database:ThreadSafetyChecks"] = "true",
            ["Serilog:WriteTo:1:Args:path"] = Path.Combine(folder, "logs", "processserver-.json"),
            ["ProcessServer:ApiKeys:20:Name"] = "reporter-tinh",
            ["ProcessServer:ApiKeys:20:Key"] = Keys.ProvinceReporter,
            ["ProcessServer:ApiKeys:20:Role"] = "Reporter",
            ["ProcessServer:ApiKeys:20:Units:0"] = "HCC-TINH",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        Port = FreePort();
        UseKestrel(Port);
        StartServer();
    }

    public string Folder { get; }

    public ManualClock Clock { get; }

    public StoreOptions Store { get; }

    public int Port { get; }

    /// <summary>The feed's service root.</summary>
    public string Root => $"http://127.0.0.1:{Port}/odata/v1/";

    /// <summary>A client on the real port, sending <paramref name="apiKey"/> in X-Api-Key.</summary>
    public HttpClient ClientFor(string? apiKey)
    {
        var client = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.GZip })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{Port}"),
            Timeout = TimeSpan.FromMinutes(2),
        };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

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
        });
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fresh folder, removed afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "processserver-odata-tests", Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open on a slow disk is not worth failing a test for.
        }
    }
}
