using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// Seeded fuzzing of what clerks and reporting tools send: receipts, completions, apologies, inbox,
/// unit lists, notifications and the due-date calculator with mutated bodies, headers and query
/// strings, and OData queries with generated and mutated $filter, $orderby, $select, $apply,
/// $top/$skip, keys, dates and the period report. Nothing may answer 5xx; the server must still
/// receive and complete a dossier afterwards.
/// </summary>
public static class RequestFuzz
{
    /// <param name="Requests">How many fuzzed requests (half clerk API, half OData and reports).</param>
    /// <param name="Seed">Seed; request i is made from seed and i alone.</param>
    public sealed record Options(int Requests, int Seed);

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("clerk and OData request fuzzing", options.Seed, log);
        log.Line($"[fault] request fuzzing: {options.Requests:N0} mutated clerk and OData requests, seed {options.Seed}");
        await using var host = FaultHost.Create("requests", log);
        try
        {
            await host.StartAsync(cancellationToken);
            using var http = host.CreateClient(TimeSpan.FromSeconds(120));
            var client = new FaultClient(http, report);
            var data = await FuzzData.CreateAsync(host, client, report, options.Seed, cancellationToken);
            var odata = await ODataModel.ReadAsync(client, host.Keys.Reporter, cancellationToken);
            for (var i = 0; i < options.Requests && !cancellationToken.IsCancellationRequested; i++)
            {
                if (i % 50 == 0)
                {
                    await data.RefreshAsync(client, cancellationToken);
                }

                var rng = new Random(unchecked((options.Seed * 7919) + i));
                var generator = new RequestGenerator(rng, host.Keys, data, odata);
                var probe = i % 2 == 0 ? generator.Clerk() : generator.Reporting();
                probe.Note = $"request {i} (seed {options.Seed}): {probe.Note}";
                var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
                report.Count(i % 2 == 0 ? "clerk requests" : "OData and report requests");
                if (answer is null)
                {
                    report.Fail("no answer", probe);
                    if (!host.IsRunning)
                    {
                        report.Fail($"the server died:\n{host.OutputTail()}", probe);
                        await host.StartAsync(cancellationToken);
                    }
                }
                else
                {
                    report.Count(answer.Status switch { < 300 => "2xx", < 500 => "4xx", _ => "5xx answers" });
                }
            }

            await StillWorksAsync(host, client, report, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            report.Stopped(ex);
        }
        finally
        {
            host.KeepFolder = !report.Clean;
            report.Print();
        }

        return report;
    }

    /// <summary>After the fuzzing a clerk still receives a dossier and completes its first task.</summary>
    private static async Task StillWorksAsync(FaultHost host, FaultClient client, FaultReport report, CancellationToken cancellationToken)
    {
        var receipt = ClerkRequests.Receive(host.Keys.ClerkOf(ClerkRequests.Counter), ClerkRequests.ReceiveBody("birth-registration", "After the fuzzing", "051190004321"), Guid.NewGuid().ToString());
        var received = await client.SendAsync(receipt, cancellationToken: cancellationToken);
        if (received is not { Status: 201 } || received.JsonObject() is not { } dossier)
        {
            report.Fail("after the fuzzing a well-formed receipt fails", receipt, received);
            return;
        }

        var task = ClerkRequests.OpenTasks(dossier)[0];
        var complete = ClerkRequests.Complete(host.Keys.ClerkOf(task.UnitCode), task.Id, Json.Number(dossier, "version"), "Done", Guid.NewGuid().ToString());
        var completed = await client.SendAsync(complete, cancellationToken: cancellationToken);
        if (completed is not { Status: 200 })
        {
            report.Fail("after the fuzzing a well-formed completion fails", complete, completed);
        }
    }

    /// <summary>Dossiers, tasks and units to aim requests at, refreshed from the store as they change.</summary>
    private sealed class FuzzData
    {
        private FuzzData(FaultHost host) => Host = host;

        public FaultHost Host { get; }

        public List<(string Id, string Unit)> OpenTasks { get; private set; } = [];

        public List<(string Id, string Receipt)> Dossiers { get; private set; } = [];

