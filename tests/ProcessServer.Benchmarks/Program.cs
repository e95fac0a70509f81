using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;

// Step-completion throughput and latency through the real HTTP API on SQLite.
// The server runs as its own process on loopback, exactly as `dotnet run` would start it, on a
// fresh database file; this program is the only client. Usage:
//   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- [dossiers] [concurrency]
var dossiers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4;

var work = Directory.CreateTempSubdirectory("processserver-bench-");
var port = FreePort();
var hostDll = Path.Combine(AppContext.BaseDirectory, "ProcessServer.Host.dll");
var start = new ProcessStartInfo("dotnet")
{
    WorkingDirectory = AppContext.BaseDirectory,
    RedirectStandardOutput = true,
    RedirectStandardError = true,
    UseShellExecute = false,
};
foreach (var arg in new[]
         {
             hostDll, "--urls", $"http://127.0.0.1:{port}",
             "--Database:ConnectionString", $"Data Source={Path.Combine(work.FullName, "bench.db")}",
             "--Serilog:WriteTo:1:Args:path", Path.Combine(work.FullName, "logs", "bench-.json"),
         })
{
    start.ArgumentList.Add(arg);
}

start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning";
using var server = Process.Start(start)!;
server.OutputDataReceived += (_, _) => { };
server.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[server] {e.Data}"); };
server.BeginOutputReadLine();
server.BeginErrorReadLine();

using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
try
{
    await WaitForHealth(http);
    Console.WriteLine($"ProcessServer benchmark: {dossiers} birth-registration dossiers, {concurrency} concurrent clerks, SQLite at {work.FullName}");
    Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");

    // Warm-up: JIT, connection pool and the compiled-definition cache.
    await RunDossiers(http, 20, concurrency, new List<double>(), new List<double>());

    var completeLatencies = new List<double>();
    var receiveLatencies = new List<double>();
    var clock = Stopwatch.StartNew();
    await RunDossiers(http, dossiers, concurrency, completeLatencies, receiveLatencies);
    clock.Stop();

    Console.WriteLine();
    Console.WriteLine($"step completions      : {completeLatencies.Count}");
    Console.WriteLine($"elapsed               : {clock.Elapsed.TotalSeconds:0.00} s");
    Console.WriteLine($"completions / second  : {completeLatencies.Count / clock.Elapsed.TotalSeconds:0.0}  (receipts interleaved: {receiveLatencies.Count})");
    Report("complete task latency", completeLatencies);
    Report("receive dossier latency", receiveLatencies);
}
finally
{
    server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync();
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    work.Delete(recursive: true);
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
            var response = await Send(http, HttpMethod.Post, "/api/dossiers", "dev-counter-key", new
            {
                procedureCode = "birth-registration",
                applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111" },
                channel = "direct",
                receivingUnit = "HCC-BINHSON",
            }, null);
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
    Console.WriteLine($"{name,-22}: p50 {At(0.50):0.00} ms, p95 {At(0.95):0.00} ms, p99 {At(0.99):0.00} ms, max {samples[^1]:0.00} ms");
}

static async Task WaitForHealth(HttpClient http)
{
    var deadline = DateTime.UtcNow.AddSeconds(60);
    while (DateTime.UtcNow < deadline)
    {
        try
        {
            if ((await http.GetAsync("/health")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
            // Not listening yet.
        }

        await Task.Delay(200);
    }

    throw new TimeoutException("the server did not answer /health within 60 s");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}
