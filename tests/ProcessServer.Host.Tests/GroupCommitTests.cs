using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 14: on SQLite, completions queued together are committed in one transaction, each in a
/// savepoint of its own, and each is answered only after that commit is durable.
/// </summary>
public sealed class GroupCommitTests : ServerTest
{
    [Fact]
    public async Task Completions_queued_together_share_one_commit_a_failing_one_fails_alone_and_every_answer_comes_after_the_commit()
    {
        var probe = new BatchProbe();
        App.With(probe);
        var dossiers = new List<JsonObject>();
        for (var i = 0; i < 8; i++)
        {
            dossiers.Add(await ReceiveAsync(App, "birth-registration"));
        }

        string Id(int i) => dossiers[i]["id"]!.GetValue<string>();
        probe.Dossiers.UnionWith(dossiers.Select((_, i) => Id(i)));
        Task<HttpResponseMessage> Complete(int i, string key) => CompleteRawAsync(App, Keys.Commune,
            OpenTask(dossiers[i], "register")["id"]!.GetValue<string>(), "Done", dossiers[i]["version"]!.GetValue<int>(), key, comment: "registered");

        Dictionary<string, (HttpStatusCode Status, string Body)> answers;
        Task<HttpResponseMessage> first;
        try
        {
            // A first completion holds the write path (inside its transaction) while the others queue up.
            probe.HoldFirstJournalInsert = true;
            first = Complete(0, "key-0");
            await probe.Held.Task.WaitAsync(TimeSpan.FromMinutes(1));

            // Seven completions of other dossiers, and a second completion of dossier 1's same task
            // (another clerk, another key): only one of those two can win. Dossier 4's fails in the store.
            probe.FailDossier = Id(4);
            probe.HoldCommitOf = Id(2);
            var keys = new[] { "key-1", "key-1-again", "key-2", "key-3", "key-4", "key-5", "key-6", "key-7" };
            var queued = new Dictionary<string, Task<HttpResponseMessage>>();
            foreach (var key in keys)
            {
                queued[key] = Complete(key == "key-1-again" ? 1 : int.Parse(key[4..], System.Globalization.CultureInfo.InvariantCulture), key);
            }

            var writePath = App.Services.GetRequiredService<GroupCommit>();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (writePath.Waiting < keys.Length)
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "all eight completions reach the write path while it is held");
                await Task.Delay(10);
            }

            probe.Release();
            (await first).StatusCode.Should().Be(HttpStatusCode.OK);

            // The batch is at its COMMIT now: nobody may have an answer yet, not even the refused ones.
            await probe.CommitHeld.Task.WaitAsync(TimeSpan.FromMinutes(1));
            var all = Task.WhenAll(queued.Values);
            (await Task.WhenAny(all, Task.Delay(500))).Should().NotBeSameAs(all);
            queued.Values.Should().OnlyContain(t => !t.IsCompleted, "an answer is released only after the commit containing it");
            probe.ReleaseCommit();
            await all;

            answers = new Dictionary<string, (HttpStatusCode Status, string Body)>();
            foreach (var (key, response) in queued)
            {
                answers[key] = ((await response).StatusCode, await (await response).Content.ReadAsStringAsync());
            }