        public static async Task<FuzzData> CreateAsync(FaultHost host, FaultClient client, FaultReport report, int seed, CancellationToken cancellationToken)
        {
            var data = new FuzzData(host);
            var rng = new Random(seed);
            var counter = host.Keys.ClerkOf(ClerkRequests.Counter);
            for (var i = 0; i < 12; i++)
            {
                // Some dossiers received weeks ago, so overdue lists and notifications have rows.
                var receivedAt = i % 3 == 0 ? DateTimeOffset.UtcNow.AddDays(-20 - i) : (DateTimeOffset?)null;
                var body = ClerkRequests.ReceiveBody(ClerkRequests.Procedures[i % 3], $"Fuzz {i}", ClerkRequests.IdNumber(rng), receivedAt: receivedAt);
                // A receipt dated weeks back is a late entry, which only leaders and administrators may record.
                var receiver = receivedAt is null ? counter : host.Keys.Admin;
                var answer = await client.SendAsync(ClerkRequests.Receive(receiver, body, Guid.NewGuid().ToString()), cancellationToken: cancellationToken);
                if (answer is not { Status: 201 } || answer.JsonObject() is not { } dossier)
                {
                    report.Fail("setting up: a receipt failed", null, answer);
                    continue;
                }

                // Move some of them on, so steps are completed, in parallel or waiting for payment.
                for (var step = 0; step < i % 4; step++)
                {
                    var open = ClerkRequests.OpenTasks(dossier);
                    var task = open.Count > 0 ? open[0] : null;
                    if (task is null)
                    {
                        break;
                    }

                    var next = await client.SendAsync(ClerkRequests.Complete(host.Keys.ClerkOf(task.UnitCode), task.Id, Json.Number(dossier, "version"),
                        task.AllowedOutcomes[0], Guid.NewGuid().ToString()), cancellationToken: cancellationToken);
                    if (next is not { Status: 200 } || next.JsonObject() is not { } moved)
                    {
                        break;
                    }

                    dossier = moved;
                }
            }

            return data;
        }

