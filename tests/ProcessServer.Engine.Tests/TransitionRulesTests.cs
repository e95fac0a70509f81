using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;
using static ProcessServer.Engine.Tests.Support.DossierRun;

namespace ProcessServer.Engine.Tests;

public class TransitionRulesTests
{
    private static readonly CompiledWorkflow Land = Samples.Compile(Samples.Land);
    private static readonly CompiledWorkflow Birth = Samples.Compile(Samples.Birth);

    [Fact]
    public void Completing_an_unknown_task_is_refused_as_not_pending()
    {
        var run = Start(Birth);

        var act = () => run.CompleteTask("task-from-another-dossier");

        act.Should().Throw<TransitionException>()
            .Which.Error.Should().Be(TransitionError.TaskNotPending);
    }

    [Fact]
    public void Completing_a_task_twice_is_refused_as_not_pending()
    {
        var run = Start(Birth);
        var register = run.Task("register").Id;
        run.Complete("register");

        var act = () => run.CompleteTask(register);

        act.Should().Throw<TransitionException>()
            .Which.Error.Should().Be(TransitionError.TaskNotPending);
    }

    [Theory]
    [InlineData("Approve")]
    [InlineData(Outcomes.ReturnForRework)]
    [InlineData(Outcomes.SupplementReceived)]
    [InlineData("done")]
    public void Completing_with_an_outcome_the_step_does_not_allow_is_refused(string outcome)
    {
        var run = Start(Land);

        var act = () => run.Complete("check", outcome);

        act.Should().Throw<TransitionException>()
            .Where(e => e.Error == TransitionError.OutcomeNotAllowed)
            .WithMessage($"*'{outcome}'*Done, RequestSupplement, Reject*");
        run.ShouldBe(DossierStatus.Received, 2, At("check", Units.LandOffice, Roles.LandRegistrar));
    }

    [Fact]
    public void Completing_a_step_waiting_for_documents_with_Done_is_refused()
    {
        var run = Start(Land);
        run.Complete("check", Outcomes.RequestSupplement);

        var act = () => run.Complete("check");

        act.Should().Throw<TransitionException>()
            .Where(e => e.Error == TransitionError.OutcomeNotAllowed)
            .WithMessage("*waits for the applicant's documents*");
    }

    [Fact]
    public void Completing_on_a_returned_dossier_is_refused_as_closed()
    {
        var run = Start(Birth);
        run.Complete("register");
        run.Complete("sign");
        var returnTask = run.Task("returnResult").Id;
        run.Complete("returnResult");

        var act = () => run.CompleteTask(returnTask);

        act.Should().Throw<TransitionException>()
            .Which.Error.Should().Be(TransitionError.DossierClosed);
    }

    [Fact]
    public void Completing_on_a_stopped_dossier_is_refused_as_closed()
    {
        var run = Start(Birth);
        var register = run.Task("register").Id;
        run.Complete("register", Outcomes.Reject);

        var act = () => run.CompleteTask(register);

        act.Should().Throw<TransitionException>()
            .Which.Error.Should().Be(TransitionError.DossierClosed);
    }

    [Theory]
    [InlineData("\"perhaps\"")]
    [InlineData("42")]
    [InlineData("{\"owes\": true}")]
    public void Data_that_is_not_a_Boolean_for_a_declared_Boolean_variable_is_refused(string value)
    {
        var run = Start(Land);
        run.Complete("check");
        var before = run.State.ToJson();

        var act = () => run.Complete("taxNotice", data: new Dictionary<string, JsonNode?> { ["hasFinancialObligation"] = JsonNode.Parse(value) });

        act.Should().Throw<TransitionException>()
            .Where(e => e.Error == TransitionError.InvalidData)
            .WithMessage("*hasFinancialObligation*Boolean*");
        run.State.ToJson().Should().Be(before, "a refused transition changes nothing");
    }

    [Fact]
    public void Data_for_an_undeclared_variable_is_kept_as_given()
    {
        var run = Start(Birth);

        run.Complete("register", data: new Dictionary<string, JsonNode?> { ["personalId"] = "051225000123" });

        run.State.Variables["personalId"]!.GetValue<string>().Should().Be("051225000123");
    }

    [Fact]
    public void Complete_never_mutates_the_state_it_was_given()
    {
        var run = Start(Land);
        var original = run.State;
        var snapshot = original.ToJson();
        var check = original.Tasks.Single();

        var result = run.Interpreter.Complete(Land, original,
            new CompleteTask(check.Id, Outcomes.Done, "registrar", "ok", new Dictionary<string, JsonNode?> { ["hasFinancialObligation"] = false }, run.Now.AddHours(1)));

        original.Tasks.Should().ContainSingle().Which.Should().BeSameAs(check);
        original.Stage.Should().Be(DossierStage.Received);
        original.Variables["hasFinancialObligation"]!.GetValue<bool>().Should().BeTrue();
        original.ToJson().Should().Be(snapshot);
        result.State.Should().NotBeSameAs(original);
        result.State.Tasks.Should().NotContain(t => t.Id == check.Id);
    }

