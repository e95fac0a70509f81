using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.Data.Sqlite;

namespace ProcessServer.Faults.Scenarios;

/// <summary>
/// The access matrix: every route of the OpenAPI document, of the route table (with
/// <c>/elsa/api</c>) and of the OData feed, called with every configured key, a wrong key and no
/// key. Each call must get the outcome the access rules give (401 without a valid key, 403 for a
/// role or a unit that may not, anything but 401/403 otherwise). A call that must be refused is
/// made for real — a completion with the right version, a receipt, a publish — and must change
/// nothing in the store; a call that may pass is made harmless. No clerk or unit-bound reporter may
/// get a dossier, task, row or list item of a unit they do not work for.
/// </summary>
public static class AccessMatrix
{
    public sealed record Options(int Seed);

    private enum Expect
    {
        Allowed,
        Unauthenticated,
        Forbidden,
        ForbiddenUnit,
    }

    private static readonly Principal Nobody = new("(no key)", string.Empty, "None", []);

    public static async Task<FaultReport> RunAsync(Options options, FaultLog log, CancellationToken cancellationToken = default)
    {
        var report = new FaultReport("access matrix", options.Seed, log);
        // Development: the OpenAPI document is served there; the keys are still fresh 48-character ones.
        await using var host = FaultHost.Create("access", log, environment: "Development");
        try
        {
            await host.StartAsync(cancellationToken);
            using var http = host.CreateClient();
            var client = new FaultClient(http, report);
            var world = await World.CreateAsync(host, client, report, cancellationToken);
            var routes = await RoutesAsync(host, client, report, cancellationToken);
            var wrong = new Principal("(wrong key)", $"wrong-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}", "None", []);
            Principal[] principals = [Nobody, wrong, .. host.Keys.All];
            log.Line($"[fault] access matrix: {routes.Count} routes × {principals.Length} callers, seed {options.Seed}");
            report.Count("routes", routes.Count);

            var calls = new List<(Route Route, Target Target, Principal Caller, Expect Expect)>();
            foreach (var route in routes)
            {
                var policy = Policy(route);
                if (policy is null)
                {
                    report.Fail($"route {route} ({route.Source}) has no expected access; add it to AccessMatrix.Policy");
                    continue;
                }

                foreach (var target in world.Targets(route))
                {
                    calls.AddRange(principals.Select(caller => (route, target, caller, Expected(policy, target, caller))));
                }
            }

            // Refusals first, each made for real and each checked to have changed nothing.
            using var store = host.OpenConnection();
            foreach (var (route, target, caller, expect) in calls.Where(c => c.Expect != Expect.Allowed))
            {
                await RefusedAsync(client, report, store, route, target, caller, expect, cancellationToken);
            }

            foreach (var (route, target, caller, _) in calls.Where(c => c.Expect == Expect.Allowed))
            {
                await AllowedAsync(client, report, world, route, target, caller, cancellationToken);
            }

            report.Count("calls", calls.Count);
            report.Count("refusals checked", calls.Count(c => c.Expect != Expect.Allowed));
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

    /// <summary>The routes: OpenAPI ∪ route table ∪ OData; every documented route must exist.</summary>
    private static async Task<List<Route>> RoutesAsync(FaultHost host, FaultClient client, FaultReport report, CancellationToken cancellationToken)
    {
        var openApi = await client.SendAsync(Probe.Get("/openapi/v1.json"), cancellationToken: cancellationToken);
        if (openApi is not { Status: 200 })
        {
            openApi = await client.SendAsync(Probe.Get("/openapi/v1.json").As(host.Keys.Admin), cancellationToken: cancellationToken);
        }

        if (openApi?.JsonObject() is not { } document)
        {
            throw new InvalidOperationException($"the OpenAPI document cannot be read ({openApi?.Status})");
        }

        var service = await client.SendAsync(Probe.Get("/odata/v1/").As(host.Keys.Reporter), cancellationToken: cancellationToken);
        var metadata = await client.SendAsync(Probe.Get("/odata/v1/$metadata").As(host.Keys.Reporter), cancellationToken: cancellationToken);
        if (service?.JsonObject() is not { } serviceDocument || metadata is not { Status: 200 })
        {
            throw new InvalidOperationException("the OData service document or $metadata cannot be read");
        }

        var documented = RouteCatalog.FromOpenApi(document);
        var table = await RouteCatalog.FromRouteTableAsync(host);
        foreach (var route in documented.Where(d => !table.Any(t => t.Method == d.Method && t.Template == d.Template)))
        {
            report.Fail($"the OpenAPI document has {route}, which the server's route table does not");
        }

        report.Count("documented in OpenAPI", documented.Count);
        var all = documented
            .Concat(table.Where(t => !documented.Any(d => d.Method == t.Method && d.Template == t.Template)))
            .Where(r => !r.Template.Contains("{**", StringComparison.Ordinal) || !r.Template.StartsWith("/odata/", StringComparison.Ordinal))
            .Concat(RouteCatalog.FromOData(serviceDocument, XDocument.Parse(metadata.Body)))
            .ToList();
        return all;
    }

    /// <summary>Who may call a route, from the README's access rules; null when the route is unknown.</summary>
    private static string[]? Policy(Route route)
    {
        string[] anyone = ["*"], anyRole = ["Administrator", "Clerk", "Reporter"], clerks = ["Administrator", "Clerk"], reporters = ["Administrator", "Reporter"], admins = ["Administrator"];
        var (method, path) = (route.Method, route.Template);
        bool Under(string prefix) => path == prefix || path.StartsWith(prefix + "/", StringComparison.Ordinal) || path.StartsWith(prefix + "?", StringComparison.Ordinal);
        return path switch
        {
            // Liveness, readiness and (when switched on) the Prometheus scrape: for load balancers and scrapers, which carry no key.
            "/" or "/health" or "/health/ready" or "/metrics" => anyone,
            _ when Under("/designer") || Under("/swagger") || path.StartsWith("/openapi/", StringComparison.Ordinal) => anyone,

            // The citizens' look-up page and API (secret from the receipt, rate-limited) and the forms' stylesheet.
            _ when Under("/tra-cuu") || Under("/api/public") || path == "/forms/forms.css" => anyone,

            // Leaders' acts: of the fault suite's roles only the administrator (who leads every unit) may.
            _ when Under("/api/late-entries") || Under("/api/units/{unit}/needs-attention") || path == "/api/tasks/{taskId}/assign" => admins,
            _ when path.StartsWith("/api/dossiers/{id}/", StringComparison.Ordinal)
                && (path.EndsWith("/withdrawal-acceptance", StringComparison.Ordinal) || path.EndsWith("/return-without-resolution", StringComparison.Ordinal)
                    || path.EndsWith("/return-for-rework", StringComparison.Ordinal) || path.EndsWith("/forced-completion", StringComparison.Ordinal)
                    || path.Contains("/repairs", StringComparison.Ordinal)) => admins,
            _ when Under("/api/audit") || Under("/api/imports") || Under("/api/reorganisations") || Under("/api/outbox") || Under("/api/portal") => admins,
            "/api/units" when method == "GET" => anyRole,
            _ when path is "/api/units/{code}" or "/api/units/{code}/leaders" => admins,
            _ when Under("/odata/v1") || path == "/api/reports/period.csv" => reporters,
            _ when Under("/elsa/api") || Under("/api/migrations") => admins,
            "/api/procedures" or "/api/procedures/{code}/definition" when method == "GET" => anyRole,
            _ when Under("/api/procedures") => admins,
            _ when Under("/api/calendar") => method == "GET" ? anyRole : admins,
            _ when Under("/api/dossiers") || Under("/api/tasks") || Under("/api/inbox") || Under("/api/units") || Under("/api/notifications") => clerks,
            _ => null,
        };
    }

    private static Expect Expected(string[] policy, Target target, Principal caller)
    {
        if (policy.Contains("*"))
        {
            return Expect.Allowed;
        }

        if (caller.Role == "None")
        {
            return Expect.Unauthenticated;
        }

        if (!policy.Contains(caller.Role))
        {
            return Expect.Forbidden;
        }

        return caller.IsClerk && target.ClerkMay is { } may && !may(caller) ? Expect.ForbiddenUnit : Expect.Allowed;
    }

    private static async Task RefusedAsync(FaultClient client, FaultReport report, SqliteConnection store, Route route, Target target, Principal caller, Expect expect, CancellationToken cancellationToken)
    {
        var probe = target.Real(caller);
        probe.Note = $"{route} as {caller.Name}: must be refused ({(expect == Expect.Unauthenticated ? "401" : "403")}) — {target.Label}";
        var before = route.Method == "GET" ? null : Fingerprint(store);
        var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
        report.Count("refusals expected");
        var wanted = expect == Expect.Unauthenticated ? 401 : 403;
        if (answer is null)
        {
            report.Fail("no answer", probe);
        }
        else if (answer.Status != wanted && answer.Status != 429 && answer.Status < 500)
        {
            var what = $"{route} as {caller.Name} answered {answer.Status}, expected {wanted}";
            if (expect == Expect.ForbiddenUnit)
            {
                report.CrossUnitAccess(what + " (another unit's resource)", probe, answer);
            }
            else
            {
                report.Fail(what, probe, answer);
            }
        }

        if (before is not null && Fingerprint(store) != before)
        {
            var what = $"{route} as {caller.Name} was refused ({answer?.Status}) but the store changed";
            if (expect == Expect.ForbiddenUnit)
            {
                report.CrossUnitAccess(what, probe, answer);
            }
            else
            {
                report.Fail(what, probe, answer);
            }
        }
    }

    private static async Task AllowedAsync(FaultClient client, FaultReport report, World world, Route route, Target target, Principal caller, CancellationToken cancellationToken)
    {
        var probe = target.Harmless(caller);
        probe.Note = $"{route} as {caller.Name}: allowed — {target.Label}";
        var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
        report.Count("allowed calls");
        if (answer is null)
        {
            report.Fail("no answer", probe);
            return;
        }

        if (answer.Status is 401 or 403)
        {
            report.Fail($"{route} as {caller.Name} answered {answer.Status} but the caller may", probe, answer);
            return;
        }

        if (answer.IsSuccess && !caller.SeesEveryUnit && caller.Role != "None")
        {
            foreach (var leak in world.Leaks(caller, route, answer))
            {
                report.CrossUnitAccess($"{route} as {caller.Name} ({string.Join(",", caller.Units)}): {leak}", probe, answer);
            }
        }
    }

    /// <summary>What a refused write could have changed: definitions, dossiers, tasks, journal, calendar, plans, stored answers.</summary>
    private static string Fingerprint(SqliteConnection store)
    {
        using var command = store.CreateCommand();
        command.CommandText = """
            SELECT 'd', group_concat(Id || ':' || IsLatest || IsPublished || ':' || coalesce(PublishedAt, '') || ':' || length(Json), ',') FROM (SELECT * FROM WorkflowDefinitionVersions ORDER BY Id)
            UNION ALL SELECT 'x', group_concat(Id || ':' || Version || ':' || Status || ':' || DefinitionVersionId || ':' || coalesce(ApologyDueAt, ''), ',') FROM (SELECT * FROM Dossiers ORDER BY Id)
            UNION ALL SELECT 't', group_concat(Id || ':' || Status, ',') FROM (SELECT * FROM Tasks ORDER BY Id)
            UNION ALL SELECT 'j', count(*) FROM Journal
            UNION ALL SELECT 'c', count(*) FROM CalendarVersions
            UNION ALL SELECT 'm', group_concat(Id || ':' || Status || ':' || Migrated, ',') FROM (SELECT * FROM MigrationPlans ORDER BY Id)
            UNION ALL SELECT 'r', count(*) FROM MigrationResults
            UNION ALL SELECT 'i', count(*) FROM IdempotencyRecords
            """;
        using var reader = command.ExecuteReader();
        var text = new StringBuilder();
        while (reader.Read())
        {
            text.Append(reader.GetString(0)).Append('=').Append(reader.IsDBNull(1) ? string.Empty : Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture)).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// One concrete call of a route: the real request (made when the caller must be refused) and the
    /// harmless one (made when the caller may), and for unit-bound resources which clerks may.
    /// </summary>
    private sealed class Target
    {
        public required string Label { get; init; }

        public required Func<Principal, Probe> Real { get; init; }

        public Func<Principal, Probe>? HarmlessRequest { get; init; }

        /// <summary>For a resource of some unit: whether a clerk may act on it.</summary>
        public Func<Principal, bool>? ClerkMay { get; init; }

        public Probe Harmless(Principal caller) => (HarmlessRequest ?? Real)(caller);
    }

    /// <summary>The dossiers, tasks, units and plans the matrix aims at, and the ground truth of who may see what.</summary>
    private sealed class World
    {
        private readonly FaultHost _host;
        private readonly Dictionary<string, HashSet<string>> _units = new(StringComparer.Ordinal);

        private World(FaultHost host) => _host = host;

        public List<(string Id, string Receipt, string ReceivingUnit)> Dossiers { get; } = [];

        public List<(string Id, string DossierId, string Unit, int Version)> Tasks { get; } = [];

        public string PlanId { get; private set; } = "no-plan";

        public JsonObject BirthModel { get; private set; } = [];

        public static async Task<World> CreateAsync(FaultHost host, FaultClient client, FaultReport report, CancellationToken cancellationToken)
        {
            var world = new World(host);
            var keys = host.Keys;
            async Task<JsonObject?> Receive(string procedure, string unit, string name, DateTimeOffset? at = null)
            {
                // A receipt dated back is a late entry, which only leaders and administrators may record.
                var probe = ClerkRequests.Receive(at is null ? keys.ClerkOf(unit) : keys.Admin, ClerkRequests.ReceiveBody(procedure, name, "051090001234", unit, at), Guid.NewGuid().ToString());
                var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
                if (answer is not { Status: 201 })
                {
                    report.Fail("setting up: a receipt failed", probe, answer);
                }

                return answer?.JsonObject();
            }

            async Task<JsonObject?> Complete(JsonObject? dossier, string activity)
            {
                var task = dossier is null ? null : ClerkRequests.OpenTasks(dossier).FirstOrDefault(t => t.ActivityId == activity);
                if (task is null)
                {
                    return dossier;
                }

                var probe = ClerkRequests.Complete(keys.ClerkOf(task.UnitCode), task.Id, Json.Number(dossier, "version"), "Done", Guid.NewGuid().ToString());
                var answer = await client.SendAsync(probe, cancellationToken: cancellationToken);
                if (answer is not { Status: 200 })
                {
                    report.Fail("setting up: a completion failed", probe, answer);
                }

                return answer?.JsonObject() ?? dossier;
            }

            // Open tasks at every unit of the samples, a dossier received at another counter, and one
            // received weeks ago so overdue lists and notifications have rows.
            await Complete(await Receive("land-first-certificate", "HCC-BINHSON", "Access land"), "check");
            await Receive("birth-registration", "HCC-BINHSON", "Access birth");
            await Complete(await Receive("birth-residence-insurance", "HCC-BINHSON", "Access liaison"), "registerBirth");
            await Receive("birth-registration", "HCC-TINH", "Access province birth");
            // 25 days back: inside the 30-day late-entry window even when set-up runs slowly, and still overdue.
            await Receive("land-first-certificate", "HCC-BINHSON", "Access overdue land", DateTimeOffset.UtcNow.AddDays(-25));

            var admin = keys.Admin;
            var model = await client.SendAsync(Probe.Get("/elsa/api/workflow-definitions/by-definition-id/birth-registration").As(admin), cancellationToken: cancellationToken);
            world.BirthModel = model?.JsonObject() ?? [];

            // A published version 2 of birth registration and a migration plan to it; a draft of land.
            var definition = await client.SendAsync(Probe.Get("/api/procedures/birth-registration/definition").As(admin), cancellationToken: cancellationToken);
            await client.SendAsync(Probe.Put("/api/procedures/birth-registration/draft?publish=true").As(admin).Text(definition?.Body ?? "{}"), cancellationToken: cancellationToken);
            var plan = await client.SendAsync(Probe.Post("/api/migrations").As(admin).Json(new JsonObject
            {
                ["procedureCode"] = "birth-registration", ["sourceVersions"] = new JsonArray(1), ["targetVersion"] = 2,
            }), cancellationToken: cancellationToken);
            world.PlanId = plan?.JsonObject()?["id"]?.GetValue<string>() ?? "no-plan";
            var land = await client.SendAsync(Probe.Get("/api/procedures/land-first-certificate/definition").As(admin), cancellationToken: cancellationToken);
            var landDraft = JsonNode.Parse(land?.Body ?? "{}")!.AsObject();
            landDraft["description"] = "A draft the access matrix keeps";
            await client.SendAsync(Probe.Put("/api/procedures/land-first-certificate/draft").As(admin).Json(landDraft), cancellationToken: cancellationToken);

            // Wait for the deadline sweep to fire the old dossier's overdue events.
            for (var i = 0; i < 100; i++)
            {
                var feed = await client.SendAsync(Probe.Get("/api/notifications").As(admin), cancellationToken: cancellationToken);
                if (feed?.JsonObject()?["items"] is JsonArray { Count: > 0 })
                {
                    break;
                }

                await Task.Delay(200, cancellationToken);
            }

            await using var db = host.OpenStore();
            foreach (var d in db.Dossiers.OrderBy(d => d.ReceiptCode).ToList())
            {
                world.Dossiers.Add((d.Id, d.ReceiptCode, d.ReceivingUnit));
            }

            var versions = db.Dossiers.ToDictionary(d => d.Id, d => d.Version, StringComparer.Ordinal);
            foreach (var t in db.Tasks.Where(t => t.Status == "Pending").OrderBy(t => t.Id).ToList())
            {
                world.Tasks.Add((t.Id, t.DossierId, t.UnitCode, versions[t.DossierId]));
            }

            return world;
        }

        /// <summary>Whether the key's units received or handled the dossier (the README's rule).</summary>
        public bool Visible(Principal caller, string dossierId)
        {
            if (!_units.TryGetValue(dossierId, out var units))
            {
                using var store = _host.OpenConnection();
                using var command = store.CreateCommand();
                command.CommandText = "SELECT ReceivingUnit FROM Dossiers WHERE Id = $id UNION SELECT UnitCode FROM Tasks WHERE DossierId = $id";
                command.Parameters.AddWithValue("$id", dossierId);
                using var reader = command.ExecuteReader();
                units = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read())
                {
                    units.Add(reader.GetString(0));
                }

                _units[dossierId] = units;
            }

            return units.Count > 0 && caller.Units.Any(units.Contains);
        }

        private bool HoldsOpenTask(Principal caller, string dossierId) => Tasks.Any(t => t.DossierId == dossierId && caller.Units.Contains(t.Unit));

        /// <summary>Everything in an allowed answer that belongs to a unit the caller does not work for.</summary>
        public IEnumerable<string> Leaks(Principal caller, Route route, Answer answer)
        {
            if (route.Template == "/api/reports/period.csv")
            {
                foreach (var other in _host.Keys.Units.Where(u => !caller.Units.Contains(u) && answer.Body.Contains(u, StringComparison.Ordinal)))
                {
                    yield return $"the CSV report holds unit {other}";
                }

                yield break;
            }

            var unitScoped = route.Template.StartsWith("/api/inbox", StringComparison.Ordinal) || route.Template.StartsWith("/api/units", StringComparison.Ordinal)
                || route.Template.StartsWith("/api/notifications", StringComparison.Ordinal) || route.Template.Contains("Stats", StringComparison.Ordinal)
                || route.Template.Contains("PeriodReport", StringComparison.Ordinal);
            foreach (var node in Walk(answer.Json()))
            {
                if (node is not JsonObject item)
                {
                    continue;
                }

                var dossierId = Field(item, "dossierId")
                    ?? (Field(item, "receiptCode") is not null && Field(item, "receivingUnit") is not null ? Field(item, "id") : null)
                    ?? (route.Template.StartsWith("/odata/v1/Dossiers", StringComparison.Ordinal) ? Field(item, "Id") : null);
                if (dossierId is not null && !Visible(caller, dossierId))
                {
                    yield return $"dossier {dossierId}";
                }

                // The report's level subtotals and total name no unit: they are sums of the caller's own rows
                // (PeriodReportTests checks a unit-bound reporter's sums against its rows).
                if (unitScoped && Field(item, "unitCode") is { } unit && !caller.Units.Contains(unit)
                    && !(unit.Length == 0 && Field(item, "kind") is "Level" or "Total"))
                {
                    yield return $"an item of unit {unit}";
                }
            }
        }

        private static string? Field(JsonObject item, string name)
        {
            var match = item.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase));
            return match.Value is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
        }

        private static IEnumerable<JsonNode> Walk(JsonNode? node)
        {
            if (node is null)
            {
                yield break;
            }

            yield return node;
            var children = node switch
            {
                JsonObject o => o.Select(p => p.Value),
                JsonArray a => a.AsEnumerable(),
                _ => [],
            };
            foreach (var child in children)
            {
                foreach (var n in Walk(child))
                {
                    yield return n;
                }
            }
        }

        /// <summary>The concrete calls of a route, each with its real and its harmless request.</summary>
        public IEnumerable<Target> Targets(Route route)
        {
            Probe P(string method, string path, Principal caller, JsonNode? body = null, string? raw = null)
            {
                var probe = new Probe(new HttpMethod(method), path);
                if (caller.Role == "None" && caller.Secret.Length > 0)
                {
                    probe.Header("X-Api-Key", caller.Secret);
                }
                else if (caller.Role != "None")
                {
                    probe.As(caller);
                }

                if (raw is not null)
                {
                    probe.Text(raw);
                }
                else if (body is not null)
                {
                    probe.Json(body);
                }

                return probe;
            }

            Target Simple(string path, JsonNode? body = null, string? harmlessPath = null, JsonNode? harmlessBody = null, string label = "") => new()
            {
                Label = label.Length > 0 ? label : path,
                // Acts that change a dossier need an Idempotency-Key; a request without one would be
                // refused for that (400) before the server ever judges who sent it.
                Real = c => route.Method is "POST" or "PUT" ? P(route.Method, path, c, body).Header("Idempotency-Key", Guid.NewGuid().ToString()) : P(route.Method, path, c, body),
                HarmlessRequest = harmlessPath is null && harmlessBody is null ? null : c => P(route.Method, harmlessPath ?? path, c, harmlessBody ?? body),
            };

            var keys = _host.Keys;
            var birthEdit = (JsonObject)BirthModel.DeepClone();
            birthEdit.Remove("id");
            birthEdit["description"] = "changed by a caller that may not";
            var key = route.Method + " " + route.Template;
            switch (key)
            {
                case "GET /api/dossiers/{idOrReceiptCode}":
                    foreach (var (id, receipt, unit) in Dossiers)
                    {
                        var dossierId = id;
                        yield return new Target { Label = $"dossier {receipt}", Real = c => P("GET", $"/api/dossiers/{id}", c), ClerkMay = c => Visible(c, dossierId) };
                    }

                    yield return new Target { Label = "by receipt code", Real = c => P("GET", $"/api/dossiers/{Dossiers[0].Receipt}", c), ClerkMay = c => Visible(c, Dossiers[0].Id) };
                    break;
                case "POST /api/dossiers":
                    foreach (var unit in new[] { ClerkRequests.Counter, "HCC-TINH" })
                    {
                        var at = unit;
                        yield return new Target
                        {
                            Label = $"receipt at {unit}",
                            Real = c => P("POST", "/api/dossiers", c, ClerkRequests.ReceiveBody("birth-registration", $"Access receipt by {c.Name}", "051090001234", at)),
                            ClerkMay = c => c.Units.Contains(at),
                        };
                    }

                    break;
                case "POST /api/tasks/{taskId}/complete":
                    foreach (var (id, dossierId, unit, version) in Tasks)
                    {
                        var (taskId, taskUnit, taskVersion) = (id, unit, version);
                        yield return new Target
                        {
                            Label = $"task of {unit}",
                            Real = c => P("POST", $"/api/tasks/{taskId}/complete", c, new JsonObject { ["outcome"] = "Done", ["comment"] = "access matrix" })
                                .Header("If-Match", $"\"{taskVersion}\"").Header("Idempotency-Key", Guid.NewGuid().ToString()),
                            HarmlessRequest = c => P("POST", $"/api/tasks/{taskId}/complete", c, new JsonObject { ["outcome"] = "Done" })
                                .Header("If-Match", "\"999999\"").Header("Idempotency-Key", Guid.NewGuid().ToString()),
                            ClerkMay = c => c.Units.Contains(taskUnit),
                        };
                    }

                    break;
                case "POST /api/dossiers/{id}/apology":
                    foreach (var (id, receipt, _) in Dossiers)
                    {
                        var dossierId = id;
                        yield return new Target
                        {
                            Label = $"apology for {receipt}",
                            Real = c => P("POST", $"/api/dossiers/{dossierId}/apology", c, new JsonObject { ["newDueAt"] = DateTimeOffset.UtcNow.AddDays(60).ToString("O", CultureInfo.InvariantCulture), ["reason"] = "access matrix" }),
                            HarmlessRequest = c => P("POST", $"/api/dossiers/{dossierId}/apology", c, new JsonObject { ["newDueAt"] = "2000-01-01T00:00:00Z", ["reason"] = "access matrix" }),
                            ClerkMay = c => HoldsOpenTask(c, dossierId),
                        };
                    }

                    break;
                case "GET /api/inbox":
                    yield return Simple("/api/inbox", label: "own units");
                    foreach (var unit in keys.Units)
                    {
                        var u = unit;
                        yield return new Target { Label = $"inbox of {unit}", Real = c => P("GET", $"/api/inbox?unit={u}", c), ClerkMay = c => c.Units.Contains(u) };
                    }

                    break;
                case "POST /api/tasks/{taskId}/assign":
                    foreach (var (id, _, unit, version) in Tasks)
                    {
                        // With the If-Match and Idempotency-Key a real assignment carries, so the answer is
                        // the server's verdict on the caller rather than on a missing header.
                        var (taskId, taskVersion) = (id, version);
                        yield return new Target
                        {
                            Label = $"task of {unit}",
                            Real = c => P("POST", $"/api/tasks/{taskId}/assign", c, new JsonObject { ["personId"] = "nobody", ["reason"] = "access matrix" })
                                .Header("If-Match", $"\"{taskVersion}\"").Header("Idempotency-Key", Guid.NewGuid().ToString()),
                        };
                    }

                    break;
                case "GET /api/units/{unit}/people":
                    foreach (var unit in new[] { "VPDKDD-BINHSON", "HCC-BINHSON", "HCC-TINH" })
                    {
                        var u = unit;
                        yield return new Target { Label = $"people of {unit}", Real = c => P("GET", $"/api/units/{u}/people", c), ClerkMay = c => c.Units.Contains(u) };
                    }

                    break;
                case "GET /api/units/{unit}/overdue" or "GET /api/units/{unit}/due-soon":
                    foreach (var unit in new[] { "VPDKDD-BINHSON", "UBND-BINHSON", "HCC-TINH" })
                    {
                        var u = unit;
                        yield return new Target { Label = $"unit {unit}", Real = c => P("GET", route.Template.Replace("{unit}", u, StringComparison.Ordinal) + (route.Template.EndsWith("due-soon", StringComparison.Ordinal) ? "?within=P60D" : string.Empty), c), ClerkMay = c => c.Units.Contains(u) };
                    }

                    break;
                case "GET /api/notifications":
                    yield return Simple("/api/notifications", label: "own units");
                    foreach (var unit in new[] { "VPDKDD-BINHSON", "HCC-BINHSON" })
                    {
                        var u = unit;
                        yield return new Target { Label = $"notifications of {unit}", Real = c => P("GET", $"/api/notifications?unit={u}", c), ClerkMay = c => c.Units.Contains(u) };
                    }

                    break;
                case "GET /api/procedures/{code}/definition" or "GET /api/procedures/{code}/versions":
                    yield return Simple(route.Template.Replace("{code}", "birth-registration", StringComparison.Ordinal));
                    break;
                case "PUT /api/procedures/{code}/draft":
                    yield return Simple("/api/procedures/birth-registration/draft?publish=true", birthEdit, harmlessBody: new JsonObject());
                    break;
                case "PUT /api/procedures/{code}/versions/{version}":
                    yield return Simple("/api/procedures/land-first-certificate/versions/2", new JsonObject { ["definitionId"] = "land-first-certificate", ["name"] = "overwritten", ["root"] = new JsonObject { ["type"] = "Elsa.Flowchart" } }, harmlessBody: new JsonObject());
                    break;
                case "DELETE /api/procedures/{code}/versions/{version}":
                    yield return Simple("/api/procedures/land-first-certificate/versions/2", harmlessPath: "/api/procedures/land-first-certificate/versions/999");
                    break;
                case "POST /api/procedures/{code}/versions/{version}/publish":
                    yield return Simple("/api/procedures/land-first-certificate/versions/2/publish", harmlessPath: "/api/procedures/land-first-certificate/versions/999/publish");
                    break;
                case "POST /api/procedures/{code}/retract":
                    yield return Simple("/api/procedures/birth-registration/retract", harmlessPath: "/api/procedures/no-such-procedure/retract");
                    break;
                case "POST /api/migrations":
                    yield return Simple("/api/migrations", new JsonObject { ["procedureCode"] = "birth-registration", ["sourceVersions"] = new JsonArray(1), ["targetVersion"] = 2 }, harmlessBody: new JsonObject());
                    break;
                case "POST /api/migrations/{id}/execute":
                    yield return Simple($"/api/migrations/{PlanId}/execute", harmlessPath: "/api/migrations/no-such-plan/execute");
                    break;
                case "POST /api/migrations/{id}/dry-run" or "GET /api/migrations/{id}":
                    yield return Simple(route.Template.Replace("{id}", PlanId, StringComparison.Ordinal));
                    break;
                case "PUT /api/calendar":
                    yield return new Target
                    {
                        Label = "replace the calendar",
                        Real = c => P("PUT", "/api/calendar?comment=access", c, raw: CurrentCalendar()),
                        HarmlessRequest = c => P("PUT", "/api/calendar", c, raw: "not a calendar"),
                    };
                    break;
                case "POST /api/calendar/days-off" or "POST /api/calendar/working-days":
                    yield return Simple(route.Template, new JsonObject { ["date"] = route.Template.EndsWith("days-off", StringComparison.Ordinal) ? "2026-12-28" : "2026-12-26", ["name"] = "access matrix", ["comment"] = "must not be stored" }, harmlessBody: new JsonObject());
                    break;
                case "DELETE /api/calendar/days/{date}":
                    yield return Simple("/api/calendar/days/2026-09-02", harmlessPath: "/api/calendar/days/1999-01-01");
                    break;
                case "GET /api/calendar/versions/{version}":
                    yield return Simple("/api/calendar/versions/1");
                    break;
                case "GET /api/calendar/due":
                    yield return Simple("/api/calendar/due?days=3");
                    break;
                case "GET /api/reports/period.csv":
                    yield return Simple("/api/reports/period.csv?from=2020-01-01&to=2030-12-31");
                    break;
                case "POST /elsa/api/workflow-definitions":
                    yield return Simple("/elsa/api/workflow-definitions", new JsonObject { ["model"] = birthEdit, ["publish"] = true }, harmlessBody: new JsonObject());
                    break;
                case "POST /elsa/api/workflow-definitions/{definitionId}/publish":
                    yield return Simple("/elsa/api/workflow-definitions/land-first-certificate/publish", harmlessPath: "/elsa/api/workflow-definitions/no-such-procedure/publish");
                    break;
                case "POST /elsa/api/workflow-definitions/{definitionId}/retract":
                    yield return Simple("/elsa/api/workflow-definitions/birth-registration/retract", harmlessPath: "/elsa/api/workflow-definitions/no-such-procedure/retract");
                    break;
                case "POST /elsa/api/workflow-definitions/{definitionId}/revert/{version}":
                    yield return Simple("/elsa/api/workflow-definitions/land-first-certificate/revert/1", harmlessPath: "/elsa/api/workflow-definitions/no-such-procedure/revert/1");
                    break;
                case "DELETE /elsa/api/workflow-definitions/{definitionId}":
                    yield return Simple("/elsa/api/workflow-definitions/land-first-certificate", harmlessPath: "/elsa/api/workflow-definitions/no-such-procedure");
                    break;
                case "DELETE /elsa/api/workflow-definition-versions/{id}":
                    yield return Simple("/elsa/api/workflow-definition-versions/land-first-certificate-v2", harmlessPath: "/elsa/api/workflow-definition-versions/no-such-v1");
                    break;
                case "POST /elsa/api/bulk-actions/publish/workflow-definitions/by-definition-ids":
                    yield return Simple(route.Template, new JsonObject { ["definitionIds"] = new JsonArray("land-first-certificate") }, harmlessBody: new JsonObject { ["definitionIds"] = new JsonArray("no-such-procedure") });
                    break;
                case "POST /elsa/api/bulk-actions/retract/workflow-definitions/by-definition-ids":
                    yield return Simple(route.Template, new JsonObject { ["definitionIds"] = new JsonArray("birth-registration") }, harmlessBody: new JsonObject { ["definitionIds"] = new JsonArray("no-such-procedure") });
                    break;
                case "POST /elsa/api/bulk-actions/delete/workflow-definitions/by-definition-id":
                    yield return Simple(route.Template, new JsonObject { ["definitionIds"] = new JsonArray("land-first-certificate") }, harmlessBody: new JsonObject { ["definitionIds"] = new JsonArray("no-such-procedure") });
                    break;
                case "POST /elsa/api/bulk-actions/delete/workflow-definitions/by-id":
                    yield return Simple(route.Template, new JsonObject { ["ids"] = new JsonArray("land-first-certificate-v2") }, harmlessBody: new JsonObject { ["ids"] = new JsonArray("no-such-v1") });
                    break;
                case "GET /odata/v1/PeriodReportFor(From={From},To={To})":
                    yield return Simple("/odata/v1/PeriodReportFor(From=2020-01-01,To=2030-12-31)");
                    break;
                case "GET /odata/v1/PeriodReport":
                    yield return Simple("/odata/v1/PeriodReport?from=2020-01-01&to=2030-12-31");
                    break;
                default:
                    // Any other route (a new one included) with its parameters filled from the world.
                    yield return Simple(Fill(route.Template), route.Method is "POST" or "PUT" ? new JsonObject() : null);
                    break;
            }
        }

        private string Fill(string template)
        {
            var dossier = Dossiers.Count > 0 ? Dossiers[0].Id : "none";
            return template
                .Replace("{**path}", "index.html", StringComparison.Ordinal)
                .Replace("{documentName}", "v1", StringComparison.Ordinal)
                .Replace("/workflow-instances/{id}", $"/workflow-instances/{dossier}", StringComparison.Ordinal)
                .Replace("/activity-executions/{id}", $"/activity-executions/{dossier}", StringComparison.Ordinal)
                .Replace("{id}", "birth-registration-v1", StringComparison.Ordinal)
                .Replace("{definitionId}", "birth-registration", StringComparison.Ordinal)
                .Replace("{code}", "birth-registration", StringComparison.Ordinal)
                .Replace("{version}", "1", StringComparison.Ordinal)
                .Replace("{unit}", ClerkRequests.Counter, StringComparison.Ordinal)
                .Replace("{date}", "2026-09-02", StringComparison.Ordinal)
                .Replace("{taskId}", Tasks.Count > 0 ? Tasks[0].Id : "none", StringComparison.Ordinal)
                .Replace("{activityTypeName}", "ProcessServer.Step", StringComparison.Ordinal)
                .Replace("{propertyName}", "handlingUnit", StringComparison.Ordinal);
        }

        private string CurrentCalendar()
        {
            using var store = _host.OpenConnection();
            using var command = store.CreateCommand();
            command.CommandText = "SELECT Json FROM CalendarVersions ORDER BY Version DESC LIMIT 1";
            return (string)command.ExecuteScalar()!;
        }
    }
}
