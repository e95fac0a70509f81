using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.OffPathApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The transitions of DOMAIN §3.3 that the definitions alone do not offer, on each of the three sample
/// procedures, through HTTP, with the national status code after each: refusal at the counter (3),
/// withdrawal request (7) and its acceptance (8), return without resolution from any step (8), a
/// leader's return for rework to an earlier step (4), forced completion (10), and the administrator's
/// repairs. None needs an activity in the definition.
/// </summary>
public sealed class OffPathTests : ServerTest
{
    /// <summary>Forward completions that bring each procedure to a step in the middle, and an earlier step.</summary>
    public static TheoryData<string, int, string, string> Procedures => new()
    {
        // land: check, commune + tax (parallel), payment → waits at prepare (no Reject, no ReturnForRework there)
        { "land-first-certificate", 4, "prepare", "check" },
        // birth: register → waits at sign
        { "birth-registration", 1, "sign", "register" },
        // liaison: registerBirth → waits at residence and insurance, in parallel
        { "birth-residence-insurance", 1, "insurance,residence", "registerBirth" },
    };

    private async Task<JsonObject> AtMiddleAsync(string procedure, int advances, string expected)
    {
        var d = await ReceiveAsync(App, procedure);
        for (var i = 0; i < advances; i++)
        {
            Clock.Advance(TimeSpan.FromMinutes(30));
            d = await Clerks.AdvanceAsync(App, d);
        }

        OpenActivities(d).Should().Be(expected);
        Clock.Advance(TimeSpan.FromMinutes(30));
        return d;
    }

