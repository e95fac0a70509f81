using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using static Samples;

/// <summary>
/// Step completions through the clerk API against what SQLite itself commits for the same writes
/// (<see cref="StoreLimit"/>), interleaved in rounds at each concurrency, on a warm server.
/// Receipts are made before the completions of a level and timed apart; only completions count
/// in completions/s.
/// </summary>
internal static class ThroughputBenchmark
{
    private static readonly (string Activity, string Key)[] Steps = [("register", "dev-commune-key"), ("sign", "dev-commune-key"), ("returnResult", "dev-counter-key")];

    public static async Task RunAsync(HttpClient http, string work, string serverDb, int dossiers, int rounds, int warmUp, int[] levels)
    {
        Console.WriteLine($"throughput: {dossiers} birth-registration dossiers (x3 completions) per level and round, {rounds} rounds, concurrency {string.Join("/", levels)}");
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");

        var warmDossiers = await WarmUpAsync(http, warmUp);

        var stateLength = await ScalarAsync(serverDb, "SELECT CAST(AVG(length(\"StateJson\")) AS INTEGER) FROM \"Dossiers\"");
        var recordLength = await ScalarAsync(serverDb, "SELECT CAST(AVG(length(\"ResponseBody\")) AS INTEGER) FROM \"IdempotencyRecords\"");
        Console.WriteLine($"server rows after warm-up: dossier state {stateLength} chars, idempotency record body {recordLength} chars on average");
        // What storing each journal entry's view costs in space (Journal.ViewJson).
        var (views, entries) = (await ScalarAsync(serverDb, "SELECT SUM(length(\"ViewJson\")) FROM \"Journal\""), await ScalarAsync(serverDb, "SELECT COUNT(*) FROM \"Journal\""));
        var databaseBytes = await ScalarAsync(serverDb, "PRAGMA page_count") * await ScalarAsync(serverDb, "PRAGMA page_size");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"journal: {entries / (double)Math.Max(1, warmDossiers.Count):0.0} entries per dossier, stored views {views / (double)Math.Max(1, entries):0} bytes per entry, {100.0 * views / Math.Max(1, databaseBytes):0.0} % of the database's {databaseBytes / 1048576.0:0.0} MB"));

        await using var limit = await StoreLimit.CreateAsync(work, (int)stateLength);
        var results = new Dictionary<int, List<LevelResult>>();
        var oneClerk = new List<OneClerk>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var concurrency in levels)
            {
                var store = await LimitAsync(limit, dossiers, concurrency);
                var receipts = new List<double>();
                var received = Stopwatch.StartNew();
                var fresh = await ReceiveAsync(http, dossiers, concurrency, receipts);
                var receiptRate = dossiers / received.Elapsed.TotalSeconds;
                var completions = new List<double>();
                var spent = concurrency == 1 ? await SpentAsync(http) : default;
                var clock = Stopwatch.StartNew();
                await CompleteAsync(http, fresh, concurrency, completions);
                var server = new Measure(completions.Count / clock.Elapsed.TotalSeconds, Quantile(completions, 0.5), Quantile(completions, 0.99));
                var result = new LevelResult(store, server, new Measure(receiptRate, Quantile(receipts, 0.5), Quantile(receipts, 0.99)));
                (results.TryGetValue(concurrency, out var list) ? list : results[concurrency] = []).Add(result);
                Console.WriteLine($"round {round} c={concurrency,-3} limit {store}  server {server}  ratio {server.PerSecond / store.PerSecond:0.000}  (receipts {result.Receipts})");
                if (concurrency == 1)
                {
                    oneClerk.Add(await OneClerkAsync(http, spent, completions.Count, server, store));
                    Console.WriteLine(oneClerk[^1].Line("one clerk"));
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine($"medians of {rounds} rounds (load after: {File.ReadAllText("/proc/loadavg").Trim()})");
        Console.WriteLine("| clerks | limit tx/s | limit p50 / p99 ms | server completions/s | server p50 / p99 ms | server / limit | receipts/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var concurrency in levels)
        {
            var list = results[concurrency];
            var ratio = Median(list.Select(r => r.Server.PerSecond / r.Limit.PerSecond));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {concurrency} | {Median(list.Select(r => r.Limit.PerSecond)):0} | {Median(list.Select(r => r.Limit.P50)):0.00} / {Median(list.Select(r => r.Limit.P99)):0.00} | {Median(list.Select(r => r.Server.PerSecond)):0.0} | {Median(list.Select(r => r.Server.P50)):0.00} / {Median(list.Select(r => r.Server.P99)):0.00} | {ratio:0.000} | {Median(list.Select(r => r.Receipts.PerSecond)):0.0} |"));
        }

        if (oneClerk.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine(new OneClerk(Median(oneClerk.Select(o => o.Cycle)), Median(oneClerk.Select(o => o.Request)), Median(oneClerk.Select(o => o.Batch)),
                Median(oneClerk.Select(o => o.EmptyRequest)), Median(oneClerk.Select(o => o.LimitTransaction)), Median(oneClerk.Select(o => o.KeptShare)))
                .Line($"one clerk, medians of {oneClerk.Count} rounds"));
        }
    }

    /// <summary>
    /// Where one clerk's completion time goes, in means per completion: the client's whole cycle
    /// (1 / completions per second), the server's own request time (ASP.NET Core's
    /// http.server.request.duration) and, inside it, the group commit's batch (reads, decision,
    /// statements, commit; processserver.group_commit.batch.duration); against the round trip of a
    /// request that does nothing (GET /health, the same client) and the limit's whole transaction.
    /// With one clerk nothing overlaps (each batch holds that clerk's one change), so the ratio to
    /// the limit can be read off these parts. Also the share of the completions made on the rows
    /// the server kept from the dossier's last change instead of reading them
    /// (processserver.kept_rows): the deadline scheduler's commits drop those rows every second, so
    /// a dossier's first step after its receipt, a second or more earlier, reads them (BENCHMARKS.md).
    /// </summary>
    private sealed record OneClerk(double Cycle, double Request, double Batch, double EmptyRequest, double LimitTransaction, double KeptShare)
    {
        public string Line(string label) => string.Create(CultureInfo.InvariantCulture,
            $"  {label}: a completion every {Cycle:0.000} ms = the server's request {Request:0.000} (its batch: reads, decision, statements and commit {Batch:0.000}; the rest {Request - Batch:0.000}) + wire and client {Cycle - Request:0.000}; an empty request's round trip {EmptyRequest:0.000} ms; the limit's transaction {LimitTransaction:0.000} ms; rows kept from the dossier's last change for {KeptShare:0%} of the completions");
    }

    private static async Task<(double RequestSeconds, double BatchSeconds, double Batches, double Kept, double Read)> SpentAsync(HttpClient http)
    {
        var lines = await ScrapeAsync(http);
        // A counter's series appears with its first count: none yet is zero.
        return (Sum(lines, "http_server_request_duration_seconds_sum", CompleteRoute),
            Sum(lines, "processserver_group_commit_batch_duration_seconds_sum"), Sum(lines, "processserver_group_commit_batch_duration_seconds_count"),
            SumOrZero(lines, "processserver_kept_rows_total", "source=\"kept\""), SumOrZero(lines, "processserver_kept_rows_total", "source=\"read\""));
    }

    private static async Task<OneClerk> OneClerkAsync(HttpClient http, (double RequestSeconds, double BatchSeconds, double Batches, double Kept, double Read) before,
        int completions, Measure server, Measure limit)
    {
        var after = await SpentAsync(http);
        // An empty request, read as a completion's answer is (ClerkCalls), one at a time.
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var empty = Stopwatch.StartNew();
        const int EmptyRequests = 2000;
        try
        {
            for (var i = 0; i < EmptyRequests; i++)
            {
                using var response = await http.GetAsync("/health", HttpCompletionOption.ResponseHeadersRead);
                (buffer, _) = await ClerkCalls.ReadBodyAsync(response, buffer);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new OneClerk(1000 / server.PerSecond, (after.RequestSeconds - before.RequestSeconds) * 1000 / completions,
            (after.BatchSeconds - before.BatchSeconds) * 1000 / Math.Max(1, after.Batches - before.Batches), empty.Elapsed.TotalMilliseconds / EmptyRequests, 1000 / limit.PerSecond,
            (after.Kept - before.Kept) / Math.Max(1, after.Kept - before.Kept + after.Read - before.Read));
    }

    /// <summary>
    /// What one completion costs beside its latency: bytes allocated in the server process per
    /// completion (read from .NET's own counter, dotnet.gc.heap.total_allocated, on the server's
    /// /metrics before and after the completions), and whether the cost grows with the dossier's
    /// journal: the same completions on fresh dossiers (a journal of a few entries) and on
    /// dossiers whose journals were padded to <paramref name="journalLength"/> entries by SQL copies
    /// of a finished dossier's journal, interleaved in rounds. Latency long / short is read from a
    /// third phase of each round that takes the two kinds in turns (<see cref="InterleavedAsync"/>).
    /// </summary>
    public static async Task DetailAsync(HttpClient http, string serverDb, int dossiers, int rounds, int warmUp, int journalLength, int concurrency)
    {
        Console.WriteLine($"throughput-detail: {dossiers} dossiers (x3 completions) per kind and round, {rounds} rounds, journals of a few vs {journalLength} entries, {concurrency} clerks");
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}");
        var warmDossiers = await WarmUpAsync(http, warmUp);
        var template = warmDossiers[0]["id"]!.GetValue<string>();

        var results = new Dictionary<bool, List<(Measure Server, double Bytes, double Journal, double FirstP50, double LaterP50)>> { [false] = [], [true] = [] };
        var mixed = new List<(double Short, double Long, double ShortLater, double LongLater)>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var padded in new[] { false, true })
            {
                var fresh = padded ? await ReceivePaddedAsync(http, serverDb, template, dossiers, journalLength) : await ReceiveAsync(http, dossiers, 4, []);
                var ids = fresh.Select(d => d["id"]!.GetValue<string>()).ToList();

                if (padded && round == 1)
                {
                    await CheckPaddedViewsAsync(http, serverDb, ids[0]);
                }

                var journal = await ScalarAsync(serverDb,
                    $"SELECT COUNT(*) FROM \"Journal\" WHERE \"DossierId\" IN ({string.Join(",", ids.Select(id => $"'{id}'"))})") / (double)ids.Count;
                var before = await RuntimeAsync(http);
                var clientBefore = ClientCollections();
                var completions = new List<double>();
                var (firstSteps, later) = (new List<double>(), new List<double>());
                var clock = Stopwatch.StartNew();
                await CompleteAsync(http, fresh, concurrency, completions, firstSteps, later);
                var server = new Measure(completions.Count / clock.Elapsed.TotalSeconds, Quantile(completions, 0.5), Quantile(completions, 0.99));
                var clientAfter = ClientCollections();
                var after = await RuntimeAsync(http);
                var bytes = (after.Allocated - before.Allocated) / (double)completions.Count;
                var (pauses, collections) = ((after.PauseSeconds - before.PauseSeconds) * 1000 / completions.Count, (after.Collections - before.Collections) * 1000.0 / completions.Count);
                // The server's own measure of the same requests (ASP.NET Core's request duration, a
                // mean): what the journal costs the server, apart from the wire and the client.
                var serverSide = (after.CompleteSeconds - before.CompleteSeconds) * 1000 / Math.Max(1, after.Completes - before.Completes);
                results[padded].Add((server, bytes, journal, Quantile(firstSteps, 0.5), Quantile(later, 0.5)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round} journal {journal,5:0.0} entries before: server {server}  allocated {bytes / 1024,7:0.0} KB/completion  GC {collections:0.0} collections and {pauses * 1000:0} ms paused per 1000  p50 first step {Quantile(firstSteps, 0.5):0.00} later steps {Quantile(later, 0.5):0.00} ms  server-side mean {serverSide:0.00} ms  client GC gen0/1/2 {clientAfter.Gen0 - clientBefore.Gen0}/{clientAfter.Gen1 - clientBefore.Gen1}/{clientAfter.Gen2 - clientBefore.Gen2}"));
            }

            mixed.Add(await InterleavedAsync(http, serverDb, template, dossiers, journalLength, concurrency));
            var m = mixed[^1];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round} interleaved: p50 short {m.Short:0.00} long {m.Long:0.00} ms, long / short {m.Long / m.Short:0.00}; later steps {m.ShortLater:0.00} / {m.LongLater:0.00} ms, {m.LongLater / m.ShortLater:0.00}"));
        }

        Console.WriteLine();
        Console.WriteLine($"medians of {rounds} rounds (load after: {File.ReadAllText("/proc/loadavg").Trim()})");
        Console.WriteLine("| journal entries before | completions/s | p50 / p99 ms | allocated KB per completion | p50 first step / later steps ms |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (_, list) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Median(list.Select(r => r.Journal)):0} | {Median(list.Select(r => r.Server.PerSecond)):0.0} | {Median(list.Select(r => r.Server.P50)):0.00} / {Median(list.Select(r => r.Server.P99)):0.00} | {Median(list.Select(r => r.Bytes)) / 1024:0.0} | {Median(list.Select(r => r.FirstP50)):0.00} / {Median(list.Select(r => r.LaterP50)):0.00} |"));
        }

        var ratio = Median(results[true].Select(r => r.Server.P50)) / Median(results[false].Select(r => r.Server.P50));
        var laterRatio = Median(results[true].Select(r => r.LaterP50)) / Median(results[false].Select(r => r.LaterP50));
        // The first step of a padded dossier reads the journal its padding wrote (as the first change after a restart reads it); later steps find it kept.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p50 long / short journal: {ratio:0.00} (later steps only: {laterRatio:0.00})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"p50 long / short journal, interleaved (the comparison to read): {Median(mixed.Select(m => m.Long / m.Short)):0.00} (later steps only: {Median(mixed.Select(m => m.LongLater / m.ShortLater)):0.00})"));
    }

    /// <summary>Receives dossiers and pads their journals (<see cref="PadJournalsAsync"/>); the padding bumps each one's version, and so does the copy here.</summary>
    private static async Task<List<JsonObject>> ReceivePaddedAsync(HttpClient http, string serverDb, string template, int dossiers, int journalLength)
    {
        var received = await ReceiveAsync(http, dossiers, 4, []);
        await PadJournalsAsync(serverDb, template, received.Select(d => d["id"]!.GetValue<string>()).ToList(), journalLength);
        foreach (var dossier in received)
        {
            dossier["version"] = dossier["version"]!.GetValue<int>() + 1;
        }

        return received;
    }

    /// <summary>
    /// The latency of completions on short and on padded journals taken in turns, one dossier of
    /// each kind after the other, so the machine's drift within minutes (often larger than what the
    /// journal costs) touches both alike; the separate phases above are kept for their allocation,
    /// which no drift moves. Returns the p50 of each kind, and of its later steps (the journal kept).
    /// </summary>
    private static async Task<(double Short, double Long, double ShortLater, double LongLater)> InterleavedAsync(HttpClient http, string serverDb, string template,
        int dossiers, int journalLength, int concurrency)
    {
        var fresh = await ReceiveAsync(http, dossiers, 4, []);
        var padded = await ReceivePaddedAsync(http, serverDb, template, dossiers, journalLength);
        var turns = fresh.Select(d => (Long: false, Dossier: d)).Zip(padded.Select(d => (Long: true, Dossier: d)), (a, b) => new[] { a, b })
            .SelectMany(pair => pair).ToList();
        var (all, later) = (new ConcurrentBag<(bool Long, double Ms)>(), new ConcurrentBag<(bool Long, double Ms)>());
        var queue = new ConcurrentQueue<(bool Long, JsonObject Dossier)>(turns);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (queue.TryDequeue(out var turn))
            {
                await CompleteStepsAsync(http, turn.Dossier, (firstStep, ms) =>
                {
                    all.Add((turn.Long, ms));
                    if (!firstStep)
                    {
                        later.Add((turn.Long, ms));
                    }
                });
            }
        }));

        double P50(ConcurrentBag<(bool Long, double Ms)> samples, bool isLong) => Quantile(samples.Where(x => x.Long == isLong).Select(x => x.Ms).ToList(), 0.5);
        return (P50(all, false), P50(all, true), P50(later, false), P50(later, true));
    }

    /// <summary>
    /// Appends copies of <paramref name="template"/>'s journal to each dossier until it holds about
    /// <paramref name="length"/> entries, and bumps each dossier's version once, as the changes that
    /// wrote such a history would have (the server relies on it: a dossier still at the version its
    /// kept journal was whole at has no journal to read).
    /// </summary>
    private static async Task PadJournalsAsync(string serverDb, string template, List<string> ids, int length)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = serverDb, Pooling = false, DefaultTimeout = 30 }.ToString());
        await connection.OpenAsync();
        var templateLength = (int)await ScalarAsync(connection, $"SELECT COUNT(*) FROM \"Journal\" WHERE \"DossierId\" = '{template}'");
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var id in ids)
        {
            var last = (int)await ScalarAsync(connection, $"SELECT MAX(\"Sequence\") FROM \"Journal\" WHERE \"DossierId\" = '{id}'");
            var copies = Math.Max(1, (length - last) / templateLength);
            var sequence = $"{last} + (n.i - 1) * {templateLength} + t.\"Sequence\"";
            await TemplateRows.CopyAsync(connection, "Journal", "\"DossierId\" = $template", new Dictionary<string, string>
            {
                ["DossierId"] = $"'{id}'",
                ["Sequence"] = sequence,
                // The stored view of a copy (UTF-8 JSON) names the copy's sequence number, its first property.
                ["ViewJson"] = $"CAST('{{\"sequence\":' || ({sequence}) || substr(CAST(t.\"ViewJson\" AS TEXT), instr(CAST(t.\"ViewJson\" AS TEXT), ',')) AS BLOB)",
            }, template, copies);
            await using var bump = connection.CreateCommand();
            bump.CommandText = $"UPDATE \"Dossiers\" SET \"Version\" = \"Version\" + 1 WHERE \"Id\" = '{id}'";
            await bump.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    /// <summary>
    /// Stops the benchmark unless every padded entry's stored view (what the server's answers
    /// write for it) is the entry as the dossier view renders it from its columns.
    /// </summary>
    private static async Task CheckPaddedViewsAsync(HttpClient http, string serverDb, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/dossiers/{id}");
        request.Headers.Add("X-Api-Key", "dev-admin-key");
        using var response = await http.SendAsync(request);
        using var view = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var stored = new Dictionary<int, string>();
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = serverDb, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT \"Sequence\", \"ViewJson\" FROM \"Journal\" WHERE \"DossierId\" = '{id}'";
            await using var rows = await command.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                stored[rows.GetInt32(0)] = rows.IsDBNull(1) ? "" : System.Text.Encoding.UTF8.GetString((byte[])rows.GetValue(1));
            }
        }

        var entries = view.RootElement.GetProperty("journal").EnumerateArray().ToList();
        var differ = entries.Count(e => stored.GetValueOrDefault(e.GetProperty("sequence").GetInt32()) != e.GetRawText());
        Console.WriteLine($"padded journal of {id}: {entries.Count} entries, {differ} whose stored view differs from the dossier view");
        if (differ > 0 || entries.Count != stored.Count)
        {
            throw new InvalidOperationException("the padded journal's stored views are not what the dossier view shows; the figures would not be the server's");
        }
    }

    /// <summary>
    /// Warms the server up until its JIT is done, not for a fixed count: tiered compilation keeps
    /// recompiling hot methods (instrumented, then optimised) for tens of seconds under load, and a
    /// measurement taken meanwhile shows the compiler's work (15 % of the server's CPU in a perf
    /// profile after 1,500 completions), which a server running all day does not pay. Completes
    /// steps in batches of 300 at 4 clerks, at least <paramref name="minimum"/> dossiers' worth,
    /// until two batches in a row compile fewer than <see cref="QuietJit"/> methods each (the
    /// server's own counter, dotnet.jit.compiled_methods) or three minutes have passed; then lets
    /// the compiler's backlog drain while the server is idle (<see cref="SettleJitAsync"/>).
    /// </summary>
    /// <returns>The warm-up's dossiers, all finished.</returns>
    private static async Task<List<JsonObject>> WarmUpAsync(HttpClient http, int minimum)
    {
        const int batch = 100;
        var clock = Stopwatch.StartNew();
        var dossiers = new List<JsonObject>();
        var compiled = await JitCompiledAsync(http);
        var quiet = 0;
        while (true)
        {
            var next = await ReceiveAsync(http, batch, 4, []);
            await CompleteAsync(http, next, 4, []);
            dossiers.AddRange(next);
            var now = await JitCompiledAsync(http);
            var (during, done) = (now - compiled, dossiers.Count >= minimum);
            compiled = now;
            Console.Write($"\rwarm-up: {dossiers.Count * 3} completions, {clock.Elapsed.TotalSeconds:0} s, {during} methods compiled in the last {batch * 3}   ");
            quiet = during < QuietJit ? quiet + 1 : 0;
            if ((done && quiet >= 2) || clock.Elapsed > TimeSpan.FromMinutes(3))
            {
                Console.WriteLine();
                Console.WriteLine($"warm-up: {dossiers.Count * 3} completions in {clock.Elapsed.TotalSeconds:0.0} s; its last {batch * 3} compiled {during} methods" +
                    (quiet >= 2 ? "" : " (stopped at three minutes; the JIT was not yet quiet)") + $"; {await SettleJitAsync(http)} more while idle");
                return dossiers;
            }
        }
    }

    /// <summary>
    /// Waits, reading the server's JIT counter at most eight times more (each scrape waits its
    /// 1.2 s, <see cref="ScrapeAsync"/>, so about ten seconds at most), until it stops moving;
    /// returns how many methods were compiled meanwhile. The tiering compiler queues hot methods
    /// for recompilation and works through the queue in the background once the server is quiet:
    /// a perf profile showed that backlog (a second of CPU and more) compiled during the limit's
    /// timing, which shares the two cores, and at the start of the first timed completions.
    /// </summary>
    private static async Task<long> SettleJitAsync(HttpClient http)
    {
        var start = await JitCompiledAsync(http);
        var last = start;
        for (var poll = 0; poll < 8; poll++)
        {
            var now = await JitCompiledAsync(http);
            if (now - last < 3)
            {
                break;
            }

            last = now;
        }

        return last - start;
    }

    /// <summary>Collections of each generation in this process (the benchmark's client) so far.</summary>
    private static (int Gen0, int Gen1, int Gen2) ClientCollections() => (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    /// <summary>The label of a step completion's series in the server's request metrics.</summary>
    private const string CompleteRoute = "http_route=\"/api/tasks/{taskId}/complete\"";

    /// <summary>Methods a warm-up batch may still compile for the JIT to count as done (background work: the job scheduler, the metrics scrape).</summary>
    private const int QuietJit = 30;

    /// <summary>Methods the server's JIT has compiled since it started, from its /metrics.</summary>
    private static Task<long> JitCompiledAsync(HttpClient http) => MetricAsync(http, "dotnet_jit_compiled_methods");

    /// <summary>
    /// The server runtime's own counters from one scrape: bytes allocated, seconds its threads were
    /// paused for garbage collection, and collections of all generations (Prometheus names of the
    /// System.Runtime meter).
    /// </summary>
    private static async Task<(long Allocated, double PauseSeconds, long Collections, double CompleteSeconds, long Completes)> RuntimeAsync(HttpClient http)
    {
        var lines = await ScrapeAsync(http);
        return ((long)Sum(lines, "dotnet_gc_heap_total_allocated"), Sum(lines, "dotnet_gc_pause_time"), (long)Sum(lines, "dotnet_gc_collections"),
            Sum(lines, "http_server_request_duration_seconds_sum", CompleteRoute), (long)Sum(lines, "http_server_request_duration_seconds_count", CompleteRoute));
    }

    /// <summary>A counter of the server's runtime, from its /metrics.</summary>
    private static async Task<long> MetricAsync(HttpClient http, string name) => (long)Sum(await ScrapeAsync(http), name);

    /// <summary>The lines of the server's /metrics (the scrape is cached briefly, hence the pause).</summary>
    private static async Task<string[]> ScrapeAsync(HttpClient http)
    {
        await Task.Delay(1200);
        return (await http.GetStringAsync("/metrics")).Split('\n');
    }

    /// <summary>The sum of a metric's series (one per label set) in a scrape.</summary>
    private static double SumOrZero(string[] lines, string name, string labels) =>
        lines.Any(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(labels, StringComparison.Ordinal)) ? Sum(lines, name, labels) : 0;

    private static double Sum(string[] lines, string name, string? labels = null)
    {
        var series = lines.Where(l => l.StartsWith(name, StringComparison.Ordinal) && (labels is null || l.Contains(labels, StringComparison.Ordinal))).ToList();
        return series.Count == 0
            ? throw new InvalidOperationException($"the server's /metrics has no {name} (is OpenTelemetry:PrometheusEndpoint on?)")
            : series.Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync() is long value ? value : 0;
    }

    private static async Task<Measure> LimitAsync(StoreLimit limit, int dossiers, int concurrency)
    {
        var seeded = new ConcurrentQueue<LimitDossier>();
        for (var i = 0; i < dossiers; i++)
        {
            seeded.Enqueue(await limit.SeedAsync());
        }

        var latencies = new ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (seeded.TryDequeue(out var dossier))
            {
                for (var step = 0; step < Steps.Length; step++)
                {
                    latencies.Add(await limit.CompleteAsync(dossier));
                }
            }
        })));
        var samples = latencies.ToList();
        return new Measure(samples.Count / clock.Elapsed.TotalSeconds, Quantile(samples, 0.5), Quantile(samples, 0.99));
    }

    private static async Task<List<JsonObject>> ReceiveAsync(HttpClient http, int count, int concurrency, List<double> latencies)
    {
        var received = new ConcurrentBag<JsonObject>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var local = new List<double>();
            while (Interlocked.Increment(ref next) <= count)
            {
                var watch = Stopwatch.StartNew();
                using var response = await Send(http, "/api/dossiers", "dev-counter-key", NewDossier(), null);
                received.Add(await Read(response, HttpStatusCode.Created));
                local.Add(watch.Elapsed.TotalMilliseconds);
            }

            lock (latencies)
            {
                latencies.AddRange(local);
            }
        }));
        return [.. received];
    }

    /// <summary>Completes a received dossier's three steps one after the other, handing each step's latency to <paramref name="record"/> (with whether it was the first).</summary>
    private static async Task CompleteStepsAsync(HttpClient http, JsonObject dossier, Action<bool, double> record)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(256 * 1024);
        try
        {
            foreach (var (activity, key) in Steps)
            {
                var task = dossier["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == activity)!;
                var watch = Stopwatch.StartNew();
                using var response = await Send(http, $"/api/tasks/{task["id"]}/complete", key,
                    new { outcome = "Done", comment = "benchmark" }, dossier["version"]!.GetValue<int>(), HttpCompletionOption.ResponseHeadersRead);
                (buffer, var length) = await ClerkCalls.ReadBodyAsync(response, buffer);
                // Latency ends with the answer's last byte; what the client then does with it is its own cost.
                record(activity == Steps[0].Activity, watch.Elapsed.TotalMilliseconds);
                dossier = ClerkCalls.Next(response, buffer.AsMemory(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task CompleteAsync(HttpClient http, List<JsonObject> dossiers, int concurrency, List<double> latencies, List<double>? firstSteps = null,
        List<double>? laterSteps = null)
    {
        var queue = new ConcurrentQueue<JsonObject>(dossiers);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            var local = new List<double>();
            var (first, later) = (new List<double>(), new List<double>());
            while (queue.TryDequeue(out var dossier))
            {
                await CompleteStepsAsync(http, dossier, (firstStep, ms) =>
                {
                    local.Add(ms);
                    (firstStep ? first : later).Add(ms);
                });
            }

            lock (latencies)
            {
                latencies.AddRange(local);
                firstSteps?.AddRange(first);
                laterSteps?.AddRange(later);
            }
        }));
    }

    private static object NewDossier() => new
    {
        procedureCode = "birth-registration",
        applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111" },
        channel = "direct",
        receivingUnit = "HCC-BINHSON",
    };

    private static async Task<HttpResponseMessage> Send(HttpClient http, string path, string key, object body, int? version,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        // The request (and its content) is the caller's to dispose once sent: HttpClient does not.
        using var request = ClerkCalls.Post(path, key, body, version, Guid.NewGuid().ToString());
        return await http.SendAsync(request, completion);
    }

    /// <summary>
    /// A receipt's answer as JSON, parsed from its buffered UTF-8 rather than from text (the client
    /// shares the machine's two cores with the server; see <see cref="ClerkCalls.ReadBodyAsync"/>).
    /// </summary>
    private static async Task<JsonObject> Read(HttpResponseMessage response, HttpStatusCode expected)
    {
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"expected {expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        return (await JsonNode.ParseAsync(body))!.AsObject();
    }

    private static async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync() is long value ? value : 0;
    }

    private sealed record LevelResult(Measure Limit, Measure Server, Measure Receipts);
}
