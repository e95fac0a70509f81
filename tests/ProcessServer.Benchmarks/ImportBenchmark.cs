using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

/// <summary>
/// History import of a legacy system's file: N dossiers of 2023 (the three sample procedures, early,
/// late, withdrawn, returned and still running) in the JSON Lines format, uploaded to a server running
/// as its own process and followed on GET /api/imports/{id} until done; then the same file again
/// (every line unchanged).
///   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- import [dossiers]
/// </summary>
internal static class ImportBenchmark
{
    public static async Task RunAsync(int count)
    {
        var work = Directory.CreateTempSubdirectory("processserver-import-");
        var file = Path.Combine(work.FullName, "history.jsonl");
        var watch = Stopwatch.StartNew();
        var (lines, events) = Write(file, count);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; work folder {work.FullName}");
        Console.WriteLine($"file: {lines:N0} dossiers, {events:N0} events, {new FileInfo(file).Length / 1024.0 / 1024.0:0.0} MB, written in {watch.Elapsed.TotalSeconds:0.0} s");

        var server = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(Path.Combine(work.FullName, "bench.db")));
        try
        {
            var first = await ImportAsync(server.Http, file, "import");
            Console.WriteLine($"import: {first.Lines:N0} lines in {first.Seconds:0.0} s = {first.Lines / first.Seconds:0} dossiers/s ({events / first.Seconds:0} events/s); created {first.Created:N0}, refused {first.Refused:N0}");
            var again = await ImportAsync(server.Http, file, "re-run");
            Console.WriteLine($"re-run: {again.Lines:N0} lines in {again.Seconds:0.0} s = {again.Lines / again.Seconds:0} lines/s; unchanged {again.Unchanged:N0}, created {again.Created:N0}");
            Console.WriteLine($"database: {new FileInfo(Path.Combine(work.FullName, "bench.db")).Length / 1024.0 / 1024.0:0} MB (+ WAL)");
        }
        finally
        {
            server.Dispose();
            work.Delete(recursive: true);
        }
    }

    private static async Task<(int Lines, double Seconds, int Created, int Unchanged, int Refused)> ImportAsync(HttpClient http, string file, string label)
    {
        var watch = Stopwatch.StartNew();
        using var upload = new HttpRequestMessage(HttpMethod.Post, $"/api/imports?fileName={label}.jsonl") { Content = new StreamContent(File.OpenRead(file)) };
        upload.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        upload.Headers.Add("X-Api-Key", "dev-admin-key");
        var started = await http.SendAsync(upload);
        var body = await started.Content.ReadAsStringAsync();
        if (!started.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"upload refused: {(int)started.StatusCode} {body}");
        }

        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        var lastPrint = TimeSpan.Zero;
        while (true)
        {
            await Task.Delay(500);
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/api/imports/{id}");
            get.Headers.Add("X-Api-Key", "dev-admin-key");
            var run = JsonNode.Parse(await (await http.SendAsync(get)).Content.ReadAsStringAsync())!;
            var status = run["status"]!.GetValue<string>();
            if (watch.Elapsed - lastPrint > TimeSpan.FromSeconds(15) || status is "Completed" or "Failed")
            {
                lastPrint = watch.Elapsed;
                Console.WriteLine($"  {label} {watch.Elapsed.TotalSeconds,6:0} s: {status} {run["linesDone"]}/{run["totalLines"]} ({run["percent"]} %), {run["linesPerSecond"]} lines/s");
            }

            if (status is "Completed" or "Failed")
            {
                if (run["firstRefused"]!.AsArray().FirstOrDefault() is { } refused)
                {
                    Console.WriteLine($"  first refused: {refused["detail"]}");
                }

                return (run["linesDone"]!.GetValue<int>(), watch.Elapsed.TotalSeconds, run["created"]!.GetValue<int>(), run["unchanged"]!.GetValue<int>(), run["refused"]!.GetValue<int>());
            }
        }
    }

    /// <summary>Writes the history: receipt days spread over 2023 working days, nine kinds of run.</summary>
    private static (int Lines, int Events) Write(string path, int count)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.WriteLine(JsonSerializer.Serialize(new { format = "processserver-history", version = 1, source = "benchmark" }));
        string[] channels = ["direct", "online", "postal"];
        var days = Enumerable.Range(0, 365).Select(i => new DateOnly(2023, 1, 1).AddDays(i))
            .Where(d => d.DayOfWeek is >= DayOfWeek.Monday and <= DayOfWeek.Thursday && d.Month is not (1 or 2 or 9) && d < new DateOnly(2023, 11, 1)).ToList();
        var events = 0;
        for (var n = 0; n < count; n++)
        {
            var d = days[n % days.Count];
            var kind = n % 9;
            object Step(int plusDays, int hour, string step, string outcome, object? data = null) =>
                new { at = At(d.AddDays(plusDays), hour), actor = "legacy.user", step, outcome, data };
            object Act(int plusDays, int hour, string act) => new { at = At(d.AddDays(plusDays), hour), actor = "legacy.leader", act, reason = act };
            var noObligation = new { hasFinancialObligation = false };
            object[] Land(int signDay, int readyDay) =>
            [
                Step(0, 10, "check", "Done"), Step(1, 9, "communeConfirm", "Done"), Step(1, 10, "taxNotice", "Done", noObligation),
                Step(2, 9, "prepare", "Done"), Step(signDay, 14, "sign", "Done"), Step(readyDay, 9, "updateRecords", "Done"), Step(readyDay, 15, "returnResult", "Done"),
            ];
            var (procedure, history) = kind switch
            {
                0 => ("birth-registration", new[] { Step(0, 10, "register", "Done"), Step(0, 14, "sign", "Done"), Step(0, 16, "returnResult", "Done") }),
                1 => ("birth-registration", new[] { Step(7, 9, "register", "Done"), Step(7, 10, "sign", "Done"), Step(7, 11, "returnResult", "Done") }),
                2 => ("land-first-certificate", Land(2, 3)),
                3 => ("land-first-certificate", Land(63, 70)),
                4 => ("birth-residence-insurance", new[] { Step(0, 10, "registerBirth", "Done"), Step(1, 9, "residence", "Done"), Step(1, 10, "insurance", "Done"), Step(2, 9, "returnResult", "Done") }),
                5 => ("land-first-certificate", new[] { Step(0, 10, "check", "Done"), Act(1, 9, "requestWithdrawal"), Act(2, 9, "acceptWithdrawal") }),
                6 => ("birth-registration", new[] { Step(0, 10, "register", "Reject") }),
                7 => ("land-first-certificate", new[] { Step(0, 10, "check", "RequestSupplement"), Step(7, 10, "check", "SupplementReceived"), Step(8, 10, "check", "Done") }),
                _ => ("land-first-certificate", new[] { Step(0, 10, "check", "Done") }),
            };
            events += history.Length;
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                @ref = $"BENCH-{n:0000000}",
                procedure,
                version = 1,
                unit = "HCC-BINHSON",
                channel = channels[n % 3],
                applicant = new { @ref = $"CD-{n:0000000}", name = $"Người nộp {n}" },
                receivedAt = At(d, 8),
                receivedBy = "legacy.counter",
                events = history,
            }));
        }

        return (count, events);
    }

    private static string At(DateOnly day, int hour) =>
        day.ToDateTime(new TimeOnly(hour, 0)).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "+07:00";
}
