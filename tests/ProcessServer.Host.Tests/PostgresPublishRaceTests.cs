using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>The publish race and the one-transaction save and publish on PostgreSQL, where writers are not gated.</summary>
[Collection(PostgresGroup.Name)]
public sealed class PostgresPublishRaceTests : IDisposable
{
    private readonly TempDatabase _work = new();
    private readonly ServerApp _app;

    public PostgresPublishRaceTests(PostgresServer postgres)
    {
        var store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        _app = new ServerApp(store, _work.Folder, new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public Task On_PostgreSQL_sixteen_designer_publishes_at_once_leave_one_published_and_one_latest_version() =>
        PublishRace.DesignerPublishesAtOnceAsync(_app, "birth-registration", 16);

    [Fact]
    public Task On_PostgreSQL_Sixteen_designer_tabs_on_one_copy_publishing_at_once_one_wins_and_the_others_are_refused_as_stale() =>
        PublishRace.DesignerTabsPublishAtOnceAsync(_app, "land-first-certificate", 16);

    [Fact]
    public Task On_PostgreSQL_concurrent_REST_saves_publishes_and_retracts_keep_the_invariant() =>
        PublishRace.RestPublishesAndRetractsAtOnceAsync(_app, "birth-registration", 6);

    public void Dispose()
    {
        _app.Dispose();
        _work.Dispose();
    }
}
