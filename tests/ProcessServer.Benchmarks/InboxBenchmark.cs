using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

/// <summary>
/// Inbox pages of a unit with many open tasks against a unit with few: the first page, the last page
/// by page number, and the last page reached by following nextCursor (when the server offers it).
/// </summary>
/// <remarks>
/// The database is made as in <see cref="DeadlinesBenchmark"/>: a real server receives one land
/// dossier, then its dossier row and open "check" task are copied with SQL, <c>big</c> times into
/// VPDKDD-BINHSON and <c>small</c> times into a second unit, each copy a second older than the last.
/// Every figure is the median of 15 requests (pageSize 50, as the clerk UI asks).
/// </remarks>
internal static class InboxBenchmark
{
    private const int PageSize = 50;

    public static async Task RunAsync(int big, int small)
    {
        var work = Directory.CreateTempSubdirectory("processserver-bench-inbox-");
        var database = Path.Combine(work.FullName, "bench.db");
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"inbox: {big:N0} open tasks in VPDKDD-BINHSON, {small:N0} in VPDKDD-SMALL, pageSize {PageSize}");
            string template;
            using (var seeding = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database)))
            {
                var response = await seeding.Http.SendAsync(DeadlinesBenchmark.Request(HttpMethod.Post, "/api/dossiers", "dev-counter-key", new
                {
                    procedureCode = "land-first-certificate",
                    applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
                    channel = "direct",
                    receivingUnit = "HCC-BINHSON",
                }));
                var body = await response.Content.ReadAsStringAsync();
                template = response.StatusCode == HttpStatusCode.Created
                    ? JsonNode.Parse(body)!["id"]!.GetValue<string>()
                    : throw new InvalidOperationException($"receiving the template dossier failed: {(int)response.StatusCode} {body}");
            }

            await using (var connection = new SqliteConnection($"Data Source={database}"))
            {
                await connection.OpenAsync();
                await CopyAsync(connection, template, "big", "VPDKDD-BINHSON", big);
                await CopyAsync(connection, template, "small", "VPDKDD-SMALL", small);
            }

            SqliteConnection.ClearAllPools();
            using var server = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database));
            var http = server.Http;
            // Warm-up: JIT and the page cache.
            for (var i = 0; i < 30; i++)
            {
                await Get(http, $"/api/inbox?unit=VPDKDD-SMALL&pageSize={PageSize}");
                await Get(http, $"/api/inbox?unit=VPDKDD-BINHSON&pageSize={PageSize}&page=3");
            }

            Console.WriteLine("| unit | open tasks | first page (totalCount) | first page, exactCount=true | last page (page=N) | last page (after=cursor) | walk all pages by cursor |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var (unit, count) in new[] { ("VPDKDD-SMALL", small), ("VPDKDD-BINHSON", big + 1) })
            {
                var lastPage = (count + PageSize - 1) / PageSize;
                var first = await MedianAsync(http, $"/api/inbox?unit={unit}&pageSize={PageSize}");
                var firstPage = await Get(http, $"/api/inbox?unit={unit}&pageSize={PageSize}");
                var said = $"{firstPage["totalCount"]!.GetValue<int>():N0}{(firstPage["totalCountIsExact"]?.GetValue<bool>() == false ? "+" : string.Empty)}";
                var exact = await MedianAsync(http, $"/api/inbox?unit={unit}&pageSize={PageSize}&exactCount=true");
                var last = await MedianAsync(http, $"/api/inbox?unit={unit}&pageSize={PageSize}&page={lastPage}");

                // Walk by cursor (if the server pages that way) to find the last page's cursor.
                var walk = Stopwatch.StartNew();
                var page = await Get(http, $"/api/inbox?unit={unit}&pageSize={PageSize}");
                string? cursor = null;
                var pages = 1;
                while (page["nextCursor"]?.GetValue<string>() is { } next)
                {
                    cursor = next;
                    page = await Get(http, $"/api/inbox?unit={unit}&pageSize={PageSize}&after={next}");
                    pages++;
                }

                var walked = walk.Elapsed.TotalSeconds;
                var byCursor = cursor is null ? "n/a" : $"{await MedianAsync(http, $"/api/inbox?unit={unit}&pageSize={PageSize}&after={cursor}"):0.00} ms";
                var walkText = cursor is null ? "n/a" : $"{pages} pages in {walked:0.0} s ({walked * 1000 / pages:0.00} ms/page)";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {unit} | {count:N0} | {first:0.00} ms ({said}) | {exact:0.00} ms | {last:0.00} ms (page {lastPage}) | {byCursor} | {walkText} |"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            work.Delete(recursive: true);
        }
    }

    private static async Task CopyAsync(SqliteConnection connection, string template, string prefix, string unit, int count)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var (table, key, overrides) in new (string, string, Dictionary<string, string>)[]
                 {
                     ("Dossiers", "Id = $template", new() { ["Id"] = $"'{prefix}-d-' || n.i", ["ReceiptCode"] = $"'{prefix.ToUpperInvariant()}-' || n.i" }),
                     ("Tasks", "DossierId = $template AND ActivityId = 'check'", new()
                     {
                         ["Id"] = $"'{prefix}-t-' || n.i", ["DossierId"] = $"'{prefix}-d-' || n.i", ["UnitCode"] = $"'{unit}'",
                         ["CreatedAt"] = "datetime(t.CreatedAt, '-' || n.i || ' seconds')",
                         ["QueuedSince"] = "datetime(t.CreatedAt, '-' || n.i || ' seconds')",
                     }),
                 })
        {
            await TemplateRows.CopyAsync(connection, table, key, overrides, template, count);
        }

        await transaction.CommitAsync();
    }

    private static async Task<double> MedianAsync(HttpClient http, string path)
    {
        var samples = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            var watch = Stopwatch.StartNew();
            await Get(http, path);
            samples.Add(watch.Elapsed.TotalMilliseconds);
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static async Task<JsonNode> Get(HttpClient http, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", "dev-admin-key");
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonNode.Parse(text)! : throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
    }
}
