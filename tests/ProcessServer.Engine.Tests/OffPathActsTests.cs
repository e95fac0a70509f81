using FluentAssertions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;

namespace ProcessServer.Engine.Tests;

/// <summary>The acts off the happy path as pure functions of state: what they change, and what they refuse.</summary>
public sealed class OffPathActsTests
{
    private static DossierAct Act(DossierRun run, int hours = 1) => new("leader", "reason", run.Now.AddHours(hours));

    [Fact]
    public void A_withdrawal_request_freezes_every_step_and_its_acceptance_stops_the_dossier_as_withdrawn()
    {
        var run = DossierRun.Start(Samples.Compile(Samples.Liaison));
        run.Complete("registerBirth");
        var requested = run.Interpreter.RequestWithdrawal(run.Workflow, run.State, Act(run));

        DossierStatusRules.Derive(requested.State).Should().Be(DossierStatus.WithdrawalRequested);
        DossierStatusRules.NationalCode(DossierStatus.WithdrawalRequested).Should().Be(7);
        requested.State.Tasks.Should().HaveCount(2, "nothing is cancelled until a leader decides");
        run.State.Withdrawal.Should().BeNull("the input state is never modified");

        var blocked = () => run.Interpreter.Complete(run.Workflow, requested.State,
            new CompleteTask(requested.State.Tasks[0].Id, "Done", "police", null, null, run.Now.AddHours(2)));
        blocked.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.ActNotAllowed);

        var accepted = run.Interpreter.AcceptWithdrawal(run.Workflow, requested.State, Act(run, 3));
        (accepted.State.Stage, accepted.State.StopKind, accepted.State.Tasks.Count).Should().Be((DossierStage.Stopped, StopKind.Withdrawn, 0));
        accepted.ClosedTasks.Should().HaveCount(2).And.OnlyContain(c => c.Cancelled);
    }

    [Fact]
    public void Moving_into_one_branch_of_a_fork_is_refused_and_moving_before_it_clears_the_branches_already_arrived()
    {
        var run = DossierRun.Start(Samples.Compile(Samples.Land));
        var intoBranch = () => run.Interpreter.MoveTo(run.Workflow, run.State, new MoveToStep(Act(run), "communeConfirm"));
        intoBranch.Should().Throw<TransitionException>().Which.Message.Should().Contain("one branch of an open fork");

        run.Complete("check");
        run.Complete("taxNotice");
        run.State.JoinArrivals.Should().NotBeEmpty("the tax branch waits at the join");
        var back = run.Interpreter.MoveTo(run.Workflow, run.State, new MoveToStep(Act(run), "check", EarlierOnly: true));
        back.State.Tasks.Select(t => t.ActivityId).Should().Equal("check");
        back.State.JoinArrivals.Should().BeEmpty("the fork will run again, so its old arrivals would join too early");
        back.Events.Select(e => e.Type).Should().Equal(JournalEventTypes.TaskCancelled, JournalEventTypes.DossierRepaired, JournalEventTypes.TaskCreated);

        var forward = () => run.Interpreter.MoveTo(run.Workflow, run.State, new MoveToStep(Act(run), "prepare", EarlierOnly: true));
        forward.Should().Throw<TransitionException>().Which.Message.Should().Contain("earlier step");
    }

    [Fact]
    public void Cancelling_a_parallel_branch_counts_it_as_arrived_and_the_join_fires_when_the_other_arrives()
    {
        var run = DossierRun.Start(Samples.Compile(Samples.Liaison));
        run.Complete("registerBirth");
        var cancelled = run.Interpreter.Cancel(run.Workflow, run.State, new CancelTask(Act(run), run.Task("insurance").Id));
        cancelled.State.Tasks.Select(t => t.ActivityId).Should().Equal("residence");

        var afterCancel = cancelled.State;
        var done = run.Interpreter.Complete(run.Workflow, afterCancel,
            new CompleteTask(afterCancel.Tasks[0].Id, "Done", "police", null, null, run.Now.AddHours(2)));
        DossierStatusRules.Derive(done.State).Should().Be(DossierStatus.ResultReady);
    }

    [Fact]
    public void A_forced_completion_judges_the_result_at_its_ready_time_and_refuses_a_ready_time_after_the_hand_over()
    {
        var run = DossierRun.Start(Samples.Compile(Samples.Birth));
        var late = () => run.Interpreter.ForceComplete(run.Workflow, run.State, new ForceCompletion(Act(run), run.Now.AddHours(2)));
        late.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.ActNotAllowed);

        var forced = run.Interpreter.ForceComplete(run.Workflow, run.State, new ForceCompletion(Act(run, 5), run.Now.AddHours(1)));
        (forced.State.Stage, forced.State.ResultReadyAt, forced.State.ReturnedAt).Should().Be((DossierStage.Returned, run.Now.AddHours(1), run.Now.AddHours(5)));
        forced.Events.Select(e => e.Type).Should().Equal(JournalEventTypes.TaskCancelled, JournalEventTypes.ResultReady, JournalEventTypes.CompletionForced,
            JournalEventTypes.ResultReturned, JournalEventTypes.WorkflowFinished);
        forced.Events.Select(e => e.Timestamp).Should().BeInAscendingOrder();
    }

    [Fact]
    public void A_refusal_at_the_counter_is_closed_at_once_with_national_code_3()
    {
        var refused = WorkflowInterpreter.Refuse(Samples.Compile(Samples.Land), new RefuseAtReceipt(DossierRun.ReceivedAt, "HCC", "clerk", "not our remit"));
        (DossierStatusRules.Derive(refused.State), refused.State.IsClosed, refused.State.StopKind, refused.State.DueAt).Should()
            .Be((DossierStatus.Refused, true, StopKind.RefusedAtReceipt, (DateTime?)null));
        DossierStatusRules.NationalCode(DossierStatus.Refused).Should().Be(3);
    }
}
