using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

// Benchmarks through the real HTTP API on SQLite. The server runs as its own process on loopback,
// exactly as `dotnet run` would start it, on a fresh database file; this program is its only client.
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- throughput [dossiers per level] [rounds] [least warm-up dossiers] [levels, e.g. 1,4,16,64]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- throughput-detail [dossiers per kind] [rounds] [least warm-up dossiers] [journal entries] [clerks]
// (the throughput benchmarks warm the server up until its JIT is quiet, at least that many dossiers: see ThroughputBenchmark.WarmUpAsync)
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- versions [versions] [dossiers]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- deadlines [dossiers]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- per-trigger [triggers] [seconds]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- definitions [activities]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- import [dossiers]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- outbox [status changes] [per second] [portal ms]
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- inbox [big unit's tasks] [small unit's tasks]
var mode = args.Length > 0 ? args[0] : "throughput";
if (mode == "odata") { await ODataBenchmark.RunAsync(args); return; }
if (mode == "outbox") { await OutboxBenchmark.RunAsync(args); return; }
if (mode == "throughput-pg") { Environment.ExitCode = await PostgresThroughputBenchmark.RunAsync(args); return; }
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

if (mode == "deadlines")
{
    // Builds its own database and starts the server itself (twice): see DeadlinesBenchmark.
    await DeadlinesBenchmark.RunAsync(Arg(1, 100_000));
    return;
}

if (mode == "import")
{
    // History import of a legacy file through POST /api/imports: see ImportBenchmark.
    await ImportBenchmark.RunAsync(Arg(1, 100_000));
    return;
}

if (mode == "inbox")
{
    // Builds its own database and starts the server itself: see InboxBenchmark.
    await InboxBenchmark.RunAsync(Arg(1, 50_000), Arg(2, 500));
    return;
}

if (mode == "per-trigger")
{
    // The design not taken (one Quartz trigger per deadline), measured on Quartz alone.
    await PerTriggerExperiment.RunAsync(Arg(1, 10_000), Arg(2, 10));
    return;
}

var work = Directory.CreateTempSubdirectory("processserver-bench-");
var server = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(Path.Combine(work.FullName, "bench.db")),
    // The throughput benchmarks read the server's own runtime counters on /metrics (methods the JIT compiled, bytes allocated).
    mode.StartsWith("throughput", StringComparison.Ordinal) ? ["--OpenTelemetry:PrometheusEndpoint", "true"] : null);
var http = server.Http;
try
{
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; SQLite at {work.FullName}");
    if (mode == "versions")
    {
        await VersionsBenchmark(http, Arg(1, 500), Arg(2, 100));
    }
    else if (mode == "definitions")
    {
        await DefinitionsBenchmark.RunAsync(http, Arg(1, 10_000));
    }
    else if (mode == "throughput-detail")
    {
        await ThroughputBenchmark.DetailAsync(http, Path.Combine(work.FullName, "bench.db"), Arg(1, 100), Arg(2, 3), Arg(3, 1000), Arg(4, 200), Arg(5, 1));
    }
    else
    {
        var levels = args.Length > 4 ? args[4].Split(',').Select(l => int.Parse(l, CultureInfo.InvariantCulture)).ToArray() : [1, 4, 16, 64];
        await ThroughputBenchmark.RunAsync(http, work.FullName, Path.Combine(work.FullName, "bench.db"), Arg(1, 200), Arg(2, 3), Arg(3, 1000), levels);
    }
}
finally
{
    await server.DisposeAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    work.Delete(recursive: true);
}

