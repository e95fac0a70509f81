using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

/// <summary>
/// 100,000 dossiers holding pending step deadlines that fall due over the next minute of real time:
/// how long the server takes to start on that database, and how late the deadline events fire.
/// </summary>
/// <remarks>
/// The database is made the way a real one is: the server is started once on a fresh file (migrations,
/// calendar, sample procedures), one land dossier is received through the API, and the server is
/// stopped. That dossier and its "check" task are then copied <c>count</c> times with SQL, and each copy
/// gets a deadline due between 10 s and 70 s from now (alternately a warning and an overdue event), plus
/// one due in 30 days that must not fire, all inserted directly in one transaction. Then the server is
/// started as its own process and timed to its first /health 200; the program waits until every due
/// deadline has a notification and reports Notification.CreatedAt - FireAt.
/// </remarks>
internal static class DeadlinesBenchmark
{
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Spread = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(int count)
    {
        var work = Directory.CreateTempSubdirectory("processserver-bench-deadlines-");
        var database = Path.Combine(work.FullName, "bench.db");
        try
        {
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; SQLite at {database}");
            Console.WriteLine($"deadlines: {count:N0} dossiers, each with a deadline due within {Lead.TotalSeconds:0}-{(Lead + Spread).TotalSeconds:0} s and one due in 30 days");

            // 1. A real database: schema, calendar, samples, and one land dossier received through the API.
            string template;
            using (var seeding = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database)))
            {
                var response = await seeding.Http.SendAsync(Request(HttpMethod.Post, "/api/dossiers", "dev-counter-key", new
                {
                    procedureCode = "land-first-certificate",
                    applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
                    channel = "direct",
                    receivingUnit = "HCC-BINHSON",
                }));
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"receiving the template dossier failed: {(int)response.StatusCode} {body}");
                }

                template = JsonNode.Parse(body)!["id"]!.GetValue<string>();
            }

            // 2. Copies of it, and their deadlines.
            var generation = Stopwatch.StartNew();
            DateTime firstDue;
            await using (var connection = new SqliteConnection($"Data Source={database}"))
            {
                await connection.OpenAsync();
                await CopyDossiersAsync(connection, template, count);
                var copied = generation.Elapsed;
                firstDue = DateTime.UtcNow + Lead;
                await InsertDeadlinesAsync(connection, count, firstDue);
                Console.WriteLine($"generated {count:N0} dossiers and tasks in {copied.TotalSeconds:0.0} s, {2 * count:N0} deadlines in {(generation.Elapsed - copied).TotalSeconds:0.0} s");
            }

            SqliteConnection.ClearAllPools();

            // 3. Start-up on that database, then wait until every due deadline has fired.
            using var server = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database));
            Console.WriteLine($"start-up (process start to /health 200): {server.StartUp.TotalSeconds:0.00} s; first deadline due {(firstDue - DateTime.UtcNow).TotalSeconds:0.0} s after that");

            var lastDue = firstDue + Spread;
            var fired = 0L;
            var waited = Stopwatch.StartNew();
            await using var reader = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
            await reader.OpenAsync();
            while (DateTime.UtcNow < lastDue + TimeSpan.FromSeconds(120))
            {
                fired = await ScalarAsync(reader, "SELECT COUNT(*) FROM Notifications WHERE DeadlineId LIKE 'bench-%'");
                if (fired >= count)
                {
                    break;
                }

                await Task.Delay(500);
            }

            Console.WriteLine($"fired {fired:N0} of {count:N0} due deadlines; all done {(DateTime.UtcNow - lastDue).TotalSeconds:0.0} s after the last was due");
            var lateness = new List<double>(count);
            await using (var command = reader.CreateCommand())
            {
                command.CommandText = "SELECT FireAt, CreatedAt FROM Notifications WHERE DeadlineId LIKE 'bench-%'";
                await using var rows = await command.ExecuteReaderAsync();
                while (await rows.ReadAsync())
                {
                    lateness.Add((rows.GetDateTime(1) - rows.GetDateTime(0)).TotalMilliseconds);
                }
            }

            var duplicates = await ScalarAsync(reader, "SELECT COUNT(*) - COUNT(DISTINCT DeadlineId) FROM Notifications");
            var notDue = await ScalarAsync(reader, "SELECT COUNT(*) FROM Deadlines WHERE Id LIKE 'later-%' AND Status = 'Pending'");
            var stillPending = await ScalarAsync(reader, "SELECT COUNT(*) FROM Deadlines WHERE Id LIKE 'bench-%' AND Status = 'Pending'");
            Console.WriteLine($"notifications per deadline > 1: {duplicates}; due deadlines still pending: {stillPending}; deadlines due in 30 days still pending: {notDue:N0} of {count:N0}");
            Report("lateness (CreatedAt - FireAt)", lateness);
            Console.WriteLine($"waited {waited.Elapsed.TotalSeconds:0} s; server working set {server.Process.WorkingSet64 / (1024 * 1024)} MiB");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            work.Delete(recursive: true);
        }
    }

    /// <summary>Copies the template dossier's row and its open "check" task <paramref name="count"/> times.</summary>
    private static async Task CopyDossiersAsync(SqliteConnection connection, string template, int count)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var (table, key, overrides) in new (string, string, Dictionary<string, string>)[]
                 {
                     ("Dossiers", "Id = $template", new() { ["Id"] = "'bench-d-' || n.i", ["ReceiptCode"] = "'BENCH-' || n.i" }),
                     ("Tasks", "DossierId = $template AND ActivityId = 'check'", new() { ["Id"] = "'bench-t-' || n.i", ["DossierId"] = "'bench-d-' || n.i" }),
                 })
        {
            await TemplateRows.CopyAsync(connection, table, key, overrides, template, count);
        }

        await transaction.CommitAsync();
    }

    /// <summary>Per copy: a deadline due between <paramref name="firstDue"/> and a minute later, and one due in 30 days.</summary>
    private static async Task InsertDeadlinesAsync(SqliteConnection connection, int count, DateTime firstDue)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO Deadlines (Id, DossierId, TaskId, UnitCode, Kind, FireAt, Status, FiredAt)
            VALUES ($id, $dossier, $task, 'VPDKDD-BINHSON', $kind, $fireAt, 'Pending', NULL)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var dossier = insert.Parameters.Add("$dossier", SqliteType.Text);
        var task = insert.Parameters.Add("$task", SqliteType.Text);
        var kind = insert.Parameters.Add("$kind", SqliteType.Text);
        var fireAt = insert.Parameters.Add("$fireAt", SqliteType.Text);
        await insert.PrepareAsync();
        var step = Spread.Ticks / count;
        for (var i = 1; i <= count; i++)
        {
            dossier.Value = $"bench-d-{i}";
            task.Value = $"bench-t-{i}";
            id.Value = $"bench-{i}";
            kind.Value = i % 2 == 0 ? "Overdue" : "Warning";
            fireAt.Value = Stored(firstDue.AddTicks(step * (i - 1)));
            await insert.ExecuteNonQueryAsync();

            id.Value = $"later-{i}";
            kind.Value = "Overdue";
            fireAt.Value = Stored(firstDue.AddDays(30));
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    /// <summary>A UTC instant as EF Core stores a DateTime in SQLite.</summary>
    private static string Stored(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static void Report(string name, List<double> samples)
    {
        if (samples.Count == 0)
        {
            Console.WriteLine($"{name}: no samples");
            return;
        }

        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        Console.WriteLine($"{name}: p50 {At(0.50) / 1000:0.000} s, p95 {At(0.95) / 1000:0.000} s, p99 {At(0.99) / 1000:0.000} s, max {samples[^1] / 1000:0.000} s (min {samples[0] / 1000:0.000} s)");
    }

    /// <summary>A request carrying a development key and a JSON body.</summary>
    internal static HttpRequestMessage Request(HttpMethod method, string path, string key, object body)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", key);
        return request;
    }
}
