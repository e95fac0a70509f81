using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using ProcessServer.Host.Features.PortalSync;
using ProcessServer.Persistence.Entities;

/// <summary>
/// The outbox sender against a stand-in national portal on loopback:
///   dotnet run -c Release --project tests/ProcessServer.Benchmarks -- outbox [status changes] [per second] [portal ms]
/// The real server runs as its own process with the portal configured; this program plays the
/// stand-in portal (an HTTP endpoint answering <c>{"error_code":0}</c> after [portal ms]) and the
/// dossier changes: it writes [status changes] portal messages into the outbox table, ten per dossier
/// (receipt, eight status changes, result), payloads built by the server's own mapping
/// (<see cref="PortalPayloads.Build"/>), at [per second] (0: all at once, as after a long portal
/// outage). It samples the backlog every second and, once the portal has everything, prints the
/// sender's throughput, the lag from commit to the portal's answer (p50/p95/p99/max) and checks
/// that every dossier's messages arrived in order, each once.
/// </summary>
/// <remarks>
/// The messages are inserted directly instead of being produced by clerks' transitions through
/// HTTP (146 per second at best, see BENCHMARKS.md), so the sender, not the clerk API, is what is
/// measured; the inserting process competes for SQLite's one writer as the clerks' commits would.
/// </remarks>
internal static class OutboxBenchmark
{
    private const int ChangesPerDossier = 10;
    private static readonly int[] NationalCodes = [1, 2, 3, 4, 2, 3, 4, 5, 6, 8];