    [Theory]
    [InlineData("land-first-certificate")]
    [InlineData("birth-registration")]
    [InlineData("birth-residence-insurance")]
    public async Task An_application_refused_at_the_counter_gets_national_code_3_a_number_and_no_clock(string procedure)
    {
        using var client = App.ClientFor(Keys.Counter);
        var response = await client.PostAsJsonAsync("/api/dossiers/refusals", new
        {
            procedureCode = procedure,
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
            reason = "Hồ sơ không thuộc thẩm quyền giải quyết (form 03)",
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var d = JsonNode.Parse(body)!.AsObject();

        (Status(d), National(d), OpenActivities(d)).Should().Be(("Refused", 3, ""));
        d["receiptCode"]!.GetValue<string>().Should().StartWith("HCC-BINHSON-250303-");
        d["time"]!["appointmentAt"].Should().BeNull("the clock never starts for an application that was not received");
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("Refused");
        JournalTypes(d).Should().Equal("DossierRefused", "WorkflowFinished");
        LastEntry(d, "DossierRefused")["comment"]!.GetValue<string>().Should().Contain("form 03");

        var missing = await client.PostAsJsonAsync("/api/dossiers/refusals", new { procedureCode = procedure, applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON" });
        missing.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await missing.Content.ReadAsStringAsync()).Should().Contain("reason");
        var elsewhere = await App.ClientFor(Keys.Land).PostAsJsonAsync("/api/dossiers/refusals",
            new { procedureCode = procedure, applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON", reason = "x" });
        elsewhere.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Theory]
    [MemberData(nameof(Procedures))]
    public async Task A_withdrawal_requested_at_any_step_stops_the_clock_with_code_7_and_the_leaders_acceptance_stops_the_dossier_with_code_8(
        string procedure, int advances, string middle, string earlier)
    {
        _ = earlier;
        var d = await AtMiddleAsync(procedure, advances, middle);

        d = await ActAsync(App, Keys.Counter, d, "withdrawal-request", new { reason = "Đơn xin rút hồ sơ của người nộp" });
        (Status(d), National(d), OpenActivities(d)).Should().Be(("WithdrawalRequested", 7, middle), "the steps wait; nothing is cancelled yet");
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("Paused");
        LastEntry(d, "ClockPaused")["outcome"]!.GetValue<string>().Should().Be("Withdrawal");

        var task = d["currentTasks"]!.AsArray()[0]!;
        var blocked = await CompleteRawAsync(App, Clerks.KeyByUnit[task["unitCode"]!.GetValue<string>()], task["id"]!.GetValue<string>(), "Done",
            d["version"]!.GetValue<int>(), Guid.NewGuid().ToString());
        blocked.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await blocked.Content.ReadAsStringAsync()).Should().Contain("withdraw");

        var twice = await ActRawAsync(App, Keys.Counter, d, "withdrawal-request", new { reason = "again" });
        twice.Status.Should().Be(HttpStatusCode.Conflict);
        var byClerk = await ActRawAsync(App, Keys.Counter, d, "withdrawal-acceptance", new { reason = "ok" });
        byClerk.Status.Should().Be(HttpStatusCode.Forbidden, "a leader accepts a withdrawal");

        Clock.Advance(TimeSpan.FromHours(1));
        d = await ActAsync(App, Keys.Leader, d, "withdrawal-acceptance", new { reason = "Thông báo dừng giải quyết theo đề nghị của người nộp" });
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Stopped", 8, ""));
        d["stoppedAt"].Should().NotBeNull();
        LastEntry(d, "DossierStopped")["outcome"]!.GetValue<string>().Should().Be("Withdrawn");
        JournalTypes(d).Should().Contain(["WithdrawalRequested", "TaskCancelled", "DossierStopped", "WorkflowFinished"]);

        var after = await ActRawAsync(App, Keys.Leader, d, "return-without-resolution", new { reason = "late" });
        after.Status.Should().Be(HttpStatusCode.Conflict, "a stopped dossier is closed");
    }

    [Theory]
    [MemberData(nameof(Procedures))]
    public async Task A_leader_returns_a_dossier_without_resolution_from_any_step_with_code_8(string procedure, int advances, string middle, string earlier)
    {
        _ = earlier;
        var d = await AtMiddleAsync(procedure, advances, middle);

        var noReason = await ActRawAsync(App, Keys.Leader, d, "return-without-resolution", new { reason = " " });
        noReason.Status.Should().Be(HttpStatusCode.BadRequest);
        noReason.Body["errors"]!["reason"].Should().NotBeNull();
        var byClerk = await ActRawAsync(App, Keys.Land, d, "return-without-resolution", new { reason = "không đủ điều kiện" });
        byClerk.Status.Should().Be(HttpStatusCode.Forbidden);

        d = await ActAsync(App, Keys.Leader, d, "return-without-resolution", new { reason = "Không đủ điều kiện theo kết quả thẩm định" });
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Stopped", 8, ""));
        var stopped = LastEntry(d, "DossierStopped");
        stopped["outcome"]!.GetValue<string>().Should().Be("ReturnedWithoutResolution");
        stopped["comment"]!.GetValue<string>().Should().Contain("Không đủ điều kiện");
        stopped["actor"]!.GetValue<string>().Should().Be("leader-binhson");
        d["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "TaskCancelled").Should().Be(middle.Split(',').Length);
    }

    [Theory]
    [MemberData(nameof(Procedures))]
    public async Task A_leader_returns_a_dossier_for_rework_to_an_earlier_step_with_code_4_but_never_forward(string procedure, int advances, string middle, string earlier)
    {
        var d = await AtMiddleAsync(procedure, advances, middle);
        var completedBefore = d["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "TaskCompleted");

        var forward = await ActRawAsync(App, Keys.Leader, d, "return-for-rework", new { toStep = "returnResult", reason = "skip" });
        forward.Status.Should().Be(HttpStatusCode.UnprocessableEntity);

        d = await ActAsync(App, Keys.Leader, d, "return-for-rework", new { toStep = earlier, reason = "Thẩm định lại: thiếu xác nhận" });
        (Status(d), National(d), OpenActivities(d)).Should().Be(("InProgress", 4, earlier));
        LastEntry(d, "DossierRepaired")["outcome"]!.GetValue<string>().Should().Be("ReturnForRework");
        d["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "TaskCompleted").Should().Be(completedBefore, "no completed step is touched");

        var notEarlier = await ActRawAsync(App, Keys.Leader, d, "return-for-rework", new { toStep = middle.Split(',')[0], reason = "forward" });
        notEarlier.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        notEarlier.Body["detail"]!.GetValue<string>().Should().Contain("earlier step");

        // The dossier goes on from the earlier step as usual.
        d = await Clerks.AdvanceAsync(App, d);
        National(d).Should().BeOneOf(4, 6);
    }

    [Theory]
    [MemberData(nameof(Procedures))]
    public async Task A_dossier_whose_result_was_delivered_but_whose_steps_cannot_close_is_force_completed_with_code_10(
        string procedure, int advances, string middle, string earlier)
    {
        _ = earlier;
        var d = await AtMiddleAsync(procedure, advances, middle);
        var readyAt = Clock.GetUtcNow().AddMinutes(-10);
        Clock.Advance(TimeSpan.FromHours(1));

        var noIfMatch = await ActRawAsync(App, Keys.Admin, d, "forced-completion", new { reason = "x" }, ifMatch: false);
        noIfMatch.Status.Should().Be((HttpStatusCode)428);
        var outOfOrder = await ActRawAsync(App, Keys.Admin, d, "forced-completion",
            new { reason = "x", resultReadyAt = Clock.GetUtcNow().AddMinutes(-5), returnedAt = Clock.GetUtcNow().AddMinutes(-20) });
        outOfOrder.Status.Should().Be(HttpStatusCode.Conflict);

        d = await ActAsync(App, Keys.Admin, d, "forced-completion",
            new { reason = "Đã trả kết quả giấy nhưng không kết thúc được trên hệ thống", resultReadyAt = readyAt });
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Returned", 10, ""));
        d["resultReadyAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(readyAt.UtcDateTime);
        d["returnedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Clock.GetUtcNow().UtcDateTime);
        d["time"]!["verdict"]!.GetValue<string>().Should().BeOneOf("Early", "OnTime", "Late");
        JournalTypes(d).Should().ContainInOrder("TaskCancelled", "ResultReady", "CompletionForced", "ResultReturned", "WorkflowFinished");
        LastEntry(d, "CompletionForced")["comment"]!.GetValue<string>().Should().Contain("không kết thúc được");
    }

    [Theory]
    [MemberData(nameof(Procedures))]
    public async Task An_administrator_moves_a_dossier_to_a_step_and_sets_a_variable_with_a_reason_in_the_journal(
        string procedure, int advances, string middle, string earlier)
    {
        _ = advances;
        _ = middle;
        var d = await ReceiveAsync(App, procedure);
        var first = OpenActivities(d);

        var byClerk = await ActRawAsync(App, Keys.Counter, d, "repairs/set-variable", new { name = "note", value = "x", reason = "r" });
        byClerk.Status.Should().Be(HttpStatusCode.Forbidden);
        var noReason = await ActRawAsync(App, Keys.Admin, d, "repairs/set-variable", new { name = "note", value = "x" });
        noReason.Status.Should().Be(HttpStatusCode.BadRequest);

        d = await ActAsync(App, Keys.Admin, d, "repairs/set-variable", new { name = "repairNote", value = "checked by phone", reason = "Ghi chú bổ sung" });
        d["variables"]!["repairNote"]!.GetValue<string>().Should().Be("checked by phone");
        LastEntry(d, "DossierRepaired")["data"]!["after"]!.GetValue<string>().Should().Be("checked by phone");
        National(d).Should().Be(2);

        var already = await ActRawAsync(App, Keys.Admin, d, "repairs/move", new { toStep = first, reason = "r" });
        already.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        var unknown = await ActRawAsync(App, Keys.Admin, d, "repairs/move", new { toStep = "nowhere", reason = "r" });
        unknown.Status.Should().Be(HttpStatusCode.UnprocessableEntity);
        unknown.Body["detail"]!.GetValue<string>().Should().Contain("has no activity 'nowhere'");

        // Back to the first step from further on: the administrator's move, counted under code 4.
        d = await Clerks.AdvanceAsync(App, d);
        d = await ActAsync(App, Keys.Admin, d, "repairs/move", new { toStep = earlier, reason = "Tài khoản xử lý không thấy hồ sơ; chuyển lại" });
        (National(d), OpenActivities(d)).Should().Be((4, earlier));
        var repaired = LastEntry(d, "DossierRepaired");
        repaired["outcome"]!.GetValue<string>().Should().Be("MoveToStep");
        repaired["actor"]!.GetValue<string>().Should().Be("admin");
        repaired["data"]!["to"]!.GetValue<string>().Should().Be(earlier);
    }

    [Fact]
    public async Task A_move_into_one_branch_of_an_open_fork_is_refused_with_the_reason_and_changes_nothing()
    {
        var d = await ReceiveAsync(App, "birth-residence-insurance");
        var (status, body) = await ActRawAsync(App, Keys.Admin, d, "repairs/move", new { toStep = "residence", reason = "skip the birth step" });
        status.Should().Be(HttpStatusCode.UnprocessableEntity);
        body["detail"]!.GetValue<string>().Should().Contain("one branch of an open fork").And.Contain("insurance");
        (await GetAsync(App, d["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(d["version"]!.GetValue<int>());

        var land = await ReceiveAsync(App, "land-first-certificate");
        land = await CompleteAsync(App, land, "check", "Done", Keys.Land);
        (status, body) = await ActRawAsync(App, Keys.Admin, land, "repairs/move",
            new { toStep = "check", taskId = OpenTask(land, "taxNotice")["id"]!.GetValue<string>(), reason = "redo" });
        status.Should().Be(HttpStatusCode.UnprocessableEntity, "the commune branch would run twice");
        body["detail"]!.GetValue<string>().Should().Contain("communeConfirm");
        (status, _) = await ActRawAsync(App, Keys.Admin, land, "repairs/move", new { toStep = "returnResult", reason = "done" });
        status.Should().Be(HttpStatusCode.UnprocessableEntity, "a delivered result is closed with a forced completion, not a move");
    }

    [Theory]
    [InlineData("land-first-certificate", "taxNotice", "communeConfirm", "payment", 6)]
    [InlineData("birth-residence-insurance", "insurance", "residence", "returnResult", 9)]
    public async Task Cancelling_one_parallel_branch_lets_the_other_finish_and_the_join_go_on(string procedure, string cancelled, string other, string next, int code)
    {
        var d = await ReceiveAsync(App, procedure);
        d = await Clerks.AdvanceAsync(App, d);
        var keys = new Dictionary<string, string> { ["communeConfirm"] = Keys.Commune, ["residence"] = Keys.Police };

        d = await ActAsync(App, Keys.Admin, d, "repairs/cancel-task",
            new { taskId = OpenTask(d, cancelled)["id"]!.GetValue<string>(), reason = "Handled in the agency's own system" });
        (National(d), OpenActivities(d)).Should().Be((4, other));
        LastEntry(d, "DossierRepaired")["data"]!["branchArrivesAt"]!.GetValue<string>().Should().Be("join");

        d = await CompleteAsync(App, d, other, "Done", keys[other]);
        (National(d), OpenActivities(d)).Should().Be((code, next));

        var birth = await ReceiveAsync(App, "birth-registration");
        var (status, body) = await ActRawAsync(App, Keys.Admin, birth, "repairs/cancel-task",
            new { taskId = OpenTask(birth, "register")["id"]!.GetValue<string>(), reason = "x" });
        status.Should().Be(HttpStatusCode.UnprocessableEntity);
        body["detail"]!.GetValue<string>().Should().Contain("only open task");
    }

    [Fact]
    public async Task A_variable_set_by_repair_steers_the_decision_still_to_come()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        d = await ActAsync(App, Keys.Admin, d, "repairs/set-variable", new { name = "hasFinancialObligation", value = false, reason = "Miễn nghĩa vụ tài chính" });
        var wrongType = await ActRawAsync(App, Keys.Admin, d, "repairs/set-variable", new { name = "hasFinancialObligation", value = "maybe", reason = "x" });
        wrongType.Status.Should().Be(HttpStatusCode.UnprocessableEntity);

        d = await CompleteAsync(App, d, "communeConfirm", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "taxNotice", "Done", Keys.Tax);
        (National(d), OpenActivities(d)).Should().Be((4, "prepare"), "no payment wait once the obligation was waived");
    }
}
