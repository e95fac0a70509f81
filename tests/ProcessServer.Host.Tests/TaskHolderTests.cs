using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.TaskActs;

namespace ProcessServer.Host.Tests;

/// <summary>Tasks held by named officers, through real HTTP with tokens of the test's identity provider.</summary>
public sealed class TaskHolderTests : PeopleTest
{
    [Fact]
    public async Task An_officer_of_another_unit_neither_sees_nor_claims_nor_completes_the_units_tasks()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        using var thu = await SignInAsync(Thu);

        (await thu.GetAsync($"/api/dossiers/{d["id"]}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var inbox = JsonNode.Parse(await thu.GetStringAsync("/api/inbox"))!;
        inbox["items"]!.AsArray().Should().BeEmpty("the tax office has nothing to do until the check is done");
        (await thu.GetAsync("/api/inbox?unit=VPDKDD-BINHSON")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var claim = await SendAsync(thu, d, "check", "claim");
        claim.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await claim.Content.ReadAsStringAsync()).Should().Contain("VPDKDD-BINHSON");
        (await CompleteAsync(thu, d, "check")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await GetAsync(App, d["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(1, "nothing changed");
    }

    [Fact]
    public async Task A_claimed_task_is_its_holders_another_officer_gets_409_naming_the_holder_and_the_holder_completes_it()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        using var an = await SignInAsync(An);
        using var binh = await SignInAsync(Binh);

        var claimed = await OkAsync(an, d, "check", "claim");

        var holder = Task(claimed, "check")["assignee"]!;
        holder["id"]!.GetValue<string>().Should().Be(An.Subject);
        holder["via"]!.GetValue<string>().Should().Be("Claimed");
        var heldBy = claimed["heldBy"]!.AsArray().Single()!;
        heldBy["officer"]!["name"]!.GetValue<string>().Should().Be(An.Name);
        heldBy["unitCode"]!.GetValue<string>().Should().Be("VPDKDD-BINHSON");
        heldBy["unitName"]!.GetValue<string>().Should().Be("Chi nhánh Văn phòng Đăng ký đất đai khu vực Bình Sơn");

        var byBinh = await CompleteAsync(binh, claimed, "check");
        byBinh.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var problem = JsonNode.Parse(await byBinh.Content.ReadAsStringAsync())!;
        problem["title"]!.GetValue<string>().Should().Be($"Held by {An.Name}");
        problem["detail"]!.GetValue<string>().Should().Contain(An.Name).And.Contain(An.Subject);
        problem["holder"]!["id"]!.GetValue<string>().Should().Be(An.Subject);

        var claimAgain = await SendAsync(binh, claimed, "check", "claim");
        claimAgain.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await claimAgain.Content.ReadAsStringAsync()).Should().Contain(An.Name);

        var done = JsonNode.Parse(await (await CompleteAsync(an, claimed, "check")).Content.ReadAsStringAsync())!.AsObject();
        var completion = Journal(done, "TaskCompleted").Single();
        completion["actorId"]!.GetValue<string>().Should().Be(An.Subject);
        completion["actorName"]!.GetValue<string>().Should().Be(An.Name);
        completion["actedForUnit"]!.GetValue<string>().Should().Be("VPDKDD-BINHSON");
    }

    [Fact]
    public async Task The_leader_assigns_reassigns_and_overrides_officers_delegate_with_a_reason_and_release_and_the_journal_names_everyone()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        using var an = await SignInAsync(An);
        using var binh = await SignInAsync(Binh);
        using var lanh = await SignInAsync(Lanh);
        using var thu = await SignInAsync(Thu);
        await an.GetAsync("/api/inbox");
        await binh.GetAsync("/api/inbox");
        await thu.GetAsync("/api/inbox");

        var byClerk = await SendAsync(an, d, "check", "assign", new { personId = Binh.Subject });
        byClerk.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await byClerk.Content.ReadAsStringAsync()).Should().Contain("leader");
        var outsider = await SendAsync(lanh, d, "check", "assign", new { personId = Thu.Subject });
        outsider.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await outsider.Content.ReadAsStringAsync()).Should().Contain("THUE-QUANGNGAI").And.Contain("not for VPDKDD-BINHSON");

        var assigned = await OkAsync(lanh, d, "check", "assign", new { personId = An.Subject });
        Task(assigned, "check")["assignee"]!["by"]!["id"]!.GetValue<string>().Should().Be(Lanh.Subject);
        var reassigned = await OkAsync(lanh, assigned, "check", "assign", new { personId = Binh.Subject, reason = "An is at the training course" });
        var reassignment = Journal(reassigned, "TaskReassigned").Single();
        reassignment["data"]!["previousHolderName"]!.GetValue<string>().Should().Be(An.Name);
        reassignment["data"]!["holderName"]!.GetValue<string>().Should().Be(Binh.Name);
        reassignment["actorName"]!.GetValue<string>().Should().Be(Lanh.Name);
        reassignment["comment"]!.GetValue<string>().Should().Be("An is at the training course");