            answers["key-4"].Status.Should().Be(HttpStatusCode.InternalServerError, answers["key-4"].Body);
            new[] { answers["key-1"].Status, answers["key-1-again"].Status }.Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.Conflict],
                "the second completion of the same task, in the same transaction, sees the first one's version");
            foreach (var key in new[] { "key-2", "key-3", "key-5", "key-6", "key-7" })
            {
                answers[key].Status.Should().Be(HttpStatusCode.OK, answers[key].Body);
            }
        }
        finally
        {
            // A failing assertion must not leave the write path held (the server could not stop).
            probe.Release();
            probe.ReleaseCommit();
        }

        // One transaction: the journal rows of every completion of the batch, the failed one's
        // attempt included, were written on the same transaction.
        var batch = probe.JournalTransactionOf(Id(2));
        foreach (var i in new[] { 1, 3, 4, 5, 6, 7 })
        {
            probe.JournalTransactionOf(Id(i)).Should().BeSameAs(batch, $"dossier {i} was queued with the others");
        }

        probe.JournalTransactionOf(Id(0)).Should().NotBeSameAs(batch);

        // Durable: a new server process opening the file finds exactly the acknowledged completions.
        var acknowledged = answers.Where(a => a.Value.Status == HttpStatusCode.OK)
            .Select(a => (Key: a.Key, View: JsonNode.Parse(a.Value.Body)!.AsObject())).ToList();
        acknowledged.Should().HaveCount(6);
        App.Dispose();
        await using var store = App.OpenStore();
        foreach (var (key, view) in acknowledged.Append(("key-0", JsonNode.Parse(await (await first).Content.ReadAsStringAsync())!.AsObject())))
        {
            var id = view["id"]!.GetValue<string>();
            var row = await store.Dossiers.SingleAsync(d => d.Id == id);
            row.Version.Should().Be(view["version"]!.GetValue<int>(), $"the answer to {key} was given after its commit");
            (await store.Journal.CountAsync(j => j.DossierId == id && j.Type == "TaskCompleted")).Should().Be(1);
            (await store.IdempotencyRecords.CountAsync(r => r.Key == key)).Should().Be(1);
        }

        foreach (var key in answers.Keys.Where(k => answers[k].Status != HttpStatusCode.OK))
        {
            (await store.IdempotencyRecords.CountAsync(r => r.Key == key)).Should().Be(0, $"{key} was refused or failed");
        }

        var failedId = Id(4);
        var failed = await store.Dossiers.SingleAsync(d => d.Id == failedId);
        failed.Version.Should().Be(dossiers[4]["version"]!.GetValue<int>(), "the failed completion was rolled back to its savepoint");
        (await store.Journal.CountAsync(j => j.DossierId == failedId && j.Type == "TaskCompleted")).Should().Be(0);
        (await store.Tasks.CountAsync(t => t.DossierId == failedId && t.ActivityId == "register" && t.Status == "Pending")).Should().Be(1);
    }

    [Fact]
    public async Task Each_change_of_a_shared_batch_is_traced_on_its_own_request_not_on_the_one_that_started_the_writer()
    {
        var probe = new BatchProbe();
        App.With(probe);
        var dossiers = new List<JsonObject>();
        for (var i = 0; i < 4; i++)
        {
            dossiers.Add(await ReceiveAsync(App, "birth-registration"));
        }

        string Id(int i) => dossiers[i]["id"]!.GetValue<string>();
        probe.Dossiers.UnionWith(dossiers.Select((_, i) => Id(i)));

        // Every request carries a trace of its own (W3C traceparent); the server's request activity
        // continues it, and the write path tags it with the dossier it changed.
        var traces = dossiers.Select(_ => ActivityTraceId.CreateRandom()).ToList();
        var tagged = new ConcurrentDictionary<ActivityTraceId, string?>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (traces.Contains(activity.TraceId))
                {
                    tagged[activity.TraceId] = activity.GetTagItem("processserver.dossier.id") as string;
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        async Task<HttpResponseMessage> Complete(int i)
        {
            using var client = App.ClientFor(Keys.Commune);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{OpenTask(dossiers[i], "register")["id"]}/complete")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { outcome = "Done" }),
            };
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossiers[i]["version"]}\"");
            request.Headers.Add("Idempotency-Key", $"traced-{i}");
            request.Headers.Add("traceparent", $"00-{traces[i]}-{ActivitySpanId.CreateRandom()}-01");
            return await client.SendAsync(request);
        }

        try
        {
            // The first completion's caller runs its batch itself and is held in it while the other
            // three queue up: they share the next batch, which a writer started from the first
            // request's flow runs.
            probe.HoldFirstJournalInsert = true;
            var first = Complete(0);
            await Task.WhenAny(first, probe.Held.Task).WaitAsync(TimeSpan.FromMinutes(1));
            probe.Held.Task.IsCompleted.Should().BeTrue(first.IsCompleted ? await (await first).Content.ReadAsStringAsync() : "");
            var queued = Enumerable.Range(1, 3).Select(Complete).ToList();
            var writePath = App.Services.GetRequiredService<GroupCommit>();
            var deadline = DateTime.UtcNow.AddMinutes(1);
            while (writePath.Waiting < 3)
            {
                DateTime.UtcNow.Should().BeBefore(deadline, "the three completions reach the write path while it is held");
                await Task.Delay(10);
            }

            probe.Release();
            foreach (var response in queued.Prepend(first))
            {
                (await response).StatusCode.Should().Be(HttpStatusCode.OK, await (await response).Content.ReadAsStringAsync());
            }
        }
        finally
        {
            probe.Release();
        }

        // A request's activity stops just after its answer is written: wait for the last one.
        var stopped = DateTime.UtcNow.AddSeconds(30);
        while (tagged.Count < traces.Count && DateTime.UtcNow < stopped)
        {
            await Task.Delay(20);
        }

        for (var i = 0; i < traces.Count; i++)
        {
            tagged.Should().ContainKey(traces[i]);
            tagged[traces[i]].Should().Be(Id(i), $"request {i} changed dossier {i}");
        }
    }

    [Fact]
    public async Task A_change_reaches_the_database_file_soon_after_its_commit_without_waiting_for_a_thousand_pages_of_log()
    {
        // SQLite's own checkpoint would copy the log into the database file only from the commit
        // that takes the log past 1,000 pages; one receipt writes a few dozen. The checkpointer
        // beside the group commit copies it within moments, so the file alone (a copy of it,
        // without its -wal) holds the new dossier.
        var id = (await ReceiveAsync(App, "birth-registration"))["id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await FileAloneHoldsAsync(Database.DatabaseFile, id))
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the receipt is copied from the log into the database file by a checkpoint");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task After_a_batch_whose_commit_failed_no_pooled_connection_is_left_with_automatic_checkpoints_off()
    {
        // The writer's connection has SQLite's automatic checkpoint off (the checkpointer runs it
        // beside the commits). A failed batch drops that connection; it must not go back to the
        // pool that the server's other writers (the job store, imports) draw from, whose commits
        // would then never checkpoint the log.
        var probe = new BatchProbe();
        App.With(probe);
        var dossier = await ReceiveAsync(App, "birth-registration");
        var taskId = OpenTask(dossier, "register")["id"]!.GetValue<string>();
        var version = dossier["version"]!.GetValue<int>();
        var dossierId = dossier["id"]!.GetValue<string>();
        probe.Dossiers.Add(dossierId);
        probe.FailCommitOf = dossierId;

        var failed = await CompleteRawAsync(App, Keys.Commune, taskId, "Done", version, "key-commit-fails");
        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError, await failed.Content.ReadAsStringAsync());
        probe.CommitFailed.Should().BeTrue("the batch's COMMIT was made to fail");

        // Opening more connections than the pool holds hands out every idle one.
        var opened = new List<SqliteConnection>();
        try
        {
            for (var i = 0; i < 64; i++)
            {
                var connection = new SqliteConnection(App.Store.ConnectionString);
                opened.Add(connection);
                await connection.OpenAsync();
            }

            foreach (var connection in opened)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = "PRAGMA wal_autocheckpoint";
                ((long)(await command.ExecuteScalarAsync())!).Should().Be(1000, "SQLite's default; only the writer's own connection turns it off");
            }
        }
        finally
        {
            foreach (var connection in opened)
            {
                await connection.DisposeAsync();
            }
        }

        // Nor is any context of EF's pool left with the writer's own connection string (every
        // request it served would then open a connection of its own, never pooled). Held at once,
        // the contexts drawn here are every one the pool keeps, and more.
        var scopes = Enumerable.Range(0, 32).Select(_ => App.Services.CreateAsyncScope()).ToList();
        try
        {
            foreach (var scope in scopes)
            {
                var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
                db.Database.GetConnectionString().Should().Be(App.Store.ConnectionString);
                db.Database.GetDbConnection().ConnectionString.Should().Be(App.Store.ConnectionString);
            }
        }
        finally
        {
            foreach (var scope in scopes)
            {
                await scope.DisposeAsync();
            }
        }

        // The write path goes on, on a new writer connection: the failed completion left nothing
        // behind, and no request context is left holding the dropped writer's connection (every
        // change that drew such a context from EF's pool failed with a 500).
        var again = await CompleteRawAsync(App, Keys.Commune, taskId, "Done", version, "key-after-the-failure");
        again.StatusCode.Should().Be(HttpStatusCode.OK, await again.Content.ReadAsStringAsync());
        for (var i = 0; i < 4; i++)
        {
            var next = await ReceiveAsync(App, "birth-registration");
            var completed = await CompleteRawAsync(App, Keys.Commune, OpenTask(next, "register")["id"]!.GetValue<string>(), "Done",
                next["version"]!.GetValue<int>(), $"key-next-{i}");
            completed.StatusCode.Should().Be(HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Whether a copy of the database file without its log holds the dossier; false also for a copy torn by a checkpoint in progress.</summary>
    private static async Task<bool> FileAloneHoldsAsync(string file, string dossierId)
    {
        var copy = Path.Combine(Path.GetDirectoryName(file)!, $"file-alone-{Guid.NewGuid():N}.db");
        File.Copy(file, copy);
        try
        {
            await using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM \"Dossiers\" WHERE \"Id\" = $id";
            command.Parameters.AddWithValue("$id", dossierId);
            return (long)(await command.ExecuteScalarAsync())! == 1;
        }
        catch (SqliteException)
        {
            return false;
        }
        finally
        {
            foreach (var leftover in new[] { copy, copy + "-wal", copy + "-shm" })
            {
                File.Delete(leftover);
            }
        }
    }

    /// <summary>
    /// Watches the store's commands and commits: holds the first journal insert, fails the journal
    /// inserts of one dossier (as a store fault would), records on which transaction each dossier's
    /// journal was written, and holds or fails the commit of the transaction that wrote a given dossier.
    /// </summary>
    private sealed class BatchProbe : DbCommandInterceptor, IDbTransactionInterceptor
    {
        private readonly ConcurrentDictionary<string, DbTransaction?> _journalTransactions = new();
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _commitReleased = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The dossiers watched (a journal insert names its dossier among its parameters).</summary>
        public HashSet<string> Dossiers { get; } = [];

        public bool HoldFirstJournalInsert { get; set; }

        public string? FailDossier { get; set; }

        public string? HoldCommitOf { get; set; }

        public string? FailCommitOf { get; set; }

        public bool CommitFailed { get; private set; }

        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource CommitHeld { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public void ReleaseCommit() => _commitReleased.TrySetResult();

        public DbTransaction? JournalTransactionOf(string dossierId) =>
            _journalTransactions.TryGetValue(dossierId, out var transaction) ? transaction : throw new InvalidOperationException($"no journal insert of {dossierId}");

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await WatchAsync(command);
            return result;
        }

        public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            await WatchAsync(command);
            return result;
        }

        public async ValueTask<InterceptionResult> TransactionCommittingAsync(DbTransaction transaction, TransactionEventData eventData,
            InterceptionResult result, CancellationToken cancellationToken = default)
        {
            if (FailCommitOf is { } failing && _journalTransactions.TryGetValue(failing, out var wrote) && ReferenceEquals(wrote, transaction))
            {
                FailCommitOf = null;
                CommitFailed = true;
                throw new IOException("simulated failure of the batch's commit");
            }

            if (HoldCommitOf is { } id && _journalTransactions.TryGetValue(id, out var held) && ReferenceEquals(held, transaction))
            {
                HoldCommitOf = null;
                CommitHeld.TrySetResult();
                await _commitReleased.Task;
            }

            return result;
        }

        private async Task WatchAsync(DbCommand command)
        {
            if (!command.CommandText.Contains("INSERT INTO \"Journal\"", StringComparison.Ordinal))
            {
                return;
            }

            var dossierId = command.Parameters.Cast<DbParameter>().Select(p => p.Value).OfType<string>().FirstOrDefault(Dossiers.Contains);
            if (dossierId is not null)
            {
                _journalTransactions.TryAdd(dossierId, command.Transaction);
                if (dossierId == FailDossier)
                {
                    throw new IOException("simulated store fault while writing the journal");
                }
            }

            if (HoldFirstJournalInsert)
            {
                HoldFirstJournalInsert = false;
                Held.TrySetResult();
                await _released.Task;
            }
        }

    }
}
