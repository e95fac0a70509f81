using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using static Samples;

/// <summary>
/// Step completions through the clerk API with the store on PostgreSQL, served by one and then by
/// three server processes on one database (started together on an empty database), clerks spread
/// round-robin over the processes; then the correctness checks under that load: every acknowledged
/// completion in the journal once, journals without gap or repeat, versions that moved once per
/// completion, races between processes answered 200/409 or replayed, deadlines fired once by the
/// clustered schedulers, migrations applied once.
/// </summary>
/// <remarks>
/// <code>dotnet run -c Release --project tests/ProcessServer.Benchmarks -- throughput-pg [dossiers per level] [rounds] [warm-up dossiers] [levels, e.g. 4,16,64] [server processes, e.g. 1,3]</code>
/// The PostgreSQL cluster is a throw-away one this program starts (Debian's postgresql package, as
/// the tests use it), with its durability settings left at their defaults (fsync on, synchronous
/// commit), so a completion is acknowledged after a durable commit as on SQLite.
/// </remarks>
internal static class PostgresThroughputBenchmark
{
    private static readonly (string Activity, string Key)[] Steps = [("register", "dev-commune-key"), ("sign", "dev-commune-key"), ("returnResult", "dev-counter-key")];

    public static Task<int> RunAsync(string[] args)
    {
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        int[] List(int index, int[] fallback) => args.Length > index ? [.. args[index].Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture))] : fallback;
        return RunAsync(Arg(1, 100), Arg(2, 3), Arg(3, 2000), List(4, [4, 16, 64]), List(5, [1, 3]));
    }

    private static async Task<int> RunAsync(int dossiers, int rounds, int warmUp, int[] levels, int[] processCounts)
    {
        Console.WriteLine($"throughput-pg: {dossiers} birth-registration dossiers (x3 completions) per level and round, {rounds} rounds, concurrency {string.Join("/", levels)}, server processes {string.Join("/", processCounts)}");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        using var postgres = PostgresServer.Durable();
        Console.WriteLine($"PostgreSQL {postgres.Version} on 127.0.0.1:{postgres.Port} (fsync on)");
        var tables = new List<string>();
        var failed = 0;
        foreach (var count in processCounts)
        {
            var database = postgres.NewDatabase();
            await using var servers = await ServerGroup.StartAsync(count, database);
            Console.WriteLine();
            Console.WriteLine($"{count} server process(es) started together on an empty database in {servers.StartSeconds:0.0} s");

            var acknowledged = new ConcurrentBag<Acknowledged>();
            var warm = Stopwatch.StartNew();
            var warmDossiers = await ReceiveAsync(servers, warmUp, 8, []);
            await CompleteAsync(servers, warmDossiers, 8, [], acknowledged);
            Console.WriteLine($"warm-up: {warmUp * 3} completions in {warm.Elapsed.TotalSeconds:0.0} s");

            var all = new List<JsonObject>(warmDossiers);
            var results = new Dictionary<int, List<(Measure Completions, Measure Receipts)>>();
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var concurrency in levels)
                {
                    var receipts = new List<double>();
                    var received = Stopwatch.StartNew();
                    var fresh = await ReceiveAsync(servers, dossiers, concurrency, receipts);
                    var receiptRate = dossiers / received.Elapsed.TotalSeconds;
                    all.AddRange(fresh);
                    var completions = new List<double>();
                    var clock = Stopwatch.StartNew();
                    await CompleteAsync(servers, fresh, concurrency, completions, acknowledged);
                    var measure = new Measure(completions.Count / clock.Elapsed.TotalSeconds, Quantile(completions, 0.5), Quantile(completions, 0.99));
                    var receiptMeasure = new Measure(receiptRate, Quantile(receipts, 0.5), Quantile(receipts, 0.99));
                    (results.TryGetValue(concurrency, out var list) ? list : results[concurrency] = []).Add((measure, receiptMeasure));
                    Console.WriteLine($"round {round} processes={count} c={concurrency,-3} completions {measure}  (receipts {receiptMeasure})");
                }
            }

            foreach (var concurrency in levels)
            {
                var list = results[concurrency];
                tables.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {count} | {concurrency} | {Median(list.Select(r => r.Completions.PerSecond)):0.0} | {Median(list.Select(r => r.Completions.P50)):0.00} / {Median(list.Select(r => r.Completions.P99)):0.00} | {Median(list.Select(r => r.Receipts.PerSecond)):0.0} |"));
            }

            Console.WriteLine($"correctness checks with {count} process(es):");
            failed += await CheckAsync(servers, database, all, acknowledged);
        }

        Console.WriteLine();
        Console.WriteLine($"medians of {rounds} rounds (load after: {File.ReadAllText("/proc/loadavg").Trim()})");
        Console.WriteLine("| server processes | clerks | completions/s | p50 / p99 ms | receipts/s |");
        Console.WriteLine("|---|---|---|---|---|");
        tables.ForEach(Console.WriteLine);
        Console.WriteLine(failed == 0 ? "all correctness checks PASS" : $"{failed} correctness check(s) FAIL");
        return failed == 0 ? 0 : 1;
    }

    /// <summary>The checks after the load: the stored rows against what the clerks were told, races, deadlines, migrations.</summary>
    private static async Task<int> CheckAsync(ServerGroup servers, string database, List<JsonObject> loaded, ConcurrentBag<Acknowledged> acknowledged)
    {
        var failed = 0;
        void Report(string check, string? problem)
        {
            Console.WriteLine($"  {(problem is null ? "PASS" : "FAIL")}  {check}{(problem is null ? string.Empty : ": " + problem)}");
            failed += problem is null ? 0 : 1;
        }

        await using var db = Open(database);
        var applied = await db.Database.SqlQueryRaw<string>("SELECT \"MigrationId\" AS \"Value\" FROM \"__EFMigrationsHistory\"").ToListAsync();
        var known = db.Database.GetMigrations().ToList();
        Report($"migrations run once ({known.Count} migrations, {servers.Count} processes started together)",
            applied.Count == known.Count && applied.Order().SequenceEqual(known.Order()) ? null : $"history holds {applied.Count} rows for {known.Count} migrations");
        var calendars = await db.CalendarVersions.CountAsync();
        Report("start-up seeds written once", calendars == 1 ? null : $"{calendars} calendar versions");

        // Races: each step of each dossier sent to two processes at the same instant, with two keys
        // (one 200, one 409) or with one key (the first answer twice).
        var raced = await ReceiveAsync(servers, 30, 8, []);
        var raceProblems = new ConcurrentQueue<string>();
        await Task.WhenAll(raced.Select((dossier, index) => Task.Run(async () =>
        {
            var current = dossier;
            for (var step = 0; step < Steps.Length; step++)
            {
                var (activity, key) = Steps[step];
                var task = TaskOf(current, activity);
                var version = current["version"]!.GetValue<int>();
                var shared = (index + step) % 2 == 0;
                var keyA = Guid.NewGuid().ToString();
                var answers = await Task.WhenAll(
                    SendAsync(servers.Client(index + step), $"/api/tasks/{task}/complete", key, new { outcome = "Done", comment = "race" }, version, keyA),
                    SendAsync(servers.Client(index + step + 1), $"/api/tasks/{task}/complete", key, new { outcome = "Done", comment = "race" }, version, shared ? keyA : Guid.NewGuid().ToString()));
                var winners = answers.Where(a => a.Status == HttpStatusCode.OK).ToList();
                var ok = shared
                    ? winners.Count == 2 && winners[0].Body == winners[1].Body
                    : winners.Count == 1 && answers.Count(a => a.Status == HttpStatusCode.Conflict) == 1;
                if (!ok)
                {
                    raceProblems.Enqueue($"{activity} ({(shared ? "one key" : "two keys")}): {string.Join(" / ", answers.Select(a => (int)a.Status))}");
                }

                if (winners.Count == 0)
                {
                    return;
                }

                current = JsonNode.Parse(winners[0].Body)!.AsObject();
                acknowledged.Add(new Acknowledged(current["id"]!.GetValue<string>(), task, current["version"]!.GetValue<int>()));
            }
        })));
        Report($"races between processes: {raced.Count * Steps.Length} steps each sent to two processes at once (two keys: one 200 and one 409; one key: the first answer twice)",
            raceProblems.IsEmpty ? null : $"{raceProblems.Count} wrong, e.g. {raceProblems.First()}");
        loaded.AddRange(raced);

        // Every acknowledged completion once in its dossier's journal, no other; journals contiguous;
        // versions moved once per completion.
        var ids = loaded.Select(d => d["id"]!.GetValue<string>()).ToList();
        var byDossier = acknowledged.GroupBy(a => a.DossierId).ToDictionary(g => g.Key, g => g.ToList());
        var journals = (await db.Journal.AsNoTracking().Where(j => ids.Contains(j.DossierId))
                .Select(j => new { j.DossierId, j.Sequence, j.Type, j.TaskId }).ToListAsync())
            .ToLookup(j => j.DossierId);
        var versions = await db.Dossiers.AsNoTracking().Where(d => ids.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Version);
        int gaps = 0, lost = 0, duplicated = 0, versionsOff = 0, completions = 0;
        foreach (var dossier in loaded)
        {
            var id = dossier["id"]!.GetValue<string>();
            var journal = journals[id].OrderBy(j => j.Sequence).ToList();
            gaps += journal.Select(j => j.Sequence).SequenceEqual(Enumerable.Range(1, journal.Count)) ? 0 : 1;
            var inJournal = journal.Where(j => j.Type == "TaskCompleted").Select(j => j.TaskId!).ToList();
            var told = byDossier.TryGetValue(id, out var list) ? list.Select(a => a.TaskId).ToList() : [];
            completions += told.Count;
            lost += told.Except(inJournal).Count();
            duplicated += inJournal.Count - inJournal.Distinct().Count() + inJournal.Except(told).Count();
            versionsOff += versions[id] == dossier["version"]!.GetValue<int>() + told.Count ? 0 : 1;
        }

        Report($"journals of {loaded.Count} dossiers without gap or repeated sequence", gaps == 0 ? null : $"{gaps} dossiers");
        Report($"{completions} acknowledged completions each in the journal exactly once", lost + duplicated == 0 ? null : $"{lost} lost, {duplicated} duplicated or unacknowledged");
        Report("every dossier's version = receipt version + completions applied", versionsOff == 0 ? null : $"{versionsOff} dossiers off");

        // Deadlines: paper dossiers entered late by a leader are due at once; the clustered Quartz
        // schedulers of all processes must fire each exactly once.
        var late = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var answer = await SendAsync(servers.Client(i), "/api/dossiers", "dev-leader-key", NewDossier(DateTimeOffset.UtcNow.AddDays(-20)), null, Guid.NewGuid().ToString());
            late.Add(JsonNode.Parse(Expect(answer, HttpStatusCode.Created))!["id"]!.GetValue<string>());
        }

        var watch = Stopwatch.StartNew();
        while (await db.Deadlines.CountAsync(d => late.Contains(d.DossierId) && d.Status == "Pending" && d.FireAt <= DateTime.UtcNow) > 0 && watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(250);
        }

        var deadlines = await db.Deadlines.AsNoTracking().Where(d => late.Contains(d.DossierId)).ToListAsync();
        var notifications = await db.Notifications.AsNoTracking().Where(n => late.Contains(n.DossierId)).Select(n => n.DeadlineId).ToListAsync();
        var due = deadlines.Count(d => d.FireAt <= DateTime.UtcNow.AddSeconds(-1));
        var fired = deadlines.Where(d => d.Status == "Fired").Select(d => d.Id).ToHashSet();
        var schedulers = await db.Database.SqlQueryRaw<string>("SELECT instance_name AS \"Value\" FROM qrtz_scheduler_state").ToListAsync();
        Report($"deadlines fired exactly once by {schedulers.Distinct().Count()} clustered scheduler(s): {due} due, {fired.Count} fired in {watch.Elapsed.TotalSeconds:0.0} s, {notifications.Count} notifications",
            due >= 2 * late.Count && fired.Count >= due && notifications.Count == fired.Count && notifications.ToHashSet().SetEquals(fired) && schedulers.Distinct().Count() == servers.Count
                ? null
                : "a due deadline was not fired, fired twice, or a process did not join the cluster");
        return failed;
    }

    private static async Task<List<JsonObject>> ReceiveAsync(ServerGroup servers, int count, int concurrency, List<double> latencies)
    {
        var received = new ConcurrentBag<JsonObject>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(clerk => Task.Run(async () =>
        {
            var local = new List<double>();
            while (Interlocked.Increment(ref next) <= count)
            {
                var watch = Stopwatch.StartNew();
                var answer = await SendAsync(servers.Client(clerk), "/api/dossiers", "dev-counter-key", NewDossier(null), null, Guid.NewGuid().ToString());
                received.Add(JsonNode.Parse(Expect(answer, HttpStatusCode.Created))!.AsObject());
                local.Add(watch.Elapsed.TotalMilliseconds);
            }

            lock (latencies)
            {
                latencies.AddRange(local);
            }
        })));
        return [.. received];
    }

    /// <summary>Clerk i works on process i mod n, for the whole run.</summary>
    private static async Task CompleteAsync(ServerGroup servers, List<JsonObject> dossiers, int concurrency, List<double> latencies, ConcurrentBag<Acknowledged> acknowledged)
    {
        var queue = new ConcurrentQueue<JsonObject>(dossiers);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(clerk => Task.Run(async () =>
        {
            var local = new List<double>();
            var http = servers.Client(clerk);
            // Read as on SQLite (ClerkCalls): timed to the answer's last byte, so the client's
            // decoding and parsing, on the same two cores, is not counted as the server's.
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                while (queue.TryDequeue(out var dossier))
                {
                    foreach (var (activity, key) in Steps)
                    {
                        var task = TaskOf(dossier, activity);
                        using var request = ClerkCalls.Post($"/api/tasks/{task}/complete", key, new { outcome = "Done", comment = "benchmark" }, dossier["version"]!.GetValue<int>(), Guid.NewGuid().ToString());
                        var watch = Stopwatch.StartNew();
                        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                        (buffer, var length) = await ClerkCalls.ReadBodyAsync(response, buffer);
                        local.Add(watch.Elapsed.TotalMilliseconds);
                        dossier = ClerkCalls.Next(response, buffer.AsMemory(0, length));
                        acknowledged.Add(new Acknowledged(dossier["id"]!.GetValue<string>(), task, dossier["version"]!.GetValue<int>()));
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            lock (latencies)
            {
                latencies.AddRange(local);
            }
        })));
    }

    private static string TaskOf(JsonObject dossier, string activity) =>
        dossier["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == activity)!["id"]!.GetValue<string>();

    private static object NewDossier(DateTimeOffset? receivedAt) => new
    {
        procedureCode = "birth-registration",
        applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111" },
        channel = "direct",
        receivingUnit = "HCC-BINHSON",
        receivedAt,
    };

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, string path, string key, object body, int? version, string idempotencyKey)
    {
        using var request = ClerkCalls.Post(path, key, body, version, idempotencyKey);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Expect((HttpStatusCode Status, string Body) answer, HttpStatusCode expected) =>
        answer.Status == expected ? answer.Body : throw new InvalidOperationException($"expected {expected}, got {(int)answer.Status}: {answer.Body}");

    private static ProcessServerDbContext Open(string connectionString)
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = connectionString });
        return new ProcessServerDbContext(builder.Options);
    }

    private sealed record Acknowledged(string DossierId, string TaskId, int Version);

    /// <summary>N server processes on one database, launched at the same moment.</summary>
    private sealed class ServerGroup : IAsyncDisposable
    {
        private readonly List<BenchServer> _servers = [];
        private readonly string _work = Directory.CreateTempSubdirectory("processserver-bench-pg-").FullName;

        public int Count => _servers.Count;

        public double StartSeconds { get; private set; }

        /// <summary>The client of process i mod n.</summary>
        public HttpClient Client(int index) => _servers[index % _servers.Count].Http;

        public static async Task<ServerGroup> StartAsync(int count, string connectionString)
        {
            var group = new ServerGroup();
            var watch = Stopwatch.StartNew();
            var starting = Enumerable.Range(0, count)
                .Select(i => BenchServer.StartAsync(Path.Combine(group._work, $"server-{i}"), connectionString, ["--Database:Provider", "Postgres"], label: $"server {i}"))
                .ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            catch
            {
                // The ones that did start are stopped with the group.
                group._servers.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
                await group.DisposeAsync();
                throw;
            }

            group._servers.AddRange(starting.Select(t => t.Result));
            group.StartSeconds = watch.Elapsed.TotalSeconds;
            return group;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var server in _servers)
            {
                await server.DisposeAsync();
            }

            Directory.Delete(_work, recursive: true);
        }
    }
}
