using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;
using static ProcessServer.Engine.Tests.Support.DossierRun;

namespace ProcessServer.Engine.Tests;

public class LandFirstCertificateTests
{
    private static readonly CompiledWorkflow Land = Samples.Compile(Samples.Land);

    private static readonly string Check = At("check", Units.LandOffice, Roles.LandRegistrar);
    private static readonly string CommuneConfirm = At("communeConfirm", Units.Commune, Roles.CadastralOfficer);
    private static readonly string TaxNotice = At("taxNotice", Units.Tax, Roles.TaxOfficer);
    private static readonly string Payment = At("payment", Units.Counter, Roles.CounterClerk);
    private static readonly string Prepare = At("prepare", Units.LandOffice, Roles.LandRegistrar);
    private static readonly string Sign = At("sign", Units.Commune, Roles.Chairman);
    private static readonly string UpdateRecords = At("updateRecords", Units.LandOffice, Roles.LandRegistrar);
    private static readonly string ReturnResult = At("returnResult", Units.Counter, Roles.CounterClerk);

    private static Dictionary<string, JsonNode?> Obligation(bool owes) => new() { ["hasFinancialObligation"] = owes };

    [Fact]
    public void Land_dossier_with_payment_walks_every_step_and_ends_returned()
    {
        var run = Start(Land);
        run.ShouldBe(DossierStatus.Received, 2, Check);
        run.State.Variables["hasFinancialObligation"]!.GetValue<bool>().Should().BeTrue();

        run.Complete("check");
        run.ShouldBe(DossierStatus.InProgress, 4, CommuneConfirm, TaxNotice);

        run.Complete("communeConfirm");
        run.ShouldBe(DossierStatus.InProgress, 4, TaxNotice);

        run.Complete("taxNotice", data: Obligation(true));
        run.ShouldBe(DossierStatus.AwaitingPayment, 6, Payment);
        run.Task("payment").Kind.Should().Be(TaskKind.Payment);
        run.Task("payment").AllowedOutcomes.Should().Equal(Outcomes.Paid);

        run.Complete("payment", Outcomes.Paid);
        run.ShouldBe(DossierStatus.InProgress, 4, Prepare);

        run.Complete("prepare");
        run.ShouldBe(DossierStatus.InProgress, 4, Sign);

        run.Complete("sign");
        run.ShouldBe(DossierStatus.InProgress, 4, UpdateRecords);

        run.Complete("updateRecords");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);
        run.State.ResultReadyAt.Should().Be(run.Now);

