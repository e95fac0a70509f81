using System.Net;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 14: on SQLite a change uses the dossier's rows as this process's last change wrote them
/// instead of reading them again, but only while nothing else has written the store since, and
/// never to refuse anyone or to overwrite what it did not read.
/// </summary>
public sealed class KeptRowsTests : ServerTest
{
    [Fact]
    public async Task A_task_moved_to_another_unit_by_another_connection_after_the_receipt_is_refused_to_its_old_unit()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();

        // Another writer of the same file (a second process, a repair script): the server did not make this change.
        await WriteElsewhereAsync("UPDATE Tasks SET UnitCode = 'THUE-QUANGNGAI' WHERE Id = $id", task);

        var refused = await CompleteRawAsync(App, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString());
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden, await refused.Content.ReadAsStringAsync());
        (await refused.Content.ReadAsStringAsync()).Should().Contain("THUE-QUANGNGAI");
        (await GetAsync(App, d["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task A_deadline_fired_by_another_connection_between_two_completions_stays_fired()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var id = d["id"]!.GetValue<string>();
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();
        string firedId;
        await using (var store = App.OpenStore())
        {
            firedId = (await store.Deadlines.AsNoTracking().FirstAsync(x => x.TaskId == task && x.Status == Deadlines.Pending)).Id;
        }

        await WriteElsewhereAsync($"UPDATE Deadlines SET Status = '{Deadlines.Fired}', FiredAt = '2026-12-01 01:00:00' WHERE Id = $id", firedId);

        var completed = await CompleteRawAsync(App, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString());

        completed.StatusCode.Should().Be(HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        await using (var store = App.OpenStore())
        {
            var fired = await store.Deadlines.AsNoTracking().SingleAsync(x => x.Id == firedId);
            fired.Status.Should().Be(Deadlines.Fired, "a fired deadline is history; the completion cancels only those still pending");
            (await store.Deadlines.AsNoTracking().CountAsync(x => x.TaskId == task && x.Status == Deadlines.Pending)).Should().Be(0);
        }

        (await GetAsync(App, id))["version"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task A_completion_sent_with_the_version_another_connection_wrote_is_accepted_and_builds_on_that_version()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var id = d["id"]!.GetValue<string>();
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();
        await WriteElsewhereAsync("UPDATE Dossiers SET Version = 5 WHERE Id = $id", id);

        var stale = await CompleteRawAsync(App, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString());
        var current = await CompleteRawAsync(App, Keys.Land, task, "Done", 5, Guid.NewGuid().ToString());

        stale.StatusCode.Should().Be(HttpStatusCode.Conflict, await stale.Content.ReadAsStringAsync());
        current.StatusCode.Should().Be(HttpStatusCode.OK, await current.Content.ReadAsStringAsync());
        (await GetAsync(App, id))["version"]!.GetValue<int>().Should().Be(6);
    }

    [Fact]
    public async Task A_fork_completed_branch_by_branch_on_kept_rows_leaves_in_the_store_exactly_the_open_tasks_and_deadlines_the_dossier_shows()
    {
        var d = await ReceiveAsync(App, "birth-residence-insurance");
        var id = d["id"]!.GetValue<string>();
        await StoreMatchesAsync(d);
        foreach (var (activity, outcome, key) in new[]
        {
            ("registerBirth", "Done", Keys.Commune), ("residence", "RequestSupplement", Keys.Police), ("insurance", "Done", Keys.Insurance),
            ("residence", "SupplementReceived", Keys.Police), ("residence", "Done", Keys.Police), ("returnResult", "Done", Keys.Counter),
        })
        {
            d = await CompleteAsync(App, d, activity, outcome, key);
            await StoreMatchesAsync(d);
        }

        National(d).Should().Be(10);
        (await GetAsync(App, id))["version"]!.GetValue<int>().Should().Be(d["version"]!.GetValue<int>());
    }

    private async Task StoreMatchesAsync(System.Text.Json.Nodes.JsonObject d)
    {
        var id = d["id"]!.GetValue<string>();
        var shown = d["currentTasks"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).Order().ToList();
        await using var store = App.OpenStore();
        (await store.Dossiers.AsNoTracking().SingleAsync(x => x.Id == id)).Version.Should().Be(d["version"]!.GetValue<int>());
        (await store.Tasks.AsNoTracking().Where(t => t.DossierId == id && TaskStatuses.Open.Contains(t.Status)).Select(t => t.Id).ToListAsync())
            .Order().Should().Equal(shown);
        (await store.Deadlines.AsNoTracking().Where(x => x.DossierId == id && x.Status == Deadlines.Pending).Select(x => x.TaskId).Distinct().ToListAsync())
            .Should().BeSubsetOf(shown, "a pending deadline belongs to an open task");
    }

    [Theory]
    [InlineData(typeof(Dossier))]
    [InlineData(typeof(DossierTask))]
    [InlineData(typeof(Deadline))]
    public void A_kept_row_type_holds_only_strings_and_values_so_its_copy_shares_nothing_with_the_row(Type rowType)
    {
        // Copy() is a memberwise clone: a collection or object property would be shared between the
        // kept rows and a change's context, and a change could alter what is kept.
        rowType.GetProperties().Where(p => p.PropertyType != typeof(string) && !p.PropertyType.IsValueType)
            .Select(p => p.Name).Should().BeEmpty();
    }

    private async Task WriteElsewhereAsync(string sql, string id)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = App.DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 10000; " + sql;
        command.Parameters.AddWithValue("$id", id);
        (await command.ExecuteNonQueryAsync()).Should().Be(1, "the row to change exists");
    }
}
