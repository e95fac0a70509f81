namespace ProcessServer.Host.Tests.Support;

/// <summary>Each test gets its own server on its own SQLite file, starting Monday 3 March 2025, 08:00 in Hanoi.</summary>
public abstract class ServerTest : IDisposable
{
    protected ServerTest()
    {
        Database = new TempDatabase();
        Clock = new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
        App = new ServerApp(Database.DatabaseFile, Clock);
    }

    protected TempDatabase Database { get; }

    protected ManualClock Clock { get; }

    protected ServerApp App { get; private set; }

    /// <summary>Stops the server and starts a new one on the same database file.</summary>
    protected void Restart()
    {
        App.Dispose();
        App = new ServerApp(Database.DatabaseFile, Clock);
    }

    public void Dispose()
    {
        App.Dispose();
        Database.Dispose();
        GC.SuppressFinalize(this);
    }
}
