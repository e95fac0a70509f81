using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.OData.Tests.Support;

[CollectionDefinition(Name)]
public sealed class FeedGroup : ICollectionFixture<FeedFixture>
{
    public const string Name = "feed";
}

/// <summary>
/// One server with three months and a half of run data generated through the real clerk API with a
/// hand-moved clock (5 January – 10 April 2026, Asia/Ho_Chi_Minh): dossiers of the three sample
/// procedures received in two units by every channel, resolved early, on time or late, rejected,
/// paused for supplements, given an apology, or left stalled. Shared by the tests of the collection.
/// </summary>
public sealed class FeedFixture : IAsyncLifetime, IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.FromHours(7));
    public static readonly DateTimeOffset End = new(2026, 4, 10, 17, 0, 0, TimeSpan.FromHours(7));

    private readonly TempFolder _folder = new();

    public ManualClock Clock { get; } = new(Start);

    public FeedServer Server { get; private set; } = null!;

    /// <summary>The January report as the feed gave it on 1 February, before anything else happened.</summary>
    public JsonObject JanuaryAsOfFebruary1 { get; private set; } = null!;

    public int Received { get; private set; }

    public async Task InitializeAsync()
    {
        // Every returned dossier is rated through the public endpoint, far more often than the citizens' rate limit allows one client.
        Server = new FeedServer(_folder.Path, Clock, new Dictionary<string, string?> { ["ProcessServer:Lookup:PermitLimit"] = "1000000" });
        using var http = Server.ClientFor(Keys.Admin);
        var random = new Random(20261122);
        var running = new List<Plan>();
        var snapshotTaken = false;
        for (var day = Start.Date; day <= End.Date; day = day.AddDays(1))
        {
            foreach (var hour in new[] { 8, 10, 14, 16 })
            {
                var now = new DateTimeOffset(day.Year, day.Month, day.Day, hour, 0, 0, TimeSpan.FromHours(7));
                Clock.Set(now);
                if (!snapshotTaken && now >= new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.FromHours(7)))
                {
                    using var reporter = Server.ClientFor(Keys.Reporter);
                    JanuaryAsOfFebruary1 = JsonNode.Parse(await reporter.GetStringAsync("/odata/v1/PeriodReport?from=2026-01-01&to=2026-01-31"))!.AsObject();
                    snapshotTaken = true;
                }

                var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
                if (random.NextDouble() < (weekend ? 0.12 : 0.4))
                {
                    running.Add(await ReceiveAsync(http, random, weekend));
                }

                foreach (var plan in running.Where(p => p.NextAt <= now).ToList())
                {
                    if (!await ActAsync(http, plan, random, now))
                    {
                        running.Remove(plan);
                    }
                }
            }
        }
    }

    private sealed class Plan
    {
        public required JsonObject Dossier { get; set; }
        public required string Secret { get; init; }
        public required string Fate { get; init; }
        public DateTimeOffset NextAt { get; set; }
        public bool SupplementRequested { get; set; }
        public bool Apologised { get; set; }
        public int Actions { get; set; }
    }

    private async Task<Plan> ReceiveAsync(HttpClient http, Random random, bool weekend)
    {
        var pick = random.NextDouble();
        var procedure = pick < 0.4 ? "birth-registration" : pick < 0.75 ? "land-first-certificate" : "birth-residence-insurance";
        var unit = random.NextDouble() < 0.7 ? "HCC-BINHSON" : "HCC-TINH";
        var c = random.NextDouble();
        var channel = weekend || c < 0.4 ? "online" : c < 0.9 ? "direct" : "postal";
        var response = await http.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = procedure,
            applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
            channel,
            receivingUnit = unit,
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        Received++;
        var f = random.NextDouble();
        var fate = f < 0.62 ? "normal" : f < 0.76 ? "slow" : f < 0.84 ? "reject" : f < 0.94 ? "supplement" : "stall";
        var plan = new Plan { Dossier = JsonNode.Parse(body)!.AsObject(), Fate = fate, Secret = response.Headers.GetValues("Lookup-Secret").Single() };
        plan.NextAt = Clock.GetUtcNow() + Pace(plan, random);
        return plan;
    }

    private static TimeSpan Pace(Plan plan, Random random) => plan.Fate == "slow"
        ? TimeSpan.FromHours(48 + random.Next(0, 120))
        : TimeSpan.FromHours(2 + random.Next(0, 30));

    /// <summary>Performs the plan's next action; false when the dossier needs nothing more.</summary>
    private static async Task<bool> ActAsync(HttpClient http, Plan plan, Random random, DateTimeOffset now)
    {
        var d = plan.Dossier;
        var tasks = d["currentTasks"]!.AsArray().Select(t => t!.AsObject()).ToList();
        if (tasks.Count == 0 || (plan.Fate == "stall" && plan.Actions >= 1))
        {
            return false;
        }

        if (plan.Fate == "slow" && !plan.Apologised && d["time"]!["dueAt"] is { } dueNode && random.NextDouble() < 0.3)
        {
            var due = dueNode.GetValue<DateTimeOffset>();
            if (now < due && d["time"]!["apology"] is null)
            {
                var apology = await http.PostAsJsonAsync($"/api/dossiers/{d["id"]}/apology", new { newDueAt = due.AddDays(7), reason = "Chờ xác minh" });
                apology.StatusCode.Should().Be(HttpStatusCode.OK, await apology.Content.ReadAsStringAsync());
                plan.Apologised = true;
                d = plan.Dossier = (await http.GetFromJsonAsync<JsonObject>($"/api/dossiers/{d["id"]}"))!;
                tasks = d["currentTasks"]!.AsArray().Select(t => t!.AsObject()).ToList();
            }
        }

        var task = tasks[0];
        var allowed = task["allowedOutcomes"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        object? data = null;
        var outcome = task["status"]!.GetValue<string>() == "AwaitingSupplement" ? "SupplementReceived"
            : task["kind"]!.GetValue<string>() == "Payment" ? "Paid"
            : plan.Fate == "reject" && allowed.Contains("Reject") ? "Reject"
            : plan.Fate == "supplement" && !plan.SupplementRequested && allowed.Contains("RequestSupplement") ? "RequestSupplement"
            : allowed.Contains("Done") ? "Done" : allowed[0];
        if (outcome == "RequestSupplement")
        {
            plan.SupplementRequested = true;
        }

        if (task["activityId"]!.GetValue<string>() == "taxNotice" && random.NextDouble() < 0.5)
        {
            data = new { hasFinancialObligation = false };
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["id"]}/complete")
        {
            Content = JsonContent.Create(new { outcome, comment = outcome, data }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{d["version"]}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        plan.Dossier = JsonNode.Parse(body)!.AsObject();
        plan.Actions++;
        plan.NextAt = now + (outcome == "RequestSupplement" ? TimeSpan.FromDays(2 + random.Next(0, 9)) : Pace(plan, random));
        if (plan.Dossier["returnedAt"] is not null)
        {
            // The applicant rates the service once the result is returned; about one in three is not satisfied (no draw from random, so the generated runs stay as they were).
            var code = plan.Dossier["receiptCode"]!.GetValue<string>();
            using var anonymous = new HttpClient { BaseAddress = http.BaseAddress };
            var rated = await anonymous.PostAsJsonAsync("/api/public/rating", new { receiptCode = code, secret = plan.Secret, satisfied = code[^1] % 3 != 0, comment = "Đánh giá " + code });
            rated.StatusCode.Should().Be(HttpStatusCode.Created, await rated.Content.ReadAsStringAsync());
        }

        return true;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        Server?.Dispose();
        _folder.Dispose();
    }
}
