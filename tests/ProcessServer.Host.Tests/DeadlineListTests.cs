using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Deadline flags and urgency order in the inbox, unit leaders' overdue and due-soon lists, and the
/// notification feed, on one scene judged Thursday 6 March 2025 10:40 in Hanoi:
/// <list type="bullet">
/// <item>L1, received Monday 08:00: "check" (land office, 3 days) due Thursday 08:00, overdue.</item>
/// <item>L2, received Monday 08:00 and checked at once: "communeConfirm" (commune, 5 days) due Monday
/// 10 March 08:00, on track; "taxNotice" (tax office) outside the limit, no limit.</item>
/// <item>B, a birth registration received Thursday 09:00: "register" (commune, 0.25 day) warned at
/// 10:30, due 10:52:30.</item>
/// <item>L3, received Thursday 09:00: "check" waiting for a supplement, paused.</item>
/// </list>
/// </summary>
public sealed class DeadlineListTests : ServerTest
{
    private static readonly DateTimeOffset ThursdayNine = new(2025, 3, 6, 2, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset ThursdayTenForty = new(2025, 3, 6, 3, 40, 0, TimeSpan.Zero);

    private string _l1Check = string.Empty;
    private string _l2Commune = string.Empty;
    private string _l2Tax = string.Empty;
    private string _bRegister = string.Empty;
    private string _l3Check = string.Empty;

    [Fact]
    public async Task Inbox_sorted_by_urgency_puts_overdue_first_then_nearest_due_then_paused_then_no_limit_with_flags()
    {
        await SceneAsync();
        using var admin = App.ClientFor(Keys.Admin);
        var page = JsonNode.Parse(await admin.GetStringAsync("/api/inbox?sort=urgency"))!;

        page["sort"]!.GetValue<string>().Should().Be("urgency");
        page["asOf"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(ThursdayTenForty.UtcDateTime);
        var items = page["items"]!.AsArray();
        items.Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(_l1Check, _bRegister, _l2Commune, _l3Check, _l2Tax);
        items.Select(i => i!["deadlineStatus"]!.GetValue<string>()).Should().Equal("Overdue", "Warning", "OnTrack", "Paused", "NoLimit");

        var register = items.Single(i => i!["taskId"]!.GetValue<string>() == _bRegister)!;
        register["dueAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(new DateTime(2025, 3, 6, 3, 52, 30, DateTimeKind.Utc));
        register["warnAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(new DateTime(2025, 3, 6, 3, 30, 0, DateTimeKind.Utc));
        var tax = items.Single(i => i!["taskId"]!.GetValue<string>() == _l2Tax)!;
        tax["dueAt"].Should().BeNull();

        var oldest = JsonNode.Parse(await admin.GetStringAsync("/api/inbox"))!;
        oldest["sort"]!.GetValue<string>().Should().Be("oldest", "oldest first stays the default");
        oldest["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()).Take(3).Should().BeEquivalentTo([_l1Check, _l2Commune, _l2Tax]);

        using var land = App.ClientFor(Keys.Land);
        var mine = JsonNode.Parse(await land.GetStringAsync("/api/inbox?sort=URGENCY"))!["items"]!.AsArray();
        mine.Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(_l1Check, _l3Check);

        var bad = await land.GetAsync("/api/inbox?sort=deadline");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("sort must be 'oldest' (the default), 'urgency' or 'priority'");
    }

    [Fact]
    public async Task Unit_leaders_see_overdue_tasks_most_overdue_first_and_tasks_due_within_a_window()
    {
        await SceneAsync();
        using var land = App.ClientFor(Keys.Land);
        var overdue = JsonNode.Parse(await land.GetStringAsync("/api/units/VPDKDD-BINHSON/overdue"))!;
        overdue["totalCount"]!.GetValue<int>().Should().Be(1, "the paused check is not counted as overdue");
        var item = overdue["items"]![0]!;
        item["taskId"]!.GetValue<string>().Should().Be(_l1Check);
        item["deadlineStatus"]!.GetValue<string>().Should().Be("Overdue");
        item["workingDaysLeft"]!.GetValue<decimal>().Should().Be(-0.36m, "2 h 40 of office time late is 160/450 of a working day");
        item["timeLeft"]!.GetValue<string>().Should().Be("-02:40:00");
        item["title"]!.GetValue<string>().Should().Be("Check dossier, verify conditions");

        using var commune = App.ClientFor(Keys.Commune);
        var hour = JsonNode.Parse(await commune.GetStringAsync("/api/units/UBND-BINHSON/due-soon?within=PT1H"))!;
        hour["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(_bRegister);
        hour["until"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(ThursdayTenForty.UtcDateTime.AddHours(1));
        var days = JsonNode.Parse(await commune.GetStringAsync("/api/units/UBND-BINHSON/due-soon?within=P5D"))!;
        days["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(_bRegister, _l2Commune);
        days["items"]![0]!["deadlineStatus"]!.GetValue<string>().Should().Be("Warning");
        JsonNode.Parse(await commune.GetStringAsync("/api/units/UBND-BINHSON/overdue"))!["totalCount"]!.GetValue<int>().Should().Be(0);

        using var admin = App.ClientFor(Keys.Admin);
        JsonNode.Parse(await admin.GetStringAsync("/api/units/VPDKDD-BINHSON/overdue"))!["totalCount"]!.GetValue<int>().Should().Be(1, "administrators see every unit");
    }

    [Fact]
    public async Task Lists_refuse_another_units_clerk_an_unknown_unit_and_a_bad_window_with_problem_details()
    {
        await SceneAsync();
        using var land = App.ClientFor(Keys.Land);
        var forbidden = await land.GetAsync("/api/units/UBND-BINHSON/overdue");
        forbidden.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        forbidden.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await forbidden.Content.ReadAsStringAsync()).Should().Contain("You work for VPDKDD-BINHSON, not for 'UBND-BINHSON'");
        (await land.GetAsync("/api/units/UBND-BINHSON/due-soon")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await land.GetAsync("/api/notifications?unit=UBND-BINHSON")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var admin = App.ClientFor(Keys.Admin);
        var unknown = await admin.GetAsync("/api/units/NOPE/overdue");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("There is no unit 'NOPE'");

        var window = await admin.GetAsync("/api/units/UBND-BINHSON/due-soon?within=soon");
        window.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await window.Content.ReadAsStringAsync()).Should().Contain("within must be a duration such as PT4H");
        (await admin.GetAsync("/api/notifications?since=yesterday")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await admin.GetAsync("/api/notifications?cursor=nonsense")).StatusCode.Should().Be(HttpStatusCode.BadRequest);

        using var anonymous = App.ClientFor(null);
        (await anonymous.GetAsync("/api/units/UBND-BINHSON/overdue")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_notification_feed_lists_fired_events_per_unit_oldest_first_and_pages_with_a_cursor()
    {
        await SceneAsync();
        using (var scope = App.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeadlineSweeper>().SweepAsync();
        }

        using var land = App.ClientFor(Keys.Land);
        var feed = JsonNode.Parse(await land.GetStringAsync("/api/notifications"))!;
        var items = feed["items"]!.AsArray();
        items.Select(i => (i!["taskId"]!.GetValue<string>(), i["kind"]!.GetValue<string>()))
            .Should().BeEquivalentTo([(_l1Check, "Warning"), (_l1Check, "Overdue")]);
        items.Should().OnlyContain(i => i!["unitCode"]!.GetValue<string>() == "VPDKDD-BINHSON" && i["receiptCode"] != null);
        feed["nextCursor"].Should().BeNull();

        using var commune = App.ClientFor(Keys.Commune);
        JsonNode.Parse(await commune.GetStringAsync("/api/notifications"))!["items"]!.AsArray()
            .Select(i => (i!["taskId"]!.GetValue<string>(), i["kind"]!.GetValue<string>())).Should().Equal((_bRegister, "Warning"));

        using var admin = App.ClientFor(Keys.Admin);
        var seen = new List<string>();
        string? cursor = null;
        for (var pages = 0; pages < 10; pages++)
        {
            var page = JsonNode.Parse(await admin.GetStringAsync("/api/notifications?limit=1" + (cursor is null ? string.Empty : $"&cursor={Uri.EscapeDataString(cursor)}")))!;
            seen.AddRange(page["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            if (cursor is null)
            {
                break;
            }
        }

        seen.Should().HaveCount(3).And.OnlyHaveUniqueItems("a warning and an overdue event for L1 and a warning for B, each once");
        JsonNode.Parse(await admin.GetStringAsync("/api/notifications?kind=Overdue"))!["items"]!.AsArray()
            .Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(_l1Check);
        var later = Uri.EscapeDataString(ThursdayTenForty.AddSeconds(1).ToString("O"));
        JsonNode.Parse(await admin.GetStringAsync($"/api/notifications?since={later}"))!["items"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task The_new_endpoints_are_in_the_OpenAPI_document()
    {
        using var client = App.ClientFor(null);
        var paths = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!["paths"]!.AsObject();
        paths.Select(p => p.Key).Should().Contain(["/api/units/{unit}/overdue", "/api/units/{unit}/due-soon", "/api/notifications"]);
        paths["/api/units/{unit}/overdue"]!["get"]!["responses"]!.AsObject().Select(r => r.Key).Should().Contain(["200", "400", "403", "404"]);
        paths["/api/inbox"]!["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Should().Contain("sort");
    }

    private async Task SceneAsync()
    {
        var l1 = await ReceiveAsync(App, "land-first-certificate");
        _l1Check = OpenTask(l1, "check")["id"]!.GetValue<string>();
        var l2 = await ReceiveAsync(App, "land-first-certificate");
        l2 = await CompleteAsync(App, l2, "check", "Done", Keys.Land);
        _l2Commune = OpenTask(l2, "communeConfirm")["id"]!.GetValue<string>();
        _l2Tax = OpenTask(l2, "taxNotice")["id"]!.GetValue<string>();

        Clock.Set(ThursdayNine);
        var b = await ReceiveAsync(App, "birth-registration");
        _bRegister = OpenTask(b, "register")["id"]!.GetValue<string>();
        var l3 = await ReceiveAsync(App, "land-first-certificate");
        _l3Check = OpenTask(l3, "check")["id"]!.GetValue<string>();
        await CompleteAsync(App, l3, "check", "RequestSupplement", Keys.Land);

        Clock.Set(ThursdayTenForty);
    }
}