    public static async Task RunAsync(string[] args)
    {
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        var total = Arg(1, 100_000) / ChangesPerDossier * ChangesPerDossier;
        var rate = Arg(2, 0);
        var portalDelay = TimeSpan.FromMilliseconds(Arg(3, 0));
        var work = Directory.CreateTempSubdirectory("processserver-outbox-bench-");
        var database = Path.Combine(work.FullName, "bench.db");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; SQLite at {database}");
        Console.WriteLine($"{total:N0} status changes of {total / ChangesPerDossier:N0} dossiers, {(rate == 0 ? "all at once" : $"{rate:N0} per second")}, portal answers after {portalDelay.TotalMilliseconds:0} ms");

        // 1. Schema, by the server itself.
        await using (await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database)))
        {
        }

        await using var portal = await StandInPortal.StartAsync(portalDelay);
        var messages = Messages(total);
        var positions = messages.ToDictionary(m => m.Id, m => (m.DossierId!, m.Position));
        var watch = Stopwatch.StartNew();
        if (rate == 0)
        {
            Insert(database, messages);
            Console.WriteLine($"inserted {total:N0} messages in {watch.Elapsed.TotalSeconds:0.0} s before the server starts");
            watch.Restart();
        }

        // 2. The server with the portal configured; its sender starts at once.
        var server = await BenchServer.StartAsync(work.FullName, BenchServer.Sqlite(database),
            ["--ProcessServer:Portal:BaseUrl", portal.Url, "--ProcessServer:Portal:AgencyCode", "000.00.00.H55"]);
        try
        {
            var produced = rate == 0 ? total : 0;
            var producer = rate == 0 ? Task.CompletedTask : Task.Run(async () =>
            {
                // Ten batches a second, each one transaction, as commits of clerks' changes.
                var perBatch = Math.Max(1, rate / 10);
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < total; i += perBatch)
                {
                    var batch = messages.Skip(i).Take(perBatch).ToList();
                    var now = DateTime.UtcNow;
                    foreach (var m in batch)
                    {
                        m.CreatedAt = m.NextAttemptAt = now;
                    }

                    Insert(database, batch);
                    Interlocked.Add(ref produced, batch.Count);
                    var due = TimeSpan.FromSeconds((i + perBatch) / (double)rate);
                    if (due > clock.Elapsed)
                    {
                        await Task.Delay(due - clock.Elapsed);
                    }
                }
            });

            // 3. Backlog every second, a line every ten.
            var maxBacklog = 0L;
            var maxOldest = TimeSpan.Zero;
            var windows = new List<double>();
            var lastDelivered = 0;
            await using (var read = new SqliteConnection($"Data Source={database};Mode=ReadOnly"))
            {
                await read.OpenAsync();
                for (var second = 1; ; second++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    var (backlog, oldest) = Backlog(read);
                    maxBacklog = Math.Max(maxBacklog, backlog);
                    var age = oldest is null ? TimeSpan.Zero : DateTime.UtcNow - oldest.Value;
                    maxOldest = age > maxOldest ? age : maxOldest;
                    var delivered = portal.Distinct;
                    if (second % 10 == 0)
                    {
                        windows.Add((delivered - lastDelivered) / 10.0);
                        lastDelivered = delivered;
                        Console.WriteLine($"{second,5} s  produced {Volatile.Read(ref produced),8:N0}  at the portal {delivered,8:N0}  backlog {backlog,8:N0}  oldest unsent {age.TotalSeconds,6:0.0} s");
                    }

                    if (delivered >= total || second > 3600)
                    {
                        break;
                    }
                }
            }

            await producer;
            var elapsed = watch.Elapsed;
            var lags = Lags(database);
            var (outOfOrder, twice) = portal.Check(positions);
            Console.WriteLine();
            Console.WriteLine($"| measure | value |");
            Console.WriteLine($"|---|---|");
            Console.WriteLine($"| messages delivered | {portal.Distinct:N0} of {total:N0} ({portal.Received:N0} posts) |");
            Console.WriteLine($"| wall time, first commit to the last answer | {elapsed.TotalSeconds:0.0} s |");
            Console.WriteLine($"| sender throughput, whole run | {portal.Distinct / elapsed.TotalSeconds:0.0} messages/s |");
            Console.WriteLine($"| sender throughput, best / median 10-s window | {(windows.Count == 0 ? 0 : windows.Max()):0.0} / {Median(windows):0.0} messages/s |");
            Console.WriteLine($"| lag, commit to portal's answer, p50 / p95 / p99 / max | {Pct(lags, 0.50)} / {Pct(lags, 0.95)} / {Pct(lags, 0.99)} / {Pct(lags, 1)} s |");
            Console.WriteLine($"| largest backlog / oldest unsent message seen | {maxBacklog:N0} / {maxOldest.TotalSeconds:0.0} s |");
            Console.WriteLine($"| messages out of order within their dossier / delivered twice | {outOfOrder} / {twice} |");
        }
        finally
        {
            await server.DisposeAsync();
        }

        if (Environment.GetEnvironmentVariable("PROCESSSERVER_BENCH_KEEP") is null)
        {
            SqliteConnection.ClearAllPools();
            work.Delete(recursive: true);
        }
    }

    /// <summary>Ten portal messages per dossier, interleaved across dossiers as changes arrive in a day.</summary>
    private static List<OutboxMessage> Messages(int total)
    {
        var options = new PortalOptions { AgencyCode = "000.00.00.H55" };
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        var dossiers = total / ChangesPerDossier;
        var start = DateTime.UtcNow;
        var list = new List<OutboxMessage>(total);
        for (var i = 0; i < total; i++)
        {
            var d = i % dossiers;
            var k = i / dossiers;
            var dossier = new Dossier
            {
                Id = $"bench-{d:000000}",
                ReceiptCode = $"HCC-BINHSON-250303-{d:00000}",
                ProcedureCode = "land-first-certificate",
                DefinitionVersionId = "land-first-certificate-v1",
                ReceivingUnit = "HCC-BINHSON",
                Channel = "direct",
                ApplicantName = "Nguyễn Văn An",
                ApplicantIdNumber = "051090001234",
                Status = "Running",
                StateJson = "{}",
                ReceivedAt = start,
                AppointmentAt = start.AddDays(30),
                DueAt = start.AddDays(30),
                FieldCode = "land",
                NationalStatusCode = NationalCodes[k],
            };
            var kind = k == 0 ? PortalPayloadKind.DossierReceived : k == ChangesPerDossier - 1 ? PortalPayloadKind.Result : PortalPayloadKind.StatusChanged;
            var facts = new PortalFacts(dossier, "Đăng ký đất đai, cấp Giấy chứng nhận lần đầu", "1.012345", "Đất đai", "Trung tâm Phục vụ hành chính công xã Bình Sơn",
                "land-registry-binhson", start.AddHours(k), $"Bước {k}", "Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn", start.AddHours(k - 1), start.AddHours(k + 24));
            var body = PortalPayloads.Build(kind, facts, options, zone);
            list.Add(new OutboxMessage
            {
                Id = Guid.CreateVersion7().ToString(),
                Channel = OutboxChannels.Portal,
                Kind = kind.ToString(),
                OrderKey = $"{dossier.Id}:portal",
                Position = (k + 1) * 4L,
                DossierId = dossier.Id,
                NationalStatusCode = dossier.NationalStatusCode,
                Recipient = body["service"]!.GetValue<string>(),
                Body = body.ToJsonString(),
                Status = OutboxStatuses.Pending,
                CreatedAt = start,
                NextAttemptAt = start,
            });
        }

        return list;
    }

    private static void Insert(string database, IReadOnlyList<OutboxMessage> messages)
    {
        using var connection = new SqliteConnection($"Data Source={database};Default Timeout=60");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO OutboxMessages (Id, Channel, Kind, OrderKey, Position, DossierId, NationalStatusCode, Recipient, Body, Status, Attempts, CreatedAt, NextAttemptAt)
            VALUES ($id, $channel, $kind, $order, $position, $dossier, $code, $recipient, $body, $status, 0, $created, $next)
            """;
        var names = new[] { "$id", "$channel", "$kind", "$order", "$position", "$dossier", "$code", "$recipient", "$body", "$status", "$created", "$next" };
        var parameters = names.Select(n => command.Parameters.AddWithValue(n, DBNull.Value)).ToArray();
        command.Prepare();
        foreach (var m in messages)
        {
            object?[] values = [m.Id, m.Channel, m.Kind, m.OrderKey, m.Position, m.DossierId, m.NationalStatusCode, m.Recipient, m.Body, m.Status, Stored(m.CreatedAt), Stored(m.NextAttemptAt)];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    // EF Core's SQLite text form of a DateTime, so the server's comparisons see these rows as its own.
    private static string Stored(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture);

    private static (long Backlog, DateTime? Oldest) Backlog(SqliteConnection read)
    {
        using var command = read.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MIN(CreatedAt) FROM OutboxMessages WHERE Status = 'Pending'";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : Parse(reader.GetString(1)));
    }

    private static List<double> Lags(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CreatedAt, SentAt FROM OutboxMessages WHERE SentAt IS NOT NULL";
        using var reader = command.ExecuteReader();
        var lags = new List<double>();
        while (reader.Read())
        {
            lags.Add((Parse(reader.GetString(1)) - Parse(reader.GetString(0))).TotalSeconds);
        }

        lags.Sort();
        return lags;
    }

    private static DateTime Parse(string stored) =>
        DateTime.SpecifyKind(DateTime.Parse(stored, CultureInfo.InvariantCulture, DateTimeStyles.None), DateTimeKind.Utc);

    private static string Pct(List<double> sorted, double p) =>
        sorted.Count == 0 ? "–" : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1 < 0 ? 0 : (int)Math.Ceiling(p * sorted.Count) - 1)].ToString("0.00", CultureInfo.InvariantCulture);

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The stand-in national portal: takes every post, notes the message id in arrival order, answers error_code 0.</summary>
    private sealed class StandInPortal : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<string> _arrivals = new();
        private readonly ConcurrentDictionary<string, byte> _seen = new();

        private StandInPortal(WebApplication app) => _app = app;

        public string Url { get; private set; } = string.Empty;

        public int Distinct => _seen.Count;

        public int Received => _arrivals.Count;

        public static async Task<StandInPortal> StartAsync(TimeSpan delay)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var portal = new StandInPortal(app) { Url = $"http://127.0.0.1:{port}" };
            app.MapPost("/api/dvcqg/integration", async (HttpContext http) =>
            {
                using var body = new StreamReader(http.Request.Body);
                await body.ReadToEndAsync();
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay);
                }

                var id = http.Request.Headers["X-Message-Id"].ToString();
                portal._arrivals.Enqueue(id);
                portal._seen.TryAdd(id, 0);
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync("{\"error_code\":0,\"message\":\"OK\"}");
            });
            await app.StartAsync();
            return portal;
        }

        /// <summary>Messages that arrived before an earlier message of their dossier, and repeats.</summary>
        public (int OutOfOrder, int Twice) Check(Dictionary<string, (string Dossier, long Position)> positions)
        {
            var last = new Dictionary<string, long>();
            var outOfOrder = 0;
            var seen = new HashSet<string>();
            var twice = 0;
            foreach (var id in _arrivals)
            {
                if (!seen.Add(id))
                {
                    twice++;
                    continue;
                }

                var (dossier, position) = positions[id];
                if (last.TryGetValue(dossier, out var before) && before > position)
                {
                    outOfOrder++;
                }

                last[dossier] = position;
            }

            return (outOfOrder, twice);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