        run.Complete("returnResult");
        run.ShouldBe(DossierStatus.Returned, 10);
        run.State.IsFinished.Should().BeTrue();
        run.State.IsClosed.Should().BeTrue();
        run.State.ReturnedAt.Should().Be(run.Now);
        run.State.CompletedSteps.Should().Be(6, "check, commune, tax, prepare, sign and update are steps; payment and hand-over are not");
        run.CreatedActivities.Should().Equal(
            "check", "communeConfirm", "taxNotice", "payment", "prepare", "sign", "updateRecords", "returnResult");
        run.Last.Events.Select(e => e.Type).Should().ContainInOrder(
            JournalEventTypes.TaskCompleted, JournalEventTypes.ResultReturned, JournalEventTypes.WorkflowFinished);
    }

    [Fact]
    public void Land_dossier_without_financial_obligation_skips_payment()
    {
        var run = Start(Land);
        run.Complete("check");
        run.Complete("communeConfirm");

        run.Complete("taxNotice", data: Obligation(false));

        run.ShouldBe(DossierStatus.InProgress, 4, Prepare);
        run.State.Variables["hasFinancialObligation"]!.GetValue<bool>().Should().BeFalse();
        run.Last.Events.Should().Contain(e => e.Type == JournalEventTypes.DecisionTaken && e.Outcome == "False");

        run.Complete("prepare");
        run.Complete("sign");
        run.Complete("updateRecords");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);
        run.Complete("returnResult");
        run.ShouldBe(DossierStatus.Returned, 10);
        run.CreatedActivities.Should().NotContain("payment");
    }

    [Fact]
    public void Land_tax_officer_may_answer_the_obligation_as_a_string()
    {
        var run = Start(Land);
        run.Complete("check");
        run.Complete("taxNotice", data: new Dictionary<string, JsonNode?> { ["hasFinancialObligation"] = "False" });
        run.Complete("communeConfirm");

        run.State.Variables["hasFinancialObligation"]!.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.False);
        run.ShouldBe(DossierStatus.InProgress, 4, Prepare);
    }

    [Theory]
    [InlineData("communeConfirm", "taxNotice")]
    [InlineData("taxNotice", "communeConfirm")]
    public void Land_join_waits_for_both_branches_in_either_order(string first, string second)
    {
        var run = Start(Land);
        run.Complete("check");

        run.Complete(first);

        run.ShouldBe(DossierStatus.InProgress, 4, second == "taxNotice" ? TaxNotice : CommuneConfirm);
        run.Last.Events.Should().NotContain(e => e.Type == JournalEventTypes.BranchesJoined);
        run.State.JoinArrivals.Should().ContainKey("join").WhoseValue.Should().ContainSingle()
            .Which.Key.Should().Be($"{first}:Done->join");

        run.Complete(second);

        run.ShouldBe(DossierStatus.AwaitingPayment, 6, Payment);
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.BranchesJoined);
        run.State.JoinArrivals.Should().BeEmpty("the join consumed one token per branch");
    }

    [Fact]
    public void Land_check_requesting_supplement_pauses_the_same_task_until_documents_arrive()
    {
        var run = Start(Land);
        var task = run.Task("check");

        run.Complete("check", Outcomes.RequestSupplement);

        run.ShouldBe(DossierStatus.AwaitingSupplement, 5, Check);
        var paused = run.Task("check");
        paused.Id.Should().Be(task.Id);
        paused.Status.Should().Be(PendingTaskStatus.AwaitingSupplement);
        paused.SupplementRequestedAt.Should().Be(run.Now);
        paused.CurrentOutcomes.Should().Equal(Outcomes.SupplementReceived, Outcomes.Reject);
        run.State.SupplementRequests.Should().Be(1);
        run.Last.CreatedTasks.Should().BeEmpty();
        run.Last.ClosedTasks.Should().BeEmpty();

        run.Complete("check", Outcomes.SupplementReceived);

        run.ShouldBe(DossierStatus.Received, 2, Check);
        run.Task("check").Id.Should().Be(task.Id);
        run.Task("check").Status.Should().Be(PendingTaskStatus.Pending);
        run.Task("check").SupplementRequestedAt.Should().BeNull();

        run.Complete("check");
        run.ShouldBe(DossierStatus.InProgress, 4, CommuneConfirm, TaxNotice);
    }

    [Fact]
    public void Land_check_rejecting_stops_the_dossier()
    {
        var run = Start(Land);

        run.Complete("check", Outcomes.Reject);

        run.ShouldBe(DossierStatus.Stopped, 8);
        run.State.StoppedAt.Should().Be(run.Now);
        run.State.IsFinished.Should().BeTrue();
        run.Last.Events.Should().Contain(e => e.Type == JournalEventTypes.DossierStopped);
    }

    [Fact]
    public void Land_check_may_reject_while_waiting_for_a_supplement()
    {
        var run = Start(Land);
        run.Complete("check", Outcomes.RequestSupplement);

        run.Complete("check", Outcomes.Reject);

        run.ShouldBe(DossierStatus.Stopped, 8);
    }

    [Fact]
    public void Land_signature_returned_for_rework_loops_back_to_prepare()
    {
        var run = Start(Land);
        run.Complete("check");
        run.Complete("communeConfirm");
        run.Complete("taxNotice", data: Obligation(false));
        var firstPrepare = run.Task("prepare").Id;
        run.Complete("prepare");

        run.Complete("sign", Outcomes.ReturnForRework);

        run.ShouldBe(DossierStatus.InProgress, 4, Prepare);
        run.Task("prepare").Id.Should().NotBe(firstPrepare, "rework starts a new round of the step");
        run.Last.ClosedTasks.Should().ContainSingle().Which.Outcome.Should().Be(Outcomes.ReturnForRework);

        run.Complete("prepare");
        run.ShouldBe(DossierStatus.InProgress, 4, Sign);
        run.Complete("sign");
        run.ShouldBe(DossierStatus.InProgress, 4, UpdateRecords);
        run.CreatedActivities.Where(a => a == "prepare").Should().HaveCount(2);
        run.CreatedActivities.Where(a => a == "sign").Should().HaveCount(2);
    }

    [Fact]
    public void Land_tasks_without_a_handling_unit_go_to_the_unit_that_received_the_dossier()
    {
        var run = Start(Land, receivingUnit: "HCC-QUANGNGAI");
        run.Complete("check");
        run.Complete("communeConfirm");
        run.Complete("taxNotice");

        run.Task("payment").UnitCode.Should().Be("HCC-QUANGNGAI");
        run.Task("payment").Title.Should().Be("Applicant pays land-use fee and registration fee");
    }

    [Fact]
    public void Land_tax_notice_task_is_marked_outside_the_time_limit()
    {
        var run = Start(Land);
        run.Complete("check");

        run.Task("taxNotice").PausesClock.Should().BeTrue();
        run.Task("taxNotice").TimeLimitDays.Should().Be(5m);
        run.Task("communeConfirm").PausesClock.Should().BeFalse();
        run.Task("communeConfirm").CreatedAt.Should().Be(run.Now);
    }
}
