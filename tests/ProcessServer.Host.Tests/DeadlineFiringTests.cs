using System.Diagnostics;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Engine.Time;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence.Entities;
using Microsoft.Data.Sqlite;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Step deadlines fire into the notification outbox at their instants, exactly once, across restarts
/// and downtime. The sweeper is called from the server's own DI scope for determinism (the clock is
/// the test's); one test shows Quartz runs it by itself.
/// </summary>
public sealed class DeadlineFiringTests : ServerTest
{
    private static readonly WorkingTime Calendar = new(WorkingCalendar.VietnamGovernment2024To2026());

    /// <summary>The land sample's "check" step (3 working days) received Monday 3 March 2025 08:00 in Hanoi.</summary>
    private static (DateTime WarnAt, DateTime DueAt) CheckStepInstants()
    {
        var start = Calendar.StartOfCounting(new DateTime(2025, 3, 3, 1, 0, 0, DateTimeKind.Utc));
        return (Calendar.AddWorkingTime(start, Calendar.WorkingDaysToTime(3 * 0.8m)), Calendar.AddWorkingTime(start, Calendar.WorkingDaysToTime(3)));
    }

    [Fact]
    public async Task Warning_and_overdue_fire_at_their_instants_and_exactly_once_across_restarts()
    {
        var (warnAt, dueAt) = CheckStepInstants();
        warnAt.Should().Be(new DateTime(2025, 3, 5, 4, 0, 0, DateTimeKind.Utc), "2.4 working days (18 office hours) from Monday 08:00 end at Wednesday 11:00 in Hanoi");
        dueAt.Should().Be(new DateTime(2025, 3, 6, 1, 0, 0, DateTimeKind.Utc), "3 working days from Monday 08:00 end at Thursday 08:00 in Hanoi");

        var dossier = await ReceiveAsync(App, "land-first-certificate");
        var id = dossier["id"]!.GetValue<string>();
        var task = OpenTask(dossier, "check");
        task["warnAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(warnAt);
        task["dueAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(dueAt);

        Clock.Set(warnAt.AddSeconds(-1));
        await SweepAsync();
        (await NotificationsAsync(id)).Should().BeEmpty("nothing is due a second before the warning");

        Clock.Set(warnAt);
        await SweepAsync();
        var fired = await NotificationsAsync(id);
        fired.Should().ContainSingle().Which.Should().BeEquivalentTo(new
        {
            Kind = Deadlines.Warning,
            DossierId = id,
            TaskId = task["id"]!.GetValue<string>(),
            UnitCode = "VPDKDD-BINHSON",
            Title = "Check dossier, verify conditions",
            FireAt = warnAt,
            CreatedAt = warnAt,
        });

        Restart();

        Clock.Set(dueAt.AddSeconds(-1));
        await SweepAsync();
        (await NotificationsAsync(id)).Select(n => n.Kind).Should().Equal(Deadlines.Warning);

        Clock.Set(dueAt);
        await SweepAsync();
        await SweepAsync();
        Restart();
        Clock.Advance(TimeSpan.FromDays(2));
        await SweepAsync();

        fired = await NotificationsAsync(id);
        fired.Select(n => (n.Kind, n.FireAt)).Should().Equal((Deadlines.Warning, warnAt), (Deadlines.Overdue, dueAt));
        fired.Single(n => n.Kind == Deadlines.Overdue).CreatedAt.Should().Be(dueAt, "the overdue event fired on the sweep at its instant");
        fired.GroupBy(n => n.DeadlineId).Should().OnlyContain(g => g.Count() == 1, "no deadline fires twice");

        await using var store = App.OpenStore();
        var deadlines = await store.Deadlines.AsNoTracking().Where(d => d.DossierId == id).ToListAsync();
        deadlines.Should().HaveCount(2).And.OnlyContain(d => d.Status == Deadlines.Fired);
        deadlines.Select(d => d.FiredAt).Should().BeEquivalentTo(new DateTime?[] { warnAt, dueAt });
    }

    [Fact]
    public async Task After_downtime_every_deadline_already_due_fires_on_the_first_sweep_in_order()
    {
        var (warnAt, dueAt) = CheckStepInstants();
        var id = (await ReceiveAsync(App, "land-first-certificate"))["id"]!.GetValue<string>();

        App.Dispose();
        Clock.Set(dueAt.AddDays(3));
        Restart();

        var result = await SweepAsync();
        var fired = await NotificationsAsync(id);
        fired.Select(n => (n.Kind, n.FireAt)).Should().Equal((Deadlines.Warning, warnAt), (Deadlines.Overdue, dueAt));
        fired.Should().OnlyContain(n => n.CreatedAt == dueAt.AddDays(3), "both fired when the server came back");
        result.Fired.Should().BeLessThanOrEqualTo(2, "a background sweep may have taken them first, never twice");
    }

    [Fact]
    public async Task A_completed_step_has_its_deadlines_cancelled_and_they_never_fire()
    {
        var (_, dueAt) = CheckStepInstants();
        var dossier = await ReceiveAsync(App, "land-first-certificate");
        var checkTask = OpenTask(dossier, "check")["id"]!.GetValue<string>();

        Clock.Advance(TimeSpan.FromHours(2));
        await CompleteAsync(App, dossier, "check", "Done", Keys.Land);

        Clock.Set(dueAt.AddDays(30));
        await SweepAsync();

        await using var store = App.OpenStore();
        (await store.Notifications.AsNoTracking().CountAsync(n => n.TaskId == checkTask)).Should().Be(0);
        (await store.Deadlines.AsNoTracking().Where(d => d.TaskId == checkTask).Select(d => d.Status).ToListAsync())
            .Should().Equal(Deadlines.Cancelled, Deadlines.Cancelled);
        (await store.Notifications.AsNoTracking().CountAsync(n => n.DossierId == dossier["id"]!.GetValue<string>()))
            .Should().BeGreaterThan(0, "the next steps' deadlines, which are still pending, did fire");
    }

    [Fact]
    public async Task A_big_backlog_fires_in_bounded_batches_each_deadline_once()
    {
        using var app = new ServerApp(Database.DatabaseFile, Clock, new Dictionary<string, string?>
        {
            ["ProcessServer:Deadlines:BatchSize"] = "3",
            ["ProcessServer:Deadlines:Enabled"] = "false",
        });
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await ReceiveAsync(app, "land-first-certificate"))["id"]!.GetValue<string>());
        }