// Step-completion latency must not grow with the number of versions of a procedure: measure it
// with 1 version, publish up to N versions, and measure again on the newest and on the oldest.
static async Task VersionsBenchmark(HttpClient http, int versions, int dossiers)
{
    Console.WriteLine($"versions: step completions with 1 and with {versions} published versions of birth-registration, {dossiers} dossiers each, 1 clerk");
    await RunDossiers(http, 150, 1, [], []);

    var pinnedOnV1 = new List<JsonObject>();
    for (var i = 0; i < dossiers; i++)
    {
        pinnedOnV1.Add(await Read(await Send(http, HttpMethod.Post, "/api/dossiers", "dev-counter-key", NewDossier(), null), HttpStatusCode.Created));
    }

    var oneVersion = new List<double>();
    await RunDossiers(http, dossiers, 1, oneVersion, []);

    var publishing = Stopwatch.StartNew();
    var definition = JsonNode.Parse(await Get(http, "/api/procedures/birth-registration/definition"))!.AsObject();
    for (var version = 2; version <= versions; version++)
    {
        var sign = definition["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "sign")!;
        sign["title"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = $"Sign birth certificate (revision {version})" } };
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/procedures/birth-registration/draft?publish=true") { Content = JsonContent.Create(definition) };
        request.Headers.Add("X-Api-Key", "dev-admin-key");
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    Console.WriteLine($"published {versions - 1} more versions in {publishing.Elapsed.TotalSeconds:0.0} s");
    var manyVersions = new List<double>();
    await RunDossiers(http, dossiers, 1, manyVersions, []);

    var oldVersion = new List<double>();
    foreach (var dossier in pinnedOnV1)
    {
        var current = dossier;
        foreach (var (activity, key) in new[] { ("register", "dev-commune-key"), ("sign", "dev-commune-key"), ("returnResult", "dev-counter-key") })
        {
            var task = current["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == activity)!;
            var watch = Stopwatch.StartNew();
            current = await Read(await Send(http, HttpMethod.Post, $"/api/tasks/{task["id"]}/complete", key,
                new { outcome = "Done" }, current["version"]!.GetValue<int>()), HttpStatusCode.OK);
            oldVersion.Add(watch.Elapsed.TotalMilliseconds);
        }

        if (current["procedure"]!["version"]!.GetValue<int>() != 1)
        {
            throw new InvalidOperationException("a dossier received on version 1 moved");
        }
    }

    Console.WriteLine();
    Report("1 version", oneVersion);
    Report($"{versions} versions, newest", manyVersions);
    Report($"{versions} versions, v1 dossiers", oldVersion);
}

static object NewDossier() => new
{
    procedureCode = "birth-registration",
    applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111" },
    channel = "direct",
    receivingUnit = "HCC-BINHSON",
};

static async Task<string> Get(HttpClient http, string path)
{
    var request = new HttpRequestMessage(HttpMethod.Get, path);
    request.Headers.Add("X-Api-Key", "dev-admin-key");
    var response = await http.SendAsync(request);
    response.EnsureSuccessStatusCode();
    return await response.Content.ReadAsStringAsync();
}

static async Task RunDossiers(HttpClient http, int count, int concurrency, List<double> completes, List<double> receives)
{
    var next = 0;
    var workers = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        var localCompletes = new List<double>();
        var localReceives = new List<double>();
        while (Interlocked.Increment(ref next) <= count)
        {
            var watch = Stopwatch.StartNew();
            var response = await Send(http, HttpMethod.Post, "/api/dossiers", "dev-counter-key", NewDossier(), null);
            localReceives.Add(watch.Elapsed.TotalMilliseconds);
            var dossier = await Read(response, HttpStatusCode.Created);

            foreach (var (activity, key) in new[] { ("register", "dev-commune-key"), ("sign", "dev-commune-key"), ("returnResult", "dev-counter-key") })
            {
                var task = dossier["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == activity)!;
                watch.Restart();
                response = await Send(http, HttpMethod.Post, $"/api/tasks/{task["id"]}/complete", key,
                    new { outcome = "Done", comment = "benchmark" }, dossier["version"]!.GetValue<int>());
                dossier = await Read(response, HttpStatusCode.OK);
                localCompletes.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        lock (completes)
        {
            completes.AddRange(localCompletes);
            receives.AddRange(localReceives);
        }
    });
    await Task.WhenAll(workers);
}

static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string key, object body, int? version)
{
    var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
    request.Headers.Add("X-Api-Key", key);
    request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
    if (version is not null)
    {
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
    }

    return await http.SendAsync(request);
}

static async Task<JsonObject> Read(HttpResponseMessage response, HttpStatusCode expected)
{
    var text = await response.Content.ReadAsStringAsync();
    if (response.StatusCode != expected)
    {
        throw new InvalidOperationException($"expected {expected}, got {(int)response.StatusCode}: {text}");
    }

    return JsonNode.Parse(text)!.AsObject();
}

static void Report(string name, List<double> samples)
{
    samples.Sort();
    double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
    Console.WriteLine($"{name,-28}: p50 {At(0.50):0.00} ms, p95 {At(0.95):0.00} ms, p99 {At(0.99):0.00} ms, max {samples[^1]:0.00} ms");
}

