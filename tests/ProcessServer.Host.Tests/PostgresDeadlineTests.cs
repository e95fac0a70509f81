using System.Diagnostics;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Deadlines on PostgreSQL: the QRTZ tables from the migration, a clustered Quartz running the sweep, exactly once across a restart.</summary>
[Collection(PostgresGroup.Name)]
public sealed class PostgresDeadlineTests : IDisposable
{
    private readonly TempDatabase _work = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private readonly StoreOptions _store;
    private ServerApp _app;

    public PostgresDeadlineTests(PostgresServer postgres)
    {
        _store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        _app = new ServerApp(_store, _work.Folder, _clock);
    }

    [Fact]
    public async Task On_PostgreSQL_Quartz_fires_a_steps_deadlines_once_and_a_restart_fires_nothing_again()
    {
        var id = (await ReceiveAsync(_app, "land-first-certificate"))["id"]!.GetValue<string>();
        await SchedulerDiagnostics.FirstSweepDoneAsync(_app);
        _clock.Set(new DateTimeOffset(2025, 3, 6, 1, 1, 0, TimeSpan.Zero));

        var watch = Stopwatch.StartNew();
        while ((await NotificationsAsync(id)).Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200);
        }

        var firedByQuartz = await NotificationsAsync(id);
        if (firedByQuartz.Count < 2)
        {
            firedByQuartz.Should().HaveCount(2, "Quartz ran the sweep by itself once the clock passed both instants ({0})", await SchedulerDiagnostics.DescribeAsync(_app));
        }

        _app.Dispose();
        _app = new ServerApp(_store, _work.Folder, _clock);
        using (var scope = _app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeadlineSweeper>().SweepAsync();
        }

        var fired = await NotificationsAsync(id);
        fired.Select(n => n.Kind).Should().BeEquivalentTo([Deadlines.Warning, Deadlines.Overdue]);
        fired.Select(n => n.DeadlineId).Should().OnlyHaveUniqueItems();

        await using var store = _app.OpenStore();
        (await store.Database.SqlQueryRaw<string>("SELECT trigger_name AS \"Value\" FROM qrtz_triggers").ToListAsync())
            .Should().Equal(DeadlineScheduling.TriggerKey.Name);
        (await store.Database.SqlQueryRaw<int>("SELECT COUNT(*)::int AS \"Value\" FROM qrtz_scheduler_state").SingleAsync())
            .Should().BeGreaterThan(0, "the scheduler runs clustered on PostgreSQL and checks in");
    }

    private async Task<List<Notification>> NotificationsAsync(string dossierId)
    {
        await using var store = _app.OpenStore();
        return await store.Notifications.AsNoTracking().Where(n => n.DossierId == dossierId).ToListAsync();
    }

    public void Dispose()
    {
        _app.Dispose();
        _work.Dispose();
    }
}