    [Fact]
    public void Requesting_a_supplement_never_mutates_the_state_it_was_given()
    {
        var run = Start(Birth);
        var original = run.State;
        var snapshot = original.ToJson();

        run.Complete("register", Outcomes.RequestSupplement);

        original.ToJson().Should().Be(snapshot);
        original.Tasks.Single().Status.Should().Be(PendingTaskStatus.Pending);
        run.State.Tasks.Single().Status.Should().Be(PendingTaskStatus.AwaitingSupplement);
    }

    [Fact]
    public void State_persisted_as_JSON_between_transitions_continues_the_same_way()
    {
        var interpreter = new WorkflowInterpreter();
        var now = DossierRun.ReceivedAt;
        var state = interpreter.Start(Land, new StartDossier(now, Units.Counter, "clerk")).State;
        foreach (var (activity, outcome) in new[]
                 {
                     ("check", Outcomes.Done), ("taxNotice", Outcomes.Done), ("communeConfirm", Outcomes.Done),
                     ("payment", Outcomes.Paid), ("prepare", Outcomes.Done), ("sign", Outcomes.Done),
                     ("updateRecords", Outcomes.Done), ("returnResult", Outcomes.Done),
                 })
        {
            state = DossierState.FromJson(state.ToJson());
            var task = state.Tasks.Should().ContainSingle(t => t.ActivityId == activity).Subject;
            now = now.AddHours(1);
            state = interpreter.Complete(Land, state, new CompleteTask(task.Id, outcome, "handler", null, null, now)).State;
        }

        DossierStatusRules.NationalCode(DossierStatusRules.Derive(state)).Should().Be(10);
    }

    [Fact]
    public void Finish_cancels_tasks_still_pending_on_other_branches()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Receive()
            .Fork("fork", "Main", "Side")
            .Step("main", Units.Commune, Roles.CivilStatusOfficer)
            .Step("side", Units.Police, Roles.PoliceOfficer)
            .ResultReady()
            .ReturnResult()
            .Finish()
            .Connect("receive", "fork")
            .Connect("fork", "main", "Main")
            .Connect("fork", "side", "Side")
            .Connect("main", "resultReady")
            .Connect("resultReady", "returnResult")
            .Connect("returnResult", "finish")
            .Build());
        var run = Start(workflow);
        run.Complete("main");
        run.ShouldBe(DossierStatus.ResultReady, 9,
            At("returnResult", Units.Counter, Roles.CounterClerk), At("side", Units.Police, Roles.PoliceOfficer));
        var side = run.Task("side");

        run.Complete("returnResult");

        run.ShouldBe(DossierStatus.Returned, 10);
        run.State.IsFinished.Should().BeTrue();
        run.Last.ClosedTasks.Should().ContainSingle(c => c.Cancelled).Which.Task.Id.Should().Be(side.Id);
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.TaskCancelled).Which.TaskId.Should().Be(side.Id);
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.WorkflowFinished).Which.ActivityId.Should().Be("finish");
    }

    [Fact]
    public void Finish_before_a_result_stops_the_dossier_with_code_8()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Receive()
            .Step("withdraw", Units.Counter, Roles.CounterClerk)
            .Finish()
            .Connect("receive", "withdraw")
            .Connect("withdraw", "finish")
            .Build());
        var run = Start(workflow);

        run.Complete("withdraw");

        run.ShouldBe(DossierStatus.Stopped, 8);
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.DossierStopped).Which.ActivityId.Should().Be("finish");
    }

    [Fact]
    public void Reject_connected_to_a_step_follows_the_connection_instead_of_stopping()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Receive()
            .Step("appraise", Units.LandOffice, Roles.LandRegistrar, 1, Outcomes.Done, Outcomes.Reject)
            .Step("notifyRefusal", Units.Counter, Roles.CounterClerk)
            .Connect("receive", "appraise")
            .Connect("appraise", "notifyRefusal", Outcomes.Reject)
            .Build());
        var run = Start(workflow);

        run.Complete("appraise", Outcomes.Reject);

        run.ShouldBe(DossierStatus.InProgress, 4, At("notifyRefusal", Units.Counter, Roles.CounterClerk));
    }

    [Fact]
    public void A_path_that_simply_ends_after_the_result_is_returned_finishes_the_workflow()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Receive()
            .Step("handle")
            .ResultReady()
            .ReturnResult()
            .Connect("receive", "handle")
            .Connect("handle", "resultReady")
            .Connect("resultReady", "returnResult")
            .Build());
        var run = Start(workflow);
        run.Complete("handle");

        run.Complete("returnResult");

        run.ShouldBe(DossierStatus.Returned, 10);
        run.State.IsFinished.Should().BeTrue();
    }

    [Fact]
    public void A_definition_looping_without_a_person_is_refused_as_runaway()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Variable("flag", "Boolean", true)
            .Receive()
            .Decision("again", "flag")
            .Connect("receive", "again")
            .Connect("again", "again", "True")
            .Build());

        var act = () => Start(workflow);

        act.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.RunawayDefinition);
    }
}
