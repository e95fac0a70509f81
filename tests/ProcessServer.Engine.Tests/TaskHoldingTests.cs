using FluentAssertions;
using Xunit;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;

namespace ProcessServer.Engine.Tests;

/// <summary>Who holds a task, and what that allows, on the land sample.</summary>
public sealed class TaskHoldingTests
{
    private static readonly PersonRef An = new("sub-an", "Nguyễn Văn An");
    private static readonly PersonRef Binh = new("sub-binh", "Trần Thị Bình");
    private static readonly PersonRef Leader = new("sub-leader", "Lê Văn Lãnh");

    private static DossierRun Land() => DossierRun.Start(Samples.Compile(Samples.Land));

    [Fact]
    public void A_claimed_task_names_its_holder_and_leaves_the_queue()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Task("check").QueuedSince.Should().Be(DossierRun.ReceivedAt, "a new task waits in its unit's queue from the moment it starts");

        var result = run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var task = run.Task("check");
        task.Holder!.Person.Should().Be(An);
        task.Holder.Via.Should().Be(HoldingVia.Claimed);
        task.QueuedSince.Should().BeNull();
        result.Events.Should().ContainSingle().Which.Type.Should().Be(JournalEventTypes.TaskClaimed);
    }

    [Fact]
    public void A_second_claim_is_refused_naming_the_holder_and_a_repeat_says_it_is_already_yours()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var other = () => TaskHolding.Claim(run.State, id, Binh, run.Now);
        other.Should().Throw<TransitionException>().Where(e => e.Error == TransitionError.TaskHeldByOther && e.Message.Contains(An.Name) && e.Message.Contains(An.Id));

        var again = () => TaskHolding.Claim(run.State, id, An, run.Now);
        again.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.TaskAlreadyYours);
    }

    [Fact]
    public void Completing_a_task_someone_else_holds_is_refused_unless_the_unit_leader_overrides_and_the_journal_says_so()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var byBinh = () => run.CompleteAs("check", Binh);
        byBinh.Should().Throw<TransitionException>().Where(e => e.Error == TransitionError.TaskHeldByOther && e.Message.Contains(An.Name));

        var result = run.CompleteAs("check", Leader, overridesHolder: true);

        result.Events.Select(e => e.Type).Should().StartWith([JournalEventTypes.HolderOverridden, JournalEventTypes.TaskCompleted]);
        result.Events[0].Data!["holderId"]!.GetValue<string>().Should().Be(An.Id);
        result.Events[1].Actor.Should().Be(Leader.Name);
    }

    [Fact]
    public void The_holder_completes_their_own_task_and_an_unheld_task_needs_no_claim()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        run.CompleteAs("check", An).Events.Should().NotContain(e => e.Type == JournalEventTypes.HolderOverridden);
        run.CompleteAs("taxNotice", Binh).Events.Should().Contain(e => e.Type == JournalEventTypes.TaskCompleted);
    }

    [Fact]
    public void Only_the_holder_or_the_leader_releases_a_task_and_it_goes_back_to_the_queue()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var byBinh = () => TaskHolding.Release(run.State, id, Binh, asLeader: false, null, run.Now);
        byBinh.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.NotTheHolder);

        var result = run.Act((s, now) => TaskHolding.Release(s, id, Leader, asLeader: true, "An is on leave", now));

        run.Task("check").Holder.Should().BeNull();
        run.Task("check").QueuedSince.Should().Be(run.Now);
        result.Events.Single().Comment.Should().Be("An is on leave");
        var again = () => TaskHolding.Release(run.State, id, An, asLeader: false, null, run.Now);
        again.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.TaskNotHeld);
    }

    [Fact]
    public void Assigning_a_held_task_to_another_officer_is_a_reassignment_naming_both()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Assign(s, id, An, Leader, null, now)).Events.Single().Type.Should().Be(JournalEventTypes.TaskAssigned);

        var result = run.Act((s, now) => TaskHolding.Assign(s, id, Binh, Leader, "An moved to the tax desk", now));

        var entry = result.Events.Single();
        entry.Type.Should().Be(JournalEventTypes.TaskReassigned);
        entry.Data!["holderId"]!.GetValue<string>().Should().Be(Binh.Id);
        entry.Data["previousHolderId"]!.GetValue<string>().Should().Be(An.Id);
        run.Task("check").Holder!.By.Should().Be(Leader);
        run.Task("check").Holder!.Via.Should().Be(HoldingVia.Assigned);
    }

    [Fact]
    public void Only_the_holder_delegates_and_the_reason_and_who_delegated_are_kept()
    {
        var run = Land();
        var id = run.Task("check").Id;
        var unheld = () => TaskHolding.Delegate(run.State, id, Binh, An, "leave", run.Now);
        unheld.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.NotTheHolder);

        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));
        var result = run.Act((s, now) => TaskHolding.Delegate(s, id, Binh, An, "annual leave from Monday", now));

        var holder = run.Task("check").Holder!;
        holder.Person.Should().Be(Binh);
        holder.Via.Should().Be(HoldingVia.Delegated);
        holder.By.Should().Be(An);
        holder.Reason.Should().Be("annual leave from Monday");
        result.Events.Single().Type.Should().Be(JournalEventTypes.TaskDelegated);
    }

    [Fact]
    public void The_holder_sets_priority_and_follow_up_and_others_may_not()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));
        var followUp = run.Now.AddDays(2);

        var byBinh = () => TaskHolding.Prioritise(run.State, id, TaskPriority.Urgent, null, false, Binh, asLeader: false, run.Now);
        byBinh.Should().Throw<TransitionException>().Which.Error.Should().Be(TransitionError.NotTheHolder);

        run.Act((s, now) => TaskHolding.Prioritise(s, id, TaskPriority.High, followUp, false, An, asLeader: false, now));
        run.Task("check").Priority.Should().Be(TaskPriority.High);
        run.Task("check").FollowUpAt.Should().Be(followUp);

        run.Act((s, now) => TaskHolding.Prioritise(s, id, null, null, clearFollowUp: true, Leader, asLeader: true, now));
        run.Task("check").Priority.Should().Be(TaskPriority.High, "a priority left out is kept");
        run.Task("check").FollowUpAt.Should().BeNull();
    }

    [Fact]
    public void A_reorganisation_moves_open_tasks_with_their_holders_and_later_steps_start_in_the_successor()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var result = run.Act((s, now) => TaskHolding.MoveUnit(s, Units.LandOffice, "VPDKDD-NEW", releaseHeld: false, Leader, now));

        run.Task("check").UnitCode.Should().Be("VPDKDD-NEW");
        run.Task("check").Holder!.Person.Should().Be(An);
        result.Events.Single().Type.Should().Be(JournalEventTypes.UnitReorganised);

        run.CompleteAs("check", An);
        run.Complete("taxNotice");
        run.Complete("communeConfirm");
        run.Complete("payment", Outcomes.Paid);
        run.Task("prepare").UnitCode.Should().Be("VPDKDD-NEW", "the pinned definition still says the old unit; its successor handles the step");
    }

    [Fact]
    public void A_reorganisation_can_put_held_tasks_in_the_successors_queue_and_chains_of_successors_are_followed()
    {
        var run = Land();
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));

        var result = run.Act((s, now) => TaskHolding.MoveUnit(s, Units.LandOffice, "B", releaseHeld: true, Leader, now));
        run.Act((s, now) => TaskHolding.MoveUnit(s, "B", "C", releaseHeld: false, Leader, now));

        result.Events.Select(e => e.Type).Should().Equal(JournalEventTypes.UnitReorganised, JournalEventTypes.TaskReleased);
        run.Task("check").Holder.Should().BeNull();
        run.Task("check").UnitCode.Should().Be("C");
        run.State.HandlingUnit(Units.LandOffice).Should().Be("C");
    }

    [Fact]
    public void A_dossier_received_after_a_reorganisation_starts_its_steps_in_the_successor()
    {
        var workflow = Samples.Compile(Samples.Land);
        var result = new WorkflowInterpreter().Start(workflow, new StartDossier(DossierRun.ReceivedAt, Units.Counter, "clerk",
            UnitMoves: new Dictionary<string, string> { [Units.LandOffice] = "VPDKDD-NEW" }));

        result.State.Tasks.Single().UnitCode.Should().Be("VPDKDD-NEW");
    }

    [Fact]
    public void A_migration_keeps_the_holder_and_priority_of_a_task_that_stays_in_its_unit()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        var id = run.Task("check").Id;
        run.Act((s, now) => TaskHolding.Claim(s, id, An, now));
        run.Act((s, now) => TaskHolding.Prioritise(s, id, TaskPriority.Urgent, null, false, An, false, now));
        var definition = Samples.Json(Samples.Land);
        definition["version"] = 2;
        var v2 = Samples.Compile(definition);

        var analysis = DossierMigrator.Analyze(v1, v2, run.State, new Dictionary<string, string>());
        var moved = DossierMigrator.Apply(v2, run.State, analysis, new Dictionary<string, string>(), StepTimePolicy.KeepElapsed, run.Now);

        moved.Tasks.Single().Holder!.Person.Should().Be(An);
        moved.Tasks.Single().Priority.Should().Be(TaskPriority.Urgent);
    }
}
