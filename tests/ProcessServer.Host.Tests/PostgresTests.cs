using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.DefinitionEdits;

namespace ProcessServer.Host.Tests;

/// <summary>The same model, migrations and API on PostgreSQL: one codebase over both stores.</summary>
[Collection(PostgresGroup.Name)]
public sealed class PostgresTests : IDisposable
{
    private readonly TempDatabase _work = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private readonly StoreOptions _store;
    private ServerApp _app;

    public PostgresTests(PostgresServer postgres)
    {
        _store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        _app = new ServerApp(_store, _work.Folder, _clock);
    }

    [Fact]
    public async Task A_server_started_on_a_new_PostgreSQL_database_logs_no_error_while_it_creates_the_schema()
    {
        // The first request waits for start-up, which created and migrated this test's new database.
        (await ReceiveAsync(_app, "birth-registration"))["id"].Should().NotBeNull();

        // Npgsql's history repository learns that the migrations history table is missing by
        // querying it, and EF logs that failed query as an error (npgsql/efcore.pg#3407) on every
        // new database: an operator's first start would show a red line for nothing.
        _app.Log.Problems.Should().NotContain(line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Fatal", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_PostgreSQL_the_migrated_schema_matches_the_model_and_a_land_dossier_survives_a_restart_to_its_result()
    {
        var d = await ReceiveAsync(_app, "land-first-certificate");
        d = await CompleteAsync(_app, d, "check", "Done", Keys.Land);
        d = await CompleteAsync(_app, d, "taxNotice", "Done", Keys.Tax);

        _app.Dispose();
        _app = new ServerApp(_store, _work.Folder, _clock);

        var id = d["id"]!.GetValue<string>();
        d = await GetAsync(_app, id);

        // The first change after the restart reads the journal back as the views stored with its
        // rows (bytea here); its answer carries them exactly as the dossier view renders the rows.
        var confirmed = await CompleteRawAsync(_app, Keys.Commune, OpenTask(d, "communeConfirm")["id"]!.GetValue<string>(), "Done", d["version"]!.GetValue<int>(),
            Guid.NewGuid().ToString());
        var answer = await confirmed.Content.ReadAsStringAsync();
        confirmed.StatusCode.Should().Be(HttpStatusCode.OK, answer);
        using (var admin = _app.ClientFor(Keys.Admin))
        {
            JournalOf(answer).Should().Be(JournalOf(await admin.GetStringAsync($"/api/dossiers/{id}")));
        }

        d = JsonNode.Parse(answer)!.AsObject();
        foreach (var (activity, outcome, key) in new[]
                 {
                     ("payment", "Paid", Keys.Counter), ("prepare", "Done", Keys.Land),
                     ("sign", "Done", Keys.Commune), ("updateRecords", "Done", Keys.Land), ("returnResult", "Done", Keys.Counter),
                 })
        {
            d = await CompleteAsync(_app, d, activity, outcome, key);
        }

        National(d).Should().Be(10);
        d["time"]!["appointmentAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(new DateTime(2025, 3, 31, 10, 0, 0, DateTimeKind.Utc));

        await using var store = _app.OpenStore();
        var connection = store.Database.GetDbConnection();
        await connection.OpenAsync();
        foreach (var entity in store.Model.GetEntityTypes())
        {
            var table = entity.GetTableName()!;
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'";
            var columns = new List<string>();
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            columns.Should().BeEquivalentTo(entity.GetProperties().Select(p => p.GetColumnName()), $"table {table} must match the model");
        }

        store.Dossiers.Single().ReceivedAt.Kind.Should().Be(DateTimeKind.Utc);
    }

    [Fact]
    public async Task On_PostgreSQL_two_clerks_at_the_same_version_cannot_both_win()
    {
        var d = await ReceiveAsync(_app, "land-first-certificate");
        d = await CompleteAsync(_app, d, "check", "Done", Keys.Land);
        var version = d["version"]!.GetValue<int>();

        var results = await Task.WhenAll(
            CompleteRawAsync(_app, Keys.Commune, OpenTask(d, "communeConfirm")["id"]!.GetValue<string>(), "Done", version, Guid.NewGuid().ToString()),
            CompleteRawAsync(_app, Keys.Tax, OpenTask(d, "taxNotice")["id"]!.GetValue<string>(), "Done", version, Guid.NewGuid().ToString()));

        results.Select(r => r.StatusCode).Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.Conflict]);
        (await GetAsync(_app, d["id"]!.GetValue<string>()))["currentTasks"]!.AsArray().Should().HaveCount(1);
    }

    [Fact]
    public async Task On_PostgreSQL_publishing_pins_running_dossiers_and_a_migration_moves_them()
    {
        var before = await ReceiveAsync(_app, "birth-registration");
        var v2 = await GetDefinitionAsync(_app, "birth-registration");
        RenameActivity(v2, "register", "registerBirth");
        (await PublishAsync(_app, v2)).Should().Be(2);
        (await ReceiveAsync(_app, "birth-registration"))["procedure"]!["version"]!.GetValue<int>().Should().Be(2);

        using var admin = _app.ClientFor(Keys.Admin);
        var plan = JsonNode.Parse(await (await admin.PostAsync("/api/migrations", System.Net.Http.Json.JsonContent.Create(new
        {
            procedureCode = "birth-registration",
            sourceVersions = new[] { 1 },
            targetVersion = 2,
            mapping = new Dictionary<string, string> { ["register"] = "registerBirth" },
        }))).Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var run = await ExecuteMigrationAsync(admin, plan);

        run["counts"]!["migrated"]!.GetValue<int>().Should().Be(1);
        var moved = await GetAsync(_app, before["id"]!.GetValue<string>());
        (moved["procedure"]!["version"]!.GetValue<int>(), OpenActivities(moved)).Should().Be((2, "registerBirth"));
    }

    [Fact]
    public async Task On_PostgreSQL_the_OData_feed_puts_nulls_first_ascending_and_last_descending_and_pages_through_them_without_repeats()
    {
        // PostgreSQL sorts nulls last ascending by default; OData says null is the smallest value, as SQLite has it.
        var ready = new List<string>();
        var running = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var d = await ReceiveAsync(_app, "birth-registration");
            if (i % 2 == 0)
            {
                d = await CompleteAsync(_app, d, "register", "Done", Keys.Commune);
                d = await CompleteAsync(_app, d, "sign", "Done", Keys.Commune);
                ready.Add(d["id"]!.GetValue<string>());
            }
            else
            {
                running.Add(d["id"]!.GetValue<string>());
            }

            _clock.Advance(TimeSpan.FromMinutes(7));
        }

        using var reporter = _app.ClientFor(Keys.Reporter);
        async Task<List<(string Id, DateTime? At)>> WalkAsync(string direction)
        {
            var rows = new List<(string, DateTime?)>();
            string? next = $"/odata/v1/Dossiers?$select=Id,ResultReadyAt&$orderby=ResultReadyAt {direction}";
            while (next is not null)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, next);
                request.Headers.Add("Prefer", "odata.maxpagesize=2");
                var response = await reporter.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                response.StatusCode.Should().Be(HttpStatusCode.OK, body);
                var page = JsonNode.Parse(body)!;
                rows.AddRange(page["value"]!.AsArray().Select(r => (r!["Id"]!.GetValue<string>(), r["ResultReadyAt"] is { } at ? at.GetValue<DateTime>() : (DateTime?)null)));
                next = page["@odata.nextLink"]?.GetValue<string>() is { } link ? new Uri(link).PathAndQuery : null;
            }

            return rows;
        }

        var ascending = await WalkAsync("asc");
        ascending.Select(r => r.Id).Should().OnlyHaveUniqueItems().And.HaveCount(6);
        ascending.Take(3).Select(r => r.Id).Should().BeEquivalentTo(running, "nulls come first in ascending order");
        ascending.Skip(3).Select(r => r.Id).Should().Equal(ready, "then the instants in order");
        var descending = await WalkAsync("desc");
        descending.Select(r => r.Id).Should().OnlyHaveUniqueItems().And.HaveCount(6);
        descending.Take(3).Select(r => r.Id).Should().Equal(Enumerable.Reverse(ready), "the latest instant first");
        descending.Skip(3).Select(r => r.Id).Should().BeEquivalentTo(running, "nulls come last in descending order");
    }

    public void Dispose()
    {
        _app.Dispose();
        _work.Dispose();
    }

    private static string JournalOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("journal").GetRawText();
    }
}
