using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Three real server processes on one PostgreSQL database, the way a province outgrows one machine:
/// they start together on an empty database, clerks spread over them race for the same tasks, and
/// every deadline due is fired by their clustered Quartz schedulers exactly once.
/// </summary>
[Collection(PostgresGroup.Name)]
public sealed class PostgresScaleOutTests(PostgresServer postgres) : IDisposable
{
    private const int Processes = 3;
    private static readonly (string Activity, string Key)[] Steps = [("register", Keys.Commune), ("sign", Keys.Commune), ("returnResult", Keys.Counter)];
    private readonly TempDatabase _work = new();
    private readonly List<HostProcess> _servers = [];

    [Fact]
    public async Task Three_processes_started_together_on_an_empty_database_migrate_it_once_and_racing_clerks_lose_or_duplicate_no_transition()
    {
        var store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        await StartTogetherAsync(store);
        await using var db = Open(store);

        // Migrations: each once, none missing; the seeds (calendar, procedures) once too.
        var applied = await db.Database.SqlQueryRaw<string>("SELECT \"MigrationId\" AS \"Value\" FROM \"__EFMigrationsHistory\"").ToListAsync();
        applied.Should().OnlyHaveUniqueItems().And.BeEquivalentTo(db.Database.GetMigrations());
        (await db.CalendarVersions.CountAsync()).Should().Be(1);
        (await db.WorkflowDefinitions.GroupBy(d => d.DefinitionId).Where(g => g.Count() > 1).CountAsync()).Should().Be(0);

        // Receipts all at once, spread round-robin over the three processes: one unit's day counter
        // numbers every one of them, each code once.
        var dossiers = (await Task.WhenAll(Enumerable.Range(0, 24).Select(async i =>
        {
            using var counter = _servers[i % Processes].Client(Keys.Counter);
            return await ClerkApi.ReceiveAsync(counter, "birth-registration");
        }))).ToList();
        dossiers.Select(d => d["receiptCode"]!.GetValue<string>()).Should().OnlyHaveUniqueItems();

        // Every step of every dossier, all dossiers at once; each step a race between two processes:
        // two clerks with their own keys (one wins, the other gets 409), or one client retrying with
        // the same key on another process (both get the first answer).
        var acknowledged = new ConcurrentBag<(string DossierId, string TaskId, int Version)>();
        var failures = new ConcurrentQueue<string>();
        await Task.WhenAll(dossiers.Select((dossier, index) => Task.Run(async () =>
        {
            var current = dossier;
            for (var step = 0; step < Steps.Length; step++)
            {
                var (activity, key) = Steps[step];
                var task = ClerkApi.OpenTask(current, activity);
                var version = current["version"]!.GetValue<int>();
                var sharedKey = (index + step) % 2 == 0;
                var first = _servers[(index + step) % Processes];
                var second = _servers[(index + step + 1) % Processes];
                var keyA = Guid.NewGuid().ToString();
                var keyB = sharedKey ? keyA : Guid.NewGuid().ToString();
                var answers = await Task.WhenAll(
                    CompleteAsync(first, key, task["id"]!.GetValue<string>(), version, keyA),
                    CompleteAsync(second, key, task["id"]!.GetValue<string>(), version, keyB));
                var winners = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
                var where = $"dossier {index} step {activity} ({(sharedKey ? "one key on two processes" : "two keys")})";
                if (sharedKey)
                {
                    if (winners.Count != 2 || winners[0].Body != winners[1].Body)
                    {
                        failures.Enqueue($"{where}: expected the first answer twice, got {Describe(answers)}");
                    }
                }
                else if (winners.Count != 1 || answers.Single(a => a.Status != HttpStatusCode.OK).Status != HttpStatusCode.Conflict)
                {
                    failures.Enqueue($"{where}: expected one 200 and one 409, got {Describe(answers)}");
                }

                if (winners.Count == 0)
                {
                    return;
                }

                current = JsonNode.Parse(winners[0].Body)!.AsObject();
                acknowledged.Add((current["id"]!.GetValue<string>(), task["id"]!.GetValue<string>(), current["version"]!.GetValue<int>()));
            }
        })));

        failures.Should().BeEmpty();
        acknowledged.Should().HaveCount(dossiers.Count * Steps.Length);

        db.ChangeTracker.Clear();
        foreach (var dossier in dossiers)
        {
            var id = dossier["id"]!.GetValue<string>();
            var journal = await db.Journal.AsNoTracking().Where(j => j.DossierId == id).OrderBy(j => j.Sequence).ToListAsync();
            journal.Select(j => j.Sequence).Should().Equal(Enumerable.Range(1, journal.Count), $"dossier {id}'s journal has no gap and no repeat");
            var completed = journal.Where(j => j.Type == JournalEventTypes.TaskCompleted).Select(j => j.TaskId).ToList();
            completed.Should().BeEquivalentTo(acknowledged.Where(a => a.DossierId == id).Select(a => a.TaskId), $"every acknowledged completion of {id} is in its journal once");
            var stored = await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id);
            stored.Version.Should().Be(dossier["version"]!.GetValue<int>() + Steps.Length, "the version moves once per applied completion");
            stored.Version.Should().Be(acknowledged.Where(a => a.DossierId == id).Max(a => a.Version));
        }
    }

    [Fact]
    public async Task Three_processes_clustered_on_one_database_fire_every_due_deadline_exactly_once()
    {
        var store = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        await StartTogetherAsync(store);

        // The real clock runs in the processes: paper dossiers entered late (received 20 days ago, by
        // a leader, within the late-entry window) have their first step's warning and overdue
        // instants in the past, so they are due the moment they are written, on whichever process.
        var received = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            using var leader = _servers[i % Processes].Client(Keys.Leader);
            var response = await leader.PostAsJsonAsync("/api/dossiers", new
            {
                procedureCode = "birth-registration",
                applicant = ClerkApi.Applicant(),
                channel = "direct",
                receivingUnit = "HCC-BINHSON",
                receivedAt = DateTimeOffset.UtcNow.AddDays(-20),
            });
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.Created, body);
            received.Add(JsonNode.Parse(body)!["id"]!.GetValue<string>());
        }

        await using var db = Open(store);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (await db.Deadlines.CountAsync(d => received.Contains(d.DossierId) && d.Status == Persistence.Entities.Deadlines.Pending && d.FireAt <= DateTime.UtcNow) > 0
               && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(250);
        }

        var deadlines = await db.Deadlines.AsNoTracking().Where(d => received.Contains(d.DossierId)).ToListAsync();
        var due = deadlines.Where(d => d.FireAt <= DateTime.UtcNow.AddSeconds(-1)).ToList();
        due.Should().HaveCountGreaterThanOrEqualTo(2 * received.Count, "each late dossier's first step has its warning and overdue instants behind it");
        due.Should().OnlyContain(d => d.Status == Persistence.Entities.Deadlines.Fired, "the cluster fired every due deadline");
        var notifications = await db.Notifications.AsNoTracking().Where(n => received.Contains(n.DossierId)).ToListAsync();
        notifications.Select(n => n.DeadlineId).Should().OnlyHaveUniqueItems("no deadline fired twice")
            .And.BeEquivalentTo(deadlines.Where(d => d.Status == Persistence.Entities.Deadlines.Fired).Select(d => d.Id), "every fired deadline has its one notification");

        (await db.Database.SqlQueryRaw<string>("SELECT instance_name AS \"Value\" FROM qrtz_scheduler_state").ToListAsync())
            .Should().HaveCount(Processes, "each process checks in to the Quartz cluster under its own instance id").And.OnlyHaveUniqueItems();
    }

    private static async Task<(HttpStatusCode Status, string Body)> CompleteAsync(HostProcess server, string key, string taskId, int version, string idempotencyKey)
    {
        using var client = server.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{taskId}/complete")
        {
            Content = JsonContent.Create(new { outcome = "Done", comment = "scale-out" }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Describe(IEnumerable<(HttpStatusCode Status, string Body)> answers) =>
        string.Join(" / ", answers.Select(a => $"{(int)a.Status} {a.Body[..Math.Min(a.Body.Length, 300)]}"));

    /// <summary>Launches the processes at the same moment on a database that does not exist yet, then waits for all.</summary>
    private async Task StartTogetherAsync(StoreOptions store)
    {
        for (var i = 0; i < Processes; i++)
        {
            var folder = Path.Combine(_work.Folder, $"server-{i}");
            Directory.CreateDirectory(folder);
            File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), Path.Combine(folder, "appsettings.Development.json"));
        }

        _servers.AddRange(Enumerable.Range(0, Processes).Select(i => HostProcess.Start(Path.Combine(_work.Folder, $"server-{i}"), "Development",
            "--Database:Provider", "Postgres", "--Database:ConnectionString", store.ConnectionString)));
        await Task.WhenAll(_servers.Select(s => s.WaitUntilServingAsync()));
    }

    private static ProcessServerDbContext Open(StoreOptions store)
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, store);
        return new ProcessServerDbContext(builder.Options);
    }

    public void Dispose()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        _work.Dispose();
    }
}
