using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>
/// A test with its own server on its own SQLite file and a stand-in portal on a loopback port; the
/// clock starts Monday 3 March 2025, 08:00 in Hanoi.
/// </summary>
public abstract class OutreachTest : IAsyncLifetime
{
    private Dictionary<string, string?> _settings = [];

    protected TempDatabase Database { get; } = new();

    protected ManualClock Clock { get; } = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));

    protected StandInPortal Portal { get; private set; } = null!;

    protected ServerApp App { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Portal = await StandInPortal.StartAsync();
        _settings = Portal.Settings();
        foreach (var (key, value) in ExtraSettings())
        {
            _settings[key] = value;
        }

        App = new ServerApp(Database.DatabaseFile, Clock, _settings);
    }

    /// <summary>Settings a test class adds or overrides.</summary>
    protected virtual IDictionary<string, string?> ExtraSettings() => new Dictionary<string, string?>();

    /// <summary>Stops the server (the sender stops mid-way if it is sending) and starts a new one on the same file.</summary>
    protected void Restart(IDictionary<string, string?>? overrides = null)
    {
        App.Dispose();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        App = new ServerApp(Database.DatabaseFile, Clock, _settings);
    }

    public virtual async Task DisposeAsync()
    {
        App.Dispose();
        await Portal.DisposeAsync();
        Database.Dispose();
    }
}