        var noReason = await SendAsync(binh, reassigned, "check", "delegate", new { personId = An.Subject });
        noReason.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noReason.Content.ReadAsStringAsync()).Should().Contain("reason");
        var notHolder = await SendAsync(an, reassigned, "check", "delegate", new { personId = An.Subject, reason = "mine" });
        notHolder.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var delegated = await OkAsync(binh, reassigned, "check", "delegate", new { personId = An.Subject, reason = "annual leave 4–7 March" });
        var holder = Task(delegated, "check")["assignee"]!;
        holder["id"]!.GetValue<string>().Should().Be(An.Subject);
        holder["via"]!.GetValue<string>().Should().Be("Delegated");
        holder["reason"]!.GetValue<string>().Should().Be("annual leave 4–7 March");

        var released = await OkAsync(an, delegated, "check", "release", new { reason = "needs a surveyor" });
        Task(released, "check")["assignee"].Should().BeNull();
        Task(released, "check")["queuedSince"].Should().NotBeNull();
        var queue = JsonNode.Parse(await binh.GetStringAsync("/api/inbox?view=queue"))!["items"]!.AsArray();
        queue.Select(i => i!["receiptCode"]!.GetValue<string>()).Should().Contain(d["receiptCode"]!.GetValue<string>());

        var reclaimed = await OkAsync(binh, released, "check", "claim");
        var overridden = await CompleteAsync(lanh, reclaimed, "check");
        var after = JsonNode.Parse(await overridden.Content.ReadAsStringAsync())!.AsObject();
        overridden.StatusCode.Should().Be(HttpStatusCode.OK, after.ToJsonString());
        var over = Journal(after, "HolderOverridden").Single();
        over["data"]!["holderName"]!.GetValue<string>().Should().Be(Binh.Name);
        over["actorId"]!.GetValue<string>().Should().Be(Lanh.Subject);

        var types = after["journal"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ToList();
        types.Should().ContainInOrder("TaskAssigned", "TaskReassigned", "TaskDelegated", "TaskReleased", "TaskClaimed", "HolderOverridden", "TaskCompleted");
        after["journal"]!.AsArray().Where(e => e!["type"]!.GetValue<string>().StartsWith("Task", StringComparison.Ordinal) && e["type"]!.GetValue<string>() != "TaskCreated")
            .Should().OnlyContain(e => e!["actorId"] != null && e["actedForUnit"]!.GetValue<string>() == "VPDKDD-BINHSON");
    }

    [Fact]
    public async Task My_inbox_holds_my_tasks_with_priority_and_follow_up_and_the_queue_holds_the_unassigned_ones()
    {
        var first = await ReceiveAsync(App, "land-first-certificate");
        var second = await ReceiveAsync(App, "land-first-certificate");
        using var an = await SignInAsync(An);
        var claimed = await OkAsync(an, first, "check", "claim");
        var followUp = Clock.GetUtcNow().AddDays(1);

        var prioritised = await OkAsync(an, claimed, "check", "priority", new { priority = "Urgent", followUpAt = followUp });

        Task(prioritised, "check")["priority"]!.GetValue<string>().Should().Be("Urgent");
        Journal(prioritised, "TaskPrioritySet").Single()["data"]!["priority"]!.GetValue<string>().Should().Be("Urgent");
        var mine = JsonNode.Parse(await an.GetStringAsync("/api/inbox?view=mine"))!;
        mine["view"]!.GetValue<string>().Should().Be("mine");
        var item = mine["items"]!.AsArray().Should().ContainSingle().Subject!;
        item["receiptCode"]!.GetValue<string>().Should().Be(first["receiptCode"]!.GetValue<string>());
        item["priority"]!.GetValue<string>().Should().Be("Urgent");
        item["assignee"]!["name"]!.GetValue<string>().Should().Be(An.Name);
        item["followUpAt"]!.GetValue<DateTime>().Should().BeCloseTo(followUp.UtcDateTime, TimeSpan.FromSeconds(1));
        var queue = JsonNode.Parse(await an.GetStringAsync("/api/inbox?view=queue"))!["items"]!.AsArray();
        queue.Select(i => i!["receiptCode"]!.GetValue<string>()).Should().Equal(second["receiptCode"]!.GetValue<string>());

        var bad = await SendAsync(an, prioritised, "check", "priority", new { priority = "Soon" });
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("Low, Normal, High, Urgent");
        (await an.GetAsync("/api/inbox?view=everything")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_leaders_needs_attention_list_flags_overdue_due_soon_and_long_unassigned_tasks_and_is_refused_to_clerks()
    {
        var waiting = await ReceiveAsync(App, "land-first-certificate");
        Clock.Advance(TimeSpan.FromHours(5));
        var held = await ReceiveAsync(App, "land-first-certificate");
        using (var an = await SignInAsync(An))
        {
            await OkAsync(an, held, "check", "claim");
        }

        using var lanh = await SignInAsync(Lanh);
        var list = JsonNode.Parse(await lanh.GetStringAsync("/api/units/VPDKDD-BINHSON/needs-attention"))!;
        var item = list["items"]!.AsArray().Should().ContainSingle().Subject!;
        item["receiptCode"]!.GetValue<string>().Should().Be(waiting["receiptCode"]!.GetValue<string>());
        item["reasons"]!.AsArray().Select(r => r!.GetValue<string>()).Should().Equal("Unassigned");

        // Three working days on, both checks are overdue; the held one is no longer unassigned but overdue.
        Clock.Advance(TimeSpan.FromDays(4));
        using var leader = await SignInAsync(Lanh);
        list = JsonNode.Parse(await leader.GetStringAsync("/api/units/VPDKDD-BINHSON/needs-attention"))!;
        var reasons = list["items"]!.AsArray().ToDictionary(i => i!["receiptCode"]!.GetValue<string>(), i => i!["reasons"]!.AsArray().Select(r => r!.GetValue<string>()).ToList());
        reasons[waiting["receiptCode"]!.GetValue<string>()].Should().Equal("Overdue", "Unassigned");
        reasons[held["receiptCode"]!.GetValue<string>()].Should().Equal("Overdue");

        using var clerk = await SignInAsync(An);
        var byClerk = await clerk.GetAsync("/api/units/VPDKDD-BINHSON/needs-attention");
        byClerk.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
