using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Inboxes: per unit and role, oldest first, paged.</summary>
public sealed class InboxTests : ServerTest
{
    [Fact]
    public async Task Inbox_lists_pending_tasks_of_the_unit_oldest_first_in_pages()
    {
        var receipts = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            receipts.Add((await ReceiveAsync(App, "land-first-certificate"))["receiptCode"]!.GetValue<string>());
            Clock.Advance(TimeSpan.FromMinutes(10));
        }

        using var client = App.ClientFor(Keys.Land);
        var page1 = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&role=land-registrar&page=1&pageSize=2"))!;
        var page3 = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&role=land-registrar&page=3&pageSize=2"))!;

        page1["totalCount"]!.GetValue<int>().Should().Be(5);
        page1["items"]!.AsArray().Select(i => i!["receiptCode"]!.GetValue<string>()).Should().Equal(receipts[0], receipts[1]);
        page3["items"]!.AsArray().Select(i => i!["receiptCode"]!.GetValue<string>()).Should().Equal(receipts[4]);
        var item = page1["items"]![0]!;
        item["title"]!.GetValue<string>().Should().Be("Check dossier, verify conditions");
        item["dossierVersion"]!.GetValue<int>().Should().Be(1);
        item["procedureCode"]!.GetValue<string>().Should().Be("land-first-certificate");

        var otherRole = JsonNode.Parse(await client.GetStringAsync("/api/inbox?role=chairman"))!;
        otherRole["totalCount"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task Inbox_shows_a_task_until_it_is_completed()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        using var client = App.ClientFor(Keys.Commune);
        JsonNode.Parse(await client.GetStringAsync("/api/inbox"))!["items"]!.AsArray()
            .Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(OpenTask(d, "register")["id"]!.GetValue<string>());

        d = await CompleteAsync(App, d, "register", "Done", Keys.Commune);
        JsonNode.Parse(await client.GetStringAsync("/api/inbox"))!["items"]!.AsArray()
            .Select(i => i!["taskId"]!.GetValue<string>()).Should().Equal(OpenTask(d, "sign")["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Following_nextCursor_walks_the_inbox_oldest_first_without_gaps_or_repeats_even_when_tasks_started_at_the_same_instant()
    {
        var tasks = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            // Pairs share their start instant, so the cursor's tie-break on the task id is exercised.
            tasks.Add(OpenTask(await ReceiveAsync(App, "land-first-certificate"), "check")["id"]!.GetValue<string>());
            if (i % 2 == 1)
            {
                Clock.Advance(TimeSpan.FromMinutes(10));
            }
        }

        using var client = App.ClientFor(Keys.Land);
        var byPage = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&pageSize=200"))!["items"]!.AsArray()
            .Select(i => i!["taskId"]!.GetValue<string>()).ToList();
        byPage.Should().BeEquivalentTo(tasks);

        var walked = new List<string>();
        var pages = 0;
        string? cursor = null;
        do
        {
            var page = JsonNode.Parse(await client.GetStringAsync(
                "/api/inbox?unit=VPDKDD-BINHSON&pageSize=3" + (cursor is null ? string.Empty : $"&after={cursor}")))!;
            page["totalCount"]!.GetValue<int>().Should().Be(7);
            page["page"]!.GetValue<int>().Should().Be(pages + 1);
            walked.AddRange(page["items"]!.AsArray().Select(i => i!["taskId"]!.GetValue<string>()));
            cursor = page["nextCursor"]?.GetValue<string>();
            pages++;
        }
        while (cursor is not null);

        pages.Should().Be(3);
        walked.Should().Equal(byPage, "the cursor pages give the same order as one big page");

        var bad = await client.GetAsync("/api/inbox?unit=VPDKDD-BINHSON&after=not-a-cursor");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("after");
        var mixed = await client.GetAsync($"/api/inbox?unit=VPDKDD-BINHSON&sort=urgency&after={Uri.EscapeDataString("MHxh")}");
        mixed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Beyond_the_exact_count_limit_the_inbox_says_at_least_that_many_on_every_page_and_exactCount_gives_the_real_number()
    {
        using var store = new TempDatabase();
        using var app = new ServerApp(store.DatabaseFile, Clock, new Dictionary<string, string?> { ["ProcessServer:Tasks:InboxExactCountUpTo"] = "3" });
        for (var i = 0; i < 5; i++)
        {
            await ReceiveAsync(app, "land-first-certificate");
            Clock.Advance(TimeSpan.FromMinutes(10));
        }

        using var client = app.ClientFor(Keys.Land);
        var first = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&pageSize=2"))!;
        first["totalCount"]!.GetValue<int>().Should().Be(3, "the count stops at the limit");
        first["totalCountIsExact"]!.GetValue<bool>().Should().BeFalse();
        var second = JsonNode.Parse(await client.GetStringAsync($"/api/inbox?unit=VPDKDD-BINHSON&pageSize=2&after={first["nextCursor"]!.GetValue<string>()}"))!;
        second["totalCount"]!.GetValue<int>().Should().Be(3);
        second["totalCountIsExact"]!.GetValue<bool>().Should().BeFalse("the cursor carries the first page's count and what it was");
        second["items"]!.AsArray().Should().HaveCount(2);

        var exact = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&pageSize=2&exactCount=true"))!;
        exact["totalCount"]!.GetValue<int>().Should().Be(5);
        exact["totalCountIsExact"]!.GetValue<bool>().Should().BeTrue();
        var exactNext = JsonNode.Parse(await client.GetStringAsync($"/api/inbox?unit=VPDKDD-BINHSON&pageSize=2&after={exact["nextCursor"]!.GetValue<string>()}"))!;
        exactNext["totalCount"]!.GetValue<int>().Should().Be(5);
        exactNext["totalCountIsExact"]!.GetValue<bool>().Should().BeTrue();
        var urgency = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&sort=urgency"))!;
        urgency["totalCount"]!.GetValue<int>().Should().Be(3);
        urgency["totalCountIsExact"]!.GetValue<bool>().Should().BeFalse();
        urgency["items"]!.AsArray().Should().HaveCount(5, "only the count is bounded, not the rows");

        var underLimit = JsonNode.Parse(await client.GetStringAsync("/api/inbox?unit=VPDKDD-BINHSON&role=chairman"))!;
        underLimit["totalCount"]!.GetValue<int>().Should().Be(0);
        underLimit["totalCountIsExact"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task Inbox_rejects_a_page_size_out_of_range_with_400()
    {
        using var client = App.ClientFor(Keys.Commune);
        var response = await client.GetAsync("/api/inbox?pageSize=5000");
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("pageSize");
    }
}