        Clock.Advance(TimeSpan.FromDays(7));
        using (var scope = app.Services.CreateScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<DeadlineSweeper>().SweepAsync();
            result.Fired.Should().Be(8, "a warning and an overdue event for each of the four check steps");
            result.Batches.Should().Be(3, "8 deadlines in batches of 3");
        }

        await using var store = app.OpenStore();
        (await store.Notifications.AsNoTracking().CountAsync()).Should().Be(8);
        (await store.Deadlines.AsNoTracking().CountAsync(d => d.Status == Deadlines.Pending)).Should().Be(0);
    }

    [Fact]
    public async Task Quartz_runs_the_sweep_by_itself()
    {
        var (_, dueAt) = CheckStepInstants();
        var id = (await ReceiveAsync(App, "land-first-certificate"))["id"]!.GetValue<string>();
        await SchedulerDiagnostics.FirstSweepDoneAsync(App);
        Clock.Set(dueAt.AddMinutes(1));

        // No call to the sweeper here: the Quartz trigger (every second) must do it, now that the clock has moved.
        var fired = await FiredByQuartzAsync(id, "Quartz runs the sweep by itself once the clock has passed both instants");

        fired.Select(n => n.Kind).Should().Equal(Deadlines.Warning, Deadlines.Overdue);
        await using var store = App.OpenStore();
        var triggers = await store.Database.SqlQueryRaw<string>("SELECT TRIGGER_NAME AS \"Value\" FROM QRTZ_TRIGGERS").ToListAsync();
        triggers.Should().Equal(DeadlineScheduling.TriggerKey.Name);

        // Quartz runs on the server's clock like everything else: the next sweep is one interval
        // (1 s) after the last one, on the test's clock.
        var next = await store.Database.SqlQueryRaw<long>("SELECT NEXT_FIRE_TIME AS \"Value\" FROM QRTZ_TRIGGERS").SingleAsync();
        new DateTime(next, DateTimeKind.Utc).Should().BeCloseTo(dueAt.AddMinutes(1).AddSeconds(1), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_scheduler_that_fails_to_start_is_started_again_and_then_fires_what_fell_due_by_itself()
    {
        var (_, dueAt) = CheckStepInstants();
        var id = (await ReceiveAsync(App, "land-first-certificate"))["id"]!.GetValue<string>();
        App.Dispose();

        // Quartz checks its tables when it builds the scheduler; one that is missing fails the start
        // as a store that does not answer would.
        await using (var sqlite = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=False"))
        {
            await sqlite.OpenAsync();
            await using var rename = sqlite.CreateCommand();
            rename.CommandText = "ALTER TABLE QRTZ_LOCKS RENAME TO QRTZ_LOCKS_AWAY";
            await rename.ExecuteNonQueryAsync();
        }

        Restart();
        (await GetAsync(App, id))["id"]!.GetValue<string>().Should().Be(id, "the server serves while its scheduler does not start");
        var watch = Stopwatch.StartNew();
        while (!App.Log.Problems.Any(line => line.Contains("did not start (attempt 1)", StringComparison.Ordinal)) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        App.Log.Problems.Should().Contain(line => line.Contains("did not start (attempt 1)", StringComparison.Ordinal), "the failed start is logged as an error");
        // The clock moves before the scheduler can start, so its first sweep is the one that is due.
        Clock.Set(dueAt.AddMinutes(1));
        await using (var store = App.OpenStore())
        {
            await store.Database.ExecuteSqlRawAsync("ALTER TABLE QRTZ_LOCKS_AWAY RENAME TO QRTZ_LOCKS");
        }

        var fired = await FiredByQuartzAsync(id, "the scheduler, started at a later try, sweeps by itself");

        fired.Select(n => n.Kind).Should().Equal(Deadlines.Warning, Deadlines.Overdue);
        App.Log.Problems.Should().Contain(line => line.Contains("started at attempt", StringComparison.Ordinal), "the start that worked is logged too");
    }

    /// <summary>The dossier's notifications once Quartz has fired both of its deadlines (30 s at most), or a failure saying what the scheduler was doing.</summary>
    private async Task<List<Notification>> FiredByQuartzAsync(string dossierId, string because)
    {
        var watch = Stopwatch.StartNew();
        List<Notification> fired;
        do
        {
            await Task.Delay(200);
            fired = await NotificationsAsync(dossierId);
        }
        while (fired.Count < 2 && watch.Elapsed < TimeSpan.FromSeconds(30));

        if (fired.Count < 2)
        {
            fired.Should().HaveCount(2, "{0} ({1})", because, await SchedulerDiagnostics.DescribeAsync(App));
        }

        return fired;
    }

    private async Task<SweepResult> SweepAsync()
    {
        using var scope = App.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<DeadlineSweeper>().SweepAsync();
    }

    private async Task<List<Notification>> NotificationsAsync(string dossierId)
    {
        await using var store = App.OpenStore();
        var rows = await store.Notifications.AsNoTracking().Where(n => n.DossierId == dossierId).ToListAsync();
        return [.. rows.OrderBy(n => n.FireAt).ThenBy(n => n.Kind, StringComparer.Ordinal)];
    }
}
