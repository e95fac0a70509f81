using System.Net;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>What survives restarts and crashes, and that the hand-written migrations build the model's schema.</summary>
public sealed class DurabilityTests : ServerTest
{
    [Fact]
    public async Task Dossiers_survive_a_server_restart_mid_way_and_finish_afterwards()
    {
        var land = await ReceiveAsync(App, "land-first-certificate");
        land = await CompleteAsync(App, land, "check", "Done", Keys.Land);
        land = await CompleteAsync(App, land, "taxNotice", "Done", Keys.Tax);
        var birth = await ReceiveAsync(App, "birth-registration");

        Restart();

        land = await GetAsync(App, land["id"]!.GetValue<string>());
        OpenActivities(land).Should().Be("communeConfirm");
        land = await CompleteAsync(App, land, "communeConfirm", "Done", Keys.Commune);
        OpenActivities(land).Should().Be("payment", "the join remembered the tax branch across the restart");
        foreach (var (activity, outcome, key) in new[]
                 {
                     ("payment", "Paid", Keys.Counter), ("prepare", "Done", Keys.Land), ("sign", "Done", Keys.Commune),
                     ("updateRecords", "Done", Keys.Land), ("returnResult", "Done", Keys.Counter),
                 })
        {
            land = await CompleteAsync(App, land, activity, outcome, key);
        }

        National(land).Should().Be(10);
        birth = await GetAsync(App, birth["id"]!.GetValue<string>());
        OpenActivities(birth).Should().Be("register");

        await using var store = App.OpenStore();
        store.WorkflowDefinitions.Count().Should().Be(3, "samples are loaded once, not again at restart");
    }

    [Fact]
    public async Task A_crash_while_writing_a_transition_leaves_no_half_transition()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        Restart();
        var crash = new JournalWriteInterceptor();
        App.With(crash);
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();

        crash.Armed = true;
        var response = await CompleteRawAsync(App, Keys.Land, task, "Done", 1, "crash-key");
        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        crash.Fired.Should().BeTrue("the journal insert ran after the dossier update and the task inserts in the same transaction");

        await using (var store = App.OpenStore())
        {
            var dossier = store.Dossiers.Single();
            dossier.Version.Should().Be(1);
            dossier.Status.Should().Be("Received");
            store.Tasks.Select(t => new { t.ActivityId, t.Status }).ToList().Should().BeEquivalentTo([new { ActivityId = "check", Status = "Pending" }]);
            store.Journal.Count().Should().Be(2);
            store.IdempotencyRecords.Count().Should().Be(0);
        }

        crash.Armed = false;
        var retry = await CompleteRawAsync(App, Keys.Land, task, "Done", 1, "crash-key");
        retry.StatusCode.Should().Be(HttpStatusCode.OK, "the retry with the same key runs the transition for real");
        OpenActivities(await GetAsync(App, d["id"]!.GetValue<string>())).Should().Be("communeConfirm,taxNotice");
    }

    [Fact]
    public async Task The_migrated_SQLite_schema_has_every_table_and_column_of_the_model()
    {
        await ReceiveAsync(App, "birth-registration");
        await using var store = App.OpenStore();
        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile}");
        await connection.OpenAsync();

        foreach (var entity in store.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            var columns = new List<string>();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = $"PRAGMA table_info(\"{table}\")";
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(1));
                }
            }

            columns.Should().BeEquivalentTo(entity.GetProperties().Select(p => p.GetColumnName()), $"table {table} must match the model");
        }

        await using var journalMode = connection.CreateCommand();
        journalMode.CommandText = "PRAGMA journal_mode";
        ((string)(await journalMode.ExecuteScalarAsync())!).Should().Be("wal");
        (await store.Database.GetAppliedMigrationsAsync()).Should().Equal(store.Database.GetMigrations());
    }
}