        public async Task RefreshAsync(FaultClient client, CancellationToken cancellationToken)
        {
            await using var db = Host.OpenStore();
            OpenTasks = [.. (await db.Tasks.AsNoTracking().Where(t => TaskStatuses.Open.Contains(t.Status)).Select(t => new { t.Id, t.UnitCode }).ToListAsync(cancellationToken))
                .Select(t => (t.Id, t.UnitCode))];
            Dossiers = [.. (await db.Dossiers.AsNoTracking().Select(d => new { d.Id, d.ReceiptCode }).ToListAsync(cancellationToken)).Select(d => (d.Id, d.ReceiptCode))];
            if (OpenTasks.Count < 5)
            {
                var body = ClerkRequests.ReceiveBody("land-first-certificate", "Fuzz refill", "051190004321");
                await client.SendAsync(ClerkRequests.Receive(Host.Keys.ClerkOf(ClerkRequests.Counter), body, null), cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>The feed's entity sets and their properties with EDM types, read from $metadata.</summary>
    private sealed class ODataModel
    {
        public Dictionary<string, List<(string Name, string Type)>> Sets { get; } = new(StringComparer.Ordinal);

        public static async Task<ODataModel> ReadAsync(FaultClient client, Principal reporter, CancellationToken cancellationToken)
        {
            var model = new ODataModel();
            var answer = await client.SendAsync(Probe.Get("/odata/v1/$metadata").As(reporter), cancellationToken: cancellationToken);
            if (answer is not { Status: 200 })
            {
                throw new InvalidOperationException($"$metadata answered {answer?.Status}");
            }

            var xml = XDocument.Parse(answer.Body);
            var types = xml.Descendants().Where(e => e.Name.LocalName == "EntityType")
                .ToDictionary(e => e.Attribute("Name")!.Value, e => e.Elements().Where(p => p.Name.LocalName == "Property")
                    .Select(p => (p.Attribute("Name")!.Value, p.Attribute("Type")!.Value)).ToList(), StringComparer.Ordinal);
            foreach (var set in xml.Descendants().Where(e => e.Name.LocalName == "EntitySet"))
            {
                var type = set.Attribute("EntityType")!.Value.Split('.')[^1];
                model.Sets[set.Attribute("Name")!.Value] = types[type];
            }

            return model;
        }
    }

    private sealed class RequestGenerator(Random rng, KeyRing keys, FuzzData data, ODataModel odata)
    {
        private static readonly string[] Instants =
        [
            "0001-01-01T00:00:00Z", "1000-01-01T00:00:00Z", "1900-01-01T00:00:00+07:00", "2025-04-25T15:30:00+07:00", "2026-02-29T00:00:00Z",
            "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.9999999+00:00", "2025-01-01T00:00:00+14:00", "2025-01-01T00:00:00-12:00", "2026-13-45T00:00:00Z",
            "0000-00-00", "yesterday", "", "2025-06-01", "1e20", "-1", "2025-06-01T25:61:61Z", "\u0000",
        ];

        private static readonly string[] Integers =
        [
            "-1", "0", "1", "2", "199", "200", "201", "1000", "5000", "5001", "2147483647", "2147483648", "-2147483648", "9223372036854775807",
            "9223372036854775808", "1e3", "abc", "", "1.5", " 1", "0x10", "%00", "١",
        ];

        private static readonly string[] Decimals =
        [
            "-1", "0", "0.5", "0.0000001", "1", "3", "365", "36500", "-36500", "1000000", "79228162514264337593543950335",
            "79228162514264337593543950336", "1e28", "1e-30", "NaN", "Infinity", "abc", "",
        ];

        // Replaced after serialization: the serializer refuses to write what the fuzzing wants to send.
        private const string DeepMarker = "@@deep@@";

        private T Pick<T>(params T[] items) => items[rng.Next(items.Length)];

        private static string Text(JsonObject body) =>
            body.ToJsonString().Replace($"\"{DeepMarker}\"", new string('[', 200) + new string(']', 200), StringComparison.Ordinal);

        private bool Chance(int oneIn) => rng.Next(oneIn) == 0;

        private static string Escape(string text) => Uri.EscapeDataString(text);

        public Probe Clerk() => rng.Next(9) switch
        {
            0 or 1 => Receive(),
            2 or 3 => Complete(),
            4 => Apology(),
            5 => Inbox(),
            6 => Due(),
            7 => UnitList(),
            _ => Notifications(),
        };

        public Probe Reporting() => rng.Next(10) switch
        {
            < 6 => ODataQuery(),
            6 => ODataKey(),
            7 => ODataCount(),
            8 => PeriodReport(),
            _ => Csv(),
        };

        private Principal AnyClerk() => Pick(keys.All.Where(k => k.IsClerk).ToArray());

        private Probe Receive()
        {
            var body = ClerkRequests.ReceiveBody(Pick(ClerkRequests.Procedures), "Nguyễn Văn Fuzz", "051090001234");
            var what = new List<string>();
            for (var n = rng.Next(1, 4); n > 0; n--)
            {
                what.Add(MutateObject(body, ["procedureCode", "applicant", "channel", "receivingUnit", "receivedAt", "data", "applicant.name", "applicant.idNumber", "applicant.phone"]));
            }

            var key = Chance(5) ? AnyClerk() : keys.ClerkOf(ClerkRequests.Counter);
            var probe = Probe.Post("/api/dossiers").As(key);
            Body(probe, body, what);
            Headers(probe, what, ifMatch: false);
            probe.Note = "receipt: " + string.Join("; ", what);
            return probe;
        }

        private Probe Complete()
        {
            var what = new List<string>();
            var (taskId, unit) = data.OpenTasks.Count > 0 && !Chance(6) ? Pick([.. data.OpenTasks]) : (Pick("no-such-task", "%2e%2e%2f", new string('t', 3000), "' OR 1=1 --", "\u0000", "01a22a9f"), ClerkRequests.Counter);
            var body = new JsonObject { ["outcome"] = Pick("Done", "Paid", "RequestSupplement", "SupplementReceived", "Reject", "ReturnForRework"), ["comment"] = "fuzz" };
            for (var n = rng.Next(1, 4); n > 0; n--)
            {
                what.Add(MutateObject(body, ["outcome", "comment", "data", "data.hasFinancialObligation", "data.liaisonGroup"]));
            }

            var probe = Probe.Post($"/api/tasks/{Escape(taskId)}/complete").As(Chance(6) ? AnyClerk() : keys.ClerkOf(unit));
            Body(probe, body, what);
            Headers(probe, what, ifMatch: true);
            probe.Note = $"completion of {Probe.Shorten(taskId, 40)}: " + string.Join("; ", what);
            return probe;
        }

        private Probe Apology()
        {
            var what = new List<string>();
            var dossier = data.Dossiers.Count > 0 ? Pick([.. data.Dossiers]).Id : "none";
            var body = new JsonObject { ["newDueAt"] = Pick(Instants), ["reason"] = Pick("Thiếu hồ sơ", "", new string('r', rng.Next(2) == 0 ? 5000 : 500_000)) };
            what.Add(MutateObject(body, ["newDueAt", "reason"]));
            var probe = Probe.Post($"/api/dossiers/{Escape(dossier)}/apology").As(Chance(2) ? AnyClerk() : keys.Admin);
            Body(probe, body, what);
            probe.Note = "apology: " + string.Join("; ", what);
            return probe;
        }

        private Probe Inbox()
        {
            var query = Query(
                ("unit", () => Pick([.. keys.Units, "", "NOPE", "hcc-binhson", new string('u', 2000)])),
                ("role", () => Pick("land-registrar", "", "' or 1=1", "\u202e")),
                ("page", () => Pick(Integers)),
                ("pageSize", () => Pick(Integers)),
                ("sort", () => Pick("oldest", "urgency", "URGENCY", "", "x", "urgency;drop")));
            return Probe.Get("/api/inbox" + query).As(AnyClerk()).Noted("inbox");
        }

        private Probe Due()
        {
            var query = Query(
                ("receivedAt", () => Pick(Instants)),
                ("days", () => Pick(Decimals)),
                ("sameDay", () => Pick("true", "false", "yes", "", "1")));
            return Probe.Get("/api/calendar/due" + query).As(Pick(keys.All.ToArray())).Noted("due-date calculator");
        }

        private Probe UnitList()
        {
            var unit = Pick([.. keys.Units, "NOPE", "%2F", new string('u', 500)]);
            var clerk = Chance(3) ? keys.Admin : keys.All.FirstOrDefault(k => k.Units.Contains(unit) && k.IsClerk) ?? AnyClerk();
            if (Chance(2))
            {
                return Probe.Get($"/api/units/{Escape(unit)}/overdue" + Query(("page", () => Pick(Integers)), ("pageSize", () => Pick(Integers)))).As(clerk).Noted("overdue list");
            }

            var within = Query(("within", () => Pick("PT4H", "P1D", "P366D", "P367D", "P99999999D", "-P1D", "P0D", "PT0S", "abc", "1.00:00:00", "10675199.02:48:05.4775807", "")),
                ("page", () => Pick(Integers)), ("pageSize", () => Pick(Integers)));
            return Probe.Get($"/api/units/{Escape(unit)}/due-soon" + within).As(clerk).Noted("due-soon list");
        }

        private Probe Notifications()
        {
            var query = Query(
                ("unit", () => Pick([.. keys.Units, "", "NOPE"])),
                ("since", () => Pick(Instants)),
                ("kind", () => Pick("Warning", "Overdue", "warning", "", "Both")),
                ("cursor", () => Pick("", "abc", "MjAyNi0wMS0wMXx4", new string('=', 300), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", "%00")),
                ("limit", () => Pick(Integers)));
            return Probe.Get("/api/notifications" + query).As(Chance(3) ? keys.Admin : AnyClerk()).Noted("notification feed");
        }

        private Principal ReportingKey() => rng.Next(5) switch
        {
            0 => keys.Admin,
            1 => keys.All.First(k => k.IsReporter && k.Units.Count > 0),
            _ => keys.Reporter,
        };

        private Probe ODataQuery()
        {
            var set = Pick([.. odata.Sets.Keys]);
            var properties = odata.Sets[set];
            var options = new List<string>();
            if (!Chance(3))
            {
                options.Add("$filter=" + Escape(Filter(properties, 0)));
            }

            if (Chance(2))
            {
                options.Add("$orderby=" + Escape(string.Join(",", Enumerable.Range(0, rng.Next(1, 4)).Select(_ => OrderItem(properties)))));
            }

            if (Chance(3))
            {
                options.Add("$select=" + Escape(string.Join(",", Enumerable.Range(0, rng.Next(1, 5)).Select(_ => Chance(8) ? Pick("*", "Nope", "", "Id,Id") : Pick([.. properties]).Name))));
            }

            if (Chance(3))
            {
                options.Add("$top=" + Escape(Pick(Integers)));
            }

            if (Chance(4))
            {
                options.Add("$skip=" + Escape(Pick(Integers)));
            }

            if (Chance(4))
            {
                options.Add("$count=" + Pick("true", "false", "maybe"));
            }

            if (Chance(3))
            {
                options.Add("$apply=" + Escape(Apply(properties)));
            }

            if (Chance(15))
            {
                options.Add(Pick("$skiptoken=" + Escape(Pick("abc", "eyJ4IjoxfQ", new string('z', 4000), "1'")), "$expand=x", "$search=x", "$format=xml", "$foo=1", "$filter=", "$top=1&$top=2"));
            }

            var probe = Probe.Get($"/odata/v1/{set}" + (options.Count > 0 ? "?" + string.Join("&", options) : string.Empty)).As(ReportingKey());
            if (Chance(6))
            {
                probe.Header("Prefer", $"odata.maxpagesize={Pick(Integers)}");
            }

            return probe.Noted($"OData {set}");
        }

        private string Filter(List<(string Name, string Type)> properties, int depth)
        {
            if (depth < 3 && Chance(3))
            {
                return rng.Next(3) switch
                {
                    0 => $"({Filter(properties, depth + 1)}) and ({Filter(properties, depth + 1)})",
                    1 => $"{Filter(properties, depth + 1)} or {Filter(properties, depth + 1)}",
                    _ => $"not ({Filter(properties, depth + 1)})",
                };
            }

            if (Chance(25))
            {
                return Pick("(((((", "Nope eq 1", "1 eq 1", "true", "", "ReceivedDate ge", "contains(,'x')", new string('(', 200) + "true" + new string(')', 200), "Id eq 'a''", "Id in ()", "Id in ('a','b')");
            }

            var (name, type) = Pick([.. properties]);
            var op = Pick("eq", "ne", "gt", "ge", "lt", "le");
            var left = type switch
            {
                "Edm.String" when Chance(3) => Pick($"tolower({name})", $"length({name})", $"substring({name},{Pick(Integers)})", $"substring({name},1,{Pick(Integers)})",
                    $"indexof({name},'a')", $"concat({name},'x')", $"trim({name})", $"contains({name},{Literal("Edm.String")})", $"startswith({name},{Literal("Edm.String")})"),
                "Edm.DateTimeOffset" when Chance(3) => Pick($"year({name})", $"month({name})", $"day({name})", $"hour({name})", $"minute({name})", $"second({name})", $"date({name})"),
                "Edm.Int32" or "Edm.Double" or "Edm.Decimal" when Chance(3) => Pick($"{name} add {Pick(Integers)}", $"{name} sub 1", $"{name} mul {Pick(Integers)}",
                    $"{name} div 0", $"{name} mod 0", $"round({name})", $"floor({name})", $"ceiling({name})", $"-{name}"),
                _ => name,
            };
            if (left.StartsWith("contains(", StringComparison.Ordinal) || left.StartsWith("startswith(", StringComparison.Ordinal))
            {
                return left;
            }

            if (Chance(8))
            {
                return $"{name} in ({Literal(type)},{Literal(type)})";
            }

            // Now and then a literal of another type than the property's.
            var literalType = Chance(6) ? Pick("Edm.String", "Edm.Int32", "Edm.Date", "Edm.DateTimeOffset", "Edm.Boolean", "Edm.Double") : LiteralTypeFor(left, type);
            return $"{left} {op} {Literal(literalType)}";
        }

        private static string LiteralTypeFor(string left, string type) =>
            left.StartsWith("year(", StringComparison.Ordinal) || left.StartsWith("month(", StringComparison.Ordinal) || left.StartsWith("day(", StringComparison.Ordinal)
            || left.StartsWith("hour(", StringComparison.Ordinal) || left.StartsWith("minute(", StringComparison.Ordinal) || left.StartsWith("second(", StringComparison.Ordinal)
            || left.StartsWith("length(", StringComparison.Ordinal) || left.StartsWith("indexof(", StringComparison.Ordinal) ? "Edm.Int32"
            : left.StartsWith("date(", StringComparison.Ordinal) ? "Edm.Date"
            : type;

        private string Literal(string type) => type switch
        {
            "Edm.String" => Pick("'x'", "''", "'O''Brien'", "'Nguyễn'", "'%'", "'\\'", "'" + new string('s', 5000) + "'", "'\u0000'", "null", "'land'", "'HCC-BINHSON'"),
            "Edm.Int32" or "Edm.Int64" => Pick("0", "-1", "1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808", "1e309", "null", "99999999999999999999999"),
            "Edm.Double" or "Edm.Decimal" => Pick("0", "0.5", "-1.5", "1e308", "1e309", "INF", "NaN", "1.7976931348623157E+308", "null", "79228162514264337593543950336M"),
            "Edm.Date" => Pick("2026-01-01", "0001-01-01", "9999-12-31", "2026-02-30", "2025-02-29", "10000-01-01", "-0001-01-01", "null", "2026-1-1"),
            "Edm.DateTimeOffset" => Pick("2026-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.9999999Z",
                "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2026-01-01T00:00:00+07:00", "2026-01-01", "null"),
            "Edm.Boolean" => Pick("true", "false", "null", "1"),
            _ => "null",
        };

        private string OrderItem(List<(string Name, string Type)> properties) => Chance(10)
            ? Pick("Nope", "", "1", "Id asc desc", "length(Id)", "year(ReceivedAt) desc", "$it")
            : $"{Pick([.. properties]).Name}{Pick("", " asc", " desc")}";

        private string Apply(List<(string Name, string Type)> properties)
        {
            string Prop() => Chance(10) ? "Nope" : Pick([.. properties]).Name;
            var aggregate = $"aggregate({Pick($"{Prop()} with sum as S", $"{Prop()} with min as S", $"{Prop()} with max as S", $"{Prop()} with average as S", $"{Prop()} with countdistinct as S", "$count as C", $"{Prop()} with nope as S")})";
            return rng.Next(6) switch
            {
                0 => aggregate,
                1 => $"groupby(({Prop()}))",
                2 => $"groupby(({Prop()},{Prop()}),{aggregate})",
                3 => $"filter({Filter(properties, 2)})/groupby(({Prop()}),{aggregate})",
                4 => $"groupby(({Prop()}),{aggregate})/filter(S gt 1)",
                _ => Pick("groupby(", "aggregate()", "filter()", "groupby((),aggregate($count as C))", "compute(1 as X)", "groupby((Id),aggregate($count as C))/groupby((C))"),
            };
        }

        private Probe ODataKey()
        {
            var set = Pick([.. odata.Sets.Keys]);
            var key = data.Dossiers.Count > 0 && Chance(2) ? $"'{data.Dossiers[0].Id}'" : Pick("'x'", "1", "''", "'a''b'", "Id='x'", "'" + new string('k', 3000) + "'", "(", "'\u0000'", "UnitCode='HCC-BINHSON',FieldCode='land',Year=2026,Month=1");
            return Probe.Get($"/odata/v1/{set}({Escape(key)})").As(ReportingKey()).Noted($"OData {set} by key");
        }

        private Probe ODataCount()
        {
            var set = Pick([.. odata.Sets.Keys]);
            return Probe.Get($"/odata/v1/{set}/$count" + (Chance(2) ? "?$filter=" + Escape(Filter(odata.Sets[set], 1)) : string.Empty)).As(ReportingKey()).Noted($"OData {set}/$count");
        }

        private string Date() => Pick("2026-01-01", "2026-06-30", "0001-01-01", "9999-12-31", "1000-01-01", "2026-02-30", "2026-13-01", "", "abc", "2027-01-01", "2025-12-31", "-1");

        private Probe PeriodReport()
        {
            var options = new[] { "withdrawn=" + Pick("Separate", "OnTime", "x"), "rate=" + Pick("Form06", "LateShare", "Index766", "?"), "rounding=" + Pick("HalfUp", "Truncate", "Up"), "decimals=" + Pick(Integers), "apology=" + Pick("LegalDue", "NewAppointment", "?"), "paused=" + Pick("WithinLimit", "JudgeAtPause", "?") };
            var extra = string.Concat(options.Where(_ => Chance(4)).Select(o => "&" + o));
            return Chance(2)
                ? Probe.Get($"/odata/v1/PeriodReport?from={Escape(Date())}&to={Escape(Date())}{extra}").As(ReportingKey()).Noted("period report")
                : Probe.Get($"/odata/v1/PeriodReportFor(From={Escape(Date())},To={Escape(Date())})" + (Chance(2) ? "?$orderby=RowNumber" + extra : string.Empty)).As(ReportingKey()).Noted("period report function");
        }

        private Probe Csv() =>
            Probe.Get($"/api/reports/period.csv?from={Escape(Date())}&to={Escape(Date())}" + (Chance(2) ? $"&decimals={Escape(Pick(Integers))}" : string.Empty)).As(ReportingKey()).Noted("CSV period report");

        private string Query(params (string Name, Func<string> Value)[] parameters)
        {
            var parts = parameters.Where(_ => !Chance(3)).Select(p => $"{p.Name}={Escape(p.Value())}").ToList();
            if (Chance(10) && parts.Count > 0)
            {
                parts.Add(parts[0]);
            }

            return parts.Count == 0 ? string.Empty : "?" + string.Join("&", parts);
        }

        /// <summary>Changes one field of a JSON body (a path like applicant.name) and says how.</summary>
        private string MutateObject(JsonObject body, string[] fields)
        {
            var field = Pick(fields);
            var parts = field.Split('.');
            var parent = body;
            foreach (var part in parts[..^1])
            {
                if (parent[part] is not JsonObject child)
                {
                    child = [];
                    parent[part] = child;
                }

                parent = child;
            }

            var name = parts[^1];
            JsonNode? value = rng.Next(13) switch
            {
                0 => null,
                1 => 12345,
                2 => true,
                3 => new JsonArray(1, "a"),
                4 => new JsonObject { ["nested"] = new JsonObject { ["deeper"] = new JsonArray() } },
                5 => new string('x', Pick(300, 5_000, 200_000)),
                6 => Pick(Instants),
                7 => "\ud800",
                8 => Pick("", " ", "\u0000", "\u202eNOPE"),
                9 => 1e300,
                10 => Pick("Done", "land-first-certificate", "HCC-TINH", "online", "UBND-BINHSON"),
                11 => DeepMarker,
                _ => new JsonObject { ["hasFinancialObligation"] = Pick<JsonNode?>("maybe", 2147483648L, null), [new string('k', 300)] = 1 },
            };
            if (Chance(8))
            {
                parent.Remove(name);
                return $"{field} removed";
            }

            parent[name] = value;
            return $"{field} = {Probe.Shorten(value?.ToJsonString() ?? "null", 60)}";
        }

        /// <summary>The body as JSON, or now and then as something that is not JSON.</summary>
        private void Body(Probe probe, JsonObject body, List<string> what)
        {
            switch (rng.Next(14))
            {
                case 0:
                    probe.Text(Text(body)[..(Text(body).Length / 2)]);
                    what.Add("body cut in half");
                    break;
                case 1:
                    probe.Text(Text(body), Pick("text/plain", "application/xml", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded"));
                    what.Add($"content type {probe.ContentType}");
                    break;
                case 2:
                    probe.Bytes(Encoding.UTF8.GetBytes(Text(body)), null);
                    what.Add("no content type");
                    break;
                case 3:
                    probe.Text(Pick("", "null", "[]", "\"text\"", "{\"a\":1,\"a\":2}", "{" + new string(' ', 10) + "}", "\uFEFF{}", "{\"outcome\":\"Done\"}trailing"));
                    what.Add($"body {Probe.Shorten(probe.BodyText, 30)}");
                    break;
                default:
                    probe.Text(Text(body));
                    break;
            }
        }

        private void Headers(Probe probe, List<string> what, bool ifMatch)
        {
            var key = rng.Next(8) switch
            {
                0 => null,
                1 => new string('k', 129),
                2 => "",
                3 => "ключ-\u00e9",
                4 => "a b c",
                _ => Guid.NewGuid().ToString(),
            };
            if (key is not null)
            {
                probe.Header("Idempotency-Key", key);
                if (Chance(15))
                {
                    probe.Header("Idempotency-Key", "second");
                }
            }

            what.Add($"Idempotency-Key {Probe.Shorten(key ?? "absent", 20)}");
            if (ifMatch)
            {
                var tag = Pick<string?>("\"1\"", "\"2\"", "W/\"1\"", "*", "\"abc\"", "\"99999999999999\"", "\"-1\"", "1", "\"1\", \"2\"", "", null, "\"2147483648\"");
                if (tag is not null)
                {
                    probe.Header("If-Match", tag);
                }

                what.Add($"If-Match {tag ?? "absent"}");
            }
        }
    }

    private static Probe Noted(this Probe probe, string note)
    {
        probe.Note = note;
        return probe;
    }
}
