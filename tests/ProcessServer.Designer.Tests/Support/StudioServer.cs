using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ProcessServer.Designer.Tests.Support;

/// <summary>
/// The real server on a real loopback port (Kestrel), on a SQLite file of its own, so a browser can
/// load /designer and call /elsa/api like an administrator's browser would.
/// </summary>
public sealed class StudioServer : IDisposable
{
    private readonly Factory _factory;

    public StudioServer(IReadOnlyDictionary<string, string?>? settings = null)
    {
        Folder = Path.Combine(Path.GetTempPath(), "processserver-designer-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);

        // Monday 3 March 2025, 08:00 in Hanoi: inside the working-day calendar, like the other suites.
        Clock = new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
        _factory = new Factory(Path.Combine(Folder, "processserver.db"), Clock, settings ?? new Dictionary<string, string?>());
        Port = FreePort();
        _factory.UseKestrel(Port);
        _factory.StartServer();
        BaseUrl = $"http://127.0.0.1:{Port}";
    }

    public string Folder { get; }

    public ManualClock Clock { get; }

    public int Port { get; }

    public string BaseUrl { get; }

    /// <summary>A client for the real port, sending <c>X-Api-Key</c> when a key is given.</summary>
    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    /// <summary>A client that authenticates the way the Studio does: <c>Authorization: ApiKey &lt;key&gt;</c>.</summary>
    public HttpClient StudioClient(string apiKey = Keys.Admin)
    {
        var client = Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", apiKey);
        return client;
    }

    public void Dispose()
    {
        _factory.Dispose();
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class Factory(string databasePath, ManualClock clock, IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseSetting("Database:Provider", "Sqlite");
            builder.UseSetting("Database:ConnectionString", $"Data Source={databasePath}");
            // EF's check for a context used by two operations at once: off in the shipped server, on under test.
            builder.UseSetting("Database:ThreadSafetyChecks", "true");
            builder.UseSetting("Serilog:WriteTo:1:Args:path", Path.Combine(Path.GetDirectoryName(databasePath)!, "logs", "processserver-.json"));

            // A page load is ~150 file requests; one console line each would drown the test output
            // (the log file keeps everything).
            builder.UseSetting("Serilog:WriteTo:0:Args:restrictedToMinimumLevel", "Warning");
            builder.ConfigureServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(clock);
            });
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>The development API keys from the host's appsettings.json.</summary>
public static class Keys
{
    public const string Admin = "dev-admin-key";
    public const string Reporter = "dev-reporter-key";
    public const string Counter = "dev-counter-key";
    public const string Commune = "dev-commune-key";
    public const string Land = "dev-land-key";
    public const string Tax = "dev-tax-key";
}
