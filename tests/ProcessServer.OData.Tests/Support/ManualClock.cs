namespace ProcessServer.OData.Tests.Support;

/// <summary>A clock the test moves by hand: no sleeps, exact instants.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Set(DateTimeOffset to) => _now = to;
}
