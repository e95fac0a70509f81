using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;

/// <summary>
/// The reporting feed on a large SQLite store:
///   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- odata [dossiers] [steps per dossier]
/// Creates the schema by starting the real server once, bulk-inserts the dossiers (two years of
/// receipts, 20 units, 6 fields; resolved, late, stopped, running) with their step rows and the
/// clock-pause journal entries the report reads, then restarts the server on that file and times,
/// over HTTP, the first page of Dossiers with a filter, Dossiers/$count and the half-year period report.
/// </summary>
internal static class ODataBenchmark
{
    private static readonly string[] Units = [.. Enumerable.Range(1, 20).Select(i => $"UNIT-{i:00}")];
    private static readonly string[] Fields = ["land", "civil-status", "construction", "business", "justice", "social"];
    private static readonly (string Code, string VersionId)[] Procedures =
        [("birth-registration", "birth-registration-v1"), ("land-first-certificate", "land-first-certificate-v1"), ("birth-residence-insurance", "birth-residence-insurance-v1")];

    public static async Task RunAsync(string[] args)
    {
        var dossiers = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var stepsPerDossier = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var work = Directory.CreateTempSubdirectory("processserver-odata-bench-");
        var database = Path.Combine(work.FullName, "bench.db");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; SQLite at {database}");
        try
        {
            // 1. Schema, samples and calendar, by the server itself.
            await using (var server = await Server.StartAsync(work.FullName, database))
            {
            }

            // 2. Bulk insert.
            var watch = Stopwatch.StartNew();
            var (running, paused) = Generate(database, dossiers, stepsPerDossier);
            Console.WriteLine($"generated {dossiers:N0} dossiers, {(long)dossiers * stepsPerDossier:N0} step rows, {paused:N0} paused dossiers' journal entries in {watch.Elapsed.TotalSeconds:0} s ({running:N0} still running)");
            Console.WriteLine($"database file: {new FileInfo(database).Length / 1024 / 1024:N0} MiB");

            // 3. Timings through HTTP on a freshly started server (cold caches of the process, warm OS cache).
            await using (var server = await Server.StartAsync(work.FullName, database))
            {
                // Warm-up of the process (JIT, EF model) on other queries than those measured.
                foreach (var warm in new[] { "$metadata", "Dossiers?$top=1", "Steps?$top=1", "Units", "PeriodReport?from=2024-07-01&to=2024-07-31" })
                {
                    (await server.Http.GetAsync("/odata/v1/" + warm)).EnsureSuccessStatusCode();
                }

                var filter = "Dossiers?$filter=" + Uri.EscapeDataString("UnitCode eq 'UNIT-07' and ReceivedDate ge 2026-01-01 and Channel eq 'online'");
                await Time(server.Http, "first page of Dossiers with a filter (1,000 rows)", filter);
                await Time(server.Http, "Dossiers/$count", "Dossiers/$count");
                await Time(server.Http, "Dossiers/$count with a filter", "Dossiers/$count?$filter=" + Uri.EscapeDataString("ReceivedDate ge 2026-01-01 and Verdict eq 'Late'"));
                await Time(server.Http, "period report 2026-01-01..2026-06-30", "PeriodReport?from=2026-01-01&to=2026-06-30");
                await Time(server.Http, "Steps first page with a filter", "Steps?$filter=" + Uri.EscapeDataString("UnitCode eq 'UNIT-03' and Verdict eq 'Late'"));
                await Time(server.Http, "$apply groupby unit, field ($count)", "Dossiers?$apply=" + Uri.EscapeDataString("filter(ReceivedDate ge 2026-01-01)/groupby((UnitCode,FieldCode),aggregate($count as N))"));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (Environment.GetEnvironmentVariable("PROCESSSERVER_BENCH_KEEP") is null)
            {
                work.Delete(recursive: true);
            }
        }
    }

    private static async Task Time(HttpClient http, string label, string query)
    {
        var times = new List<double>();
        long bytes = 0;
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync("/odata/v1/" + query);
            var body = await response.Content.ReadAsByteArrayAsync();
            watch.Stop();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{query}: {(int)response.StatusCode} {System.Text.Encoding.UTF8.GetString(body)}");
            }

            bytes = body.Length;
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"{label,-48}: {times[0],6:0} ms first, then {times[1],6:0} / {times[2],6:0} ms  ({bytes:N0} bytes)");
    }

    private static (int Running, int Paused) Generate(string database, int count, int stepsPerDossier)
    {
        using var connection = new SqliteConnection($"Data Source={database}");
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;";
            pragma.ExecuteNonQuery();
        }

        var random = new Random(42);
        var epoch = new DateTime(2024, 7, 1, 1, 0, 0, DateTimeKind.Utc);
        var now = new DateTime(2026, 7, 1, 0, 0, 0, DateTimeKind.Utc);
        var span = (now - epoch).TotalSeconds;
        int running = 0, paused = 0;
        var transaction = connection.BeginTransaction();
        using var dossier = Command(connection, transaction, "Dossiers",
            ["Id", "ReceiptCode", "ProcedureCode", "DefinitionVersionId", "DefinitionVersion", "FieldCode", "ReceivingUnit", "Channel", "ApplicantName",
             "ApplicantIdNumber", "ReceivedAt", "Status", "NationalStatusCode", "StateJson", "Version", "CreatedAt", "UpdatedAt", "ResultReadyAt",
             "ReturnedAt", "StoppedAt", "AppointmentAt", "DueAt", "Verdict", "CalendarVersion", "SupplementRequests"]);
        using var task = Command(connection, transaction, "Tasks",
            ["Id", "DossierId", "ActivityId", "ActivityType", "Kind", "Title", "UnitCode", "Role", "Status", "TimeLimitDays", "CreatedAt", "CompletedAt",
             "Outcome", "CompletedBy", "DueAt", "Verdict"]);
        using var journal = Command(connection, transaction, "Journal",
            ["DossierId", "Sequence", "Timestamp", "Type", "DefinitionVersionId", "Actor", "Outcome", "DataJson"]);

        // Receipts spread over two years, in time order (ids are time-ordered like the server's).
        var receipts = Enumerable.Range(0, count).Select(_ => epoch.AddSeconds(random.NextDouble() * span)).Order().ToArray();
        for (var i = 0; i < count; i++)
        {
            var received = receipts[i];
            var (procedure, versionId) = Procedures[random.Next(Procedures.Length)];
            var unit = Units[random.Next(Units.Length)];
            var field = Fields[random.Next(Fields.Length)];
            var c = random.NextDouble();
            var channel = c < 0.45 ? "online" : c < 0.92 ? "direct" : "postal";
            var limitDays = new[] { 1, 3, 5, 10, 20 }[random.Next(5)];
            var due = received.AddDays(limitDays * 1.4);
            var duration = TimeSpan.FromDays(-Math.Log(1 - random.NextDouble()) * limitDays * 0.9);
            var stop = random.NextDouble() < 0.03;
            var end = received + duration;
            DateTime? ready = null, stopped = null, returned = null;
            string status;
            string? verdict = null;
            if (end >= now)
            {
                status = "InProgress";
                running++;
            }
            else if (stop)
            {
                stopped = end;
                status = "Stopped";
            }
            else
            {
                ready = end;
                verdict = end > due ? "Late" : end.Date < due.Date ? "Early" : "OnTime";
                returned = end.AddDays(1) < now ? end.AddDays(1) : null;
                status = returned is null ? "ResultReady" : "Returned";
            }

            var id = Guid.CreateVersion7(new DateTimeOffset(received)).ToString();
            Bind(dossier, id, $"{unit}-{received:yyMMdd}-{i:0000000}", procedure, versionId, 1, field, unit, channel, "Nguyễn Văn An", "051090001234",
                received, status, status switch { "InProgress" => 4, "Stopped" => 8, "ResultReady" => 9, _ => 10 }, "{}", 1, received, end < now ? end : received,
                ready, returned, stopped, due, due, verdict, 1, 0);
            dossier.ExecuteNonQuery();

            var stepStart = received;
            for (var s = 0; s < stepsPerDossier; s++)
            {
                var stepEnd = stepStart + duration / stepsPerDossier;
                var open = stepEnd >= now;
                var stepDue = stepStart.AddDays(limitDays * 0.2 * 1.4);
                Bind(task, Guid.CreateVersion7(new DateTimeOffset(stepStart)).ToString(), id, $"step{s + 1}", "ProcessServer.Step", "Step", $"Step {s + 1}",
                    Units[(Array.IndexOf(Units, unit) + s) % Units.Length], "handler", open ? "Pending" : "Completed", limitDays * 0.2, stepStart,
                    open ? null : stepEnd, open ? null : "Done", open ? null : "clerk", stepDue, open ? null : stepEnd > stepDue ? "Late" : "OnTime");
                task.ExecuteNonQuery();
                if (open)
                {
                    break;
                }

                stepStart = stepEnd;
            }

            // One dossier in ten waited for a supplement: the pause and resume the report reads.
            if (random.NextDouble() < 0.1)
            {
                var pausedAt = received + (duration / 3);
                var resumedAt = pausedAt.AddDays(3);
                var movedDue = due.AddDays(3);
                Bind(journal, id, 1, pausedAt, "ClockPaused", versionId, "clerk", "Supplement", $"{{\"dueAt\":\"{due:yyyy-MM-ddTHH:mm:ssZ}\"}}");
                journal.ExecuteNonQuery();
                if (resumedAt < now)
                {
                    Bind(journal, id, 2, resumedAt, "ClockResumed", versionId, "clerk", "Supplement", $"{{\"dueAt\":\"{movedDue:yyyy-MM-ddTHH:mm:ssZ}\"}}");
                    journal.ExecuteNonQuery();
                }

                paused++;
            }

            if (i % 100_000 == 99_999)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
                dossier.Transaction = task.Transaction = journal.Transaction = transaction;
                Console.Write($"\r  {i + 1:N0} dossiers");
            }
        }

        // No ANALYZE: the server never runs it, so the plans measured are the ones a real store gets.
        transaction.Commit();
        transaction.Dispose();

        Console.WriteLine();
        return (running, paused);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string table, string[] columns)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"$p{i}"))})";
        for (var i = 0; i < columns.Length; i++)
        {
            command.Parameters.Add(new SqliteParameter($"$p{i}", null));
        }

        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] switch
            {
                null => DBNull.Value,
                DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
                var v => v,
            };
        }
    }

    /// <summary>The real server as its own process on a loopback port.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly Process _process;

        private Server(Process process, HttpClient http)
        {
            _process = process;
            Http = http;
        }

        public HttpClient Http { get; }

        public static async Task<Server> StartAsync(string work, string database)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = AppContext.BaseDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
                     {
                         Path.Combine(AppContext.BaseDirectory, "ProcessServer.Host.dll"), "--urls", $"http://127.0.0.1:{port}",
                         "--Database:ConnectionString", $"Data Source={database}",
                         "--Serilog:WriteTo:1:Args:path", Path.Combine(work, "logs", "bench-.json"),
                     })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
            if (Environment.GetEnvironmentVariable("PROCESSSERVER_BENCH_SQL") is not null)
            {
                // Every SQL command with its duration, in the server's JSON log under the work folder.
                start.Environment["Serilog__MinimumLevel__Override__Microsoft.EntityFrameworkCore.Database.Command"] = "Information";
            }

            start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Warning";
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[server] {e.Data}"); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(5) };
            http.DefaultRequestHeaders.Add("X-Api-Key", "dev-reporter-key");
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (true)
            {
                try
                {
                    if ((await http.GetAsync("/health")).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline)
                {
                }

                await Task.Delay(200);
            }

            return new Server(process, http);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
