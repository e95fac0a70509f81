using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;

namespace ProcessServer.Engine.Tests.Support;

/// <summary>
/// Drives one dossier through the real interpreter: deterministic task ids, a clock that advances
/// one hour per transition, and every state kept so tests can look back.
/// </summary>
internal sealed class DossierRun
{
    /// <summary>08:00 on Tuesday 1 July 2025 in Vietnam (UTC+7).</summary>
    public static readonly DateTime ReceivedAt = new(2025, 7, 1, 1, 0, 0, DateTimeKind.Utc);

    private readonly List<PendingTask> _created = [];
    private int _taskCounter;
    private DateTime _now = ReceivedAt;

    private DossierRun(CompiledWorkflow workflow)
    {
        Workflow = workflow;
        Interpreter = new WorkflowInterpreter(() => $"task-{++_taskCounter}");
    }

    public CompiledWorkflow Workflow { get; }

    public WorkflowInterpreter Interpreter { get; }

    public DossierState State { get; private set; } = null!;

    public TransitionResult Last { get; private set; } = null!;

    /// <summary>Activity ids of every task created so far, in order.</summary>
    public IReadOnlyList<string> CreatedActivities => _created.Select(t => t.ActivityId).ToList();

    public DossierStatus Status => DossierStatusRules.Derive(State);

    public int NationalCode => DossierStatusRules.NationalCode(Status);

    public DateTime Now => _now;

    public static DossierRun Start(CompiledWorkflow workflow, string receivingUnit = Units.Counter, IReadOnlyDictionary<string, JsonNode?>? data = null)
    {
        var run = new DossierRun(workflow);
        run.Apply(run.Interpreter.Start(workflow, new StartDossier(ReceivedAt, receivingUnit, "clerk", data)));
        return run;
    }

    /// <summary>The one pending task created by <paramref name="activityId"/>.</summary>
    public PendingTask Task(string activityId) =>
        State.Tasks.Should().ContainSingle(t => t.ActivityId == activityId, $"the dossier should wait on '{activityId}'").Subject;

    /// <summary>Completes the pending task of <paramref name="activityId"/> with an outcome.</summary>
    public TransitionResult Complete(string activityId, string outcome = Outcomes.Done, IReadOnlyDictionary<string, JsonNode?>? data = null) =>
        CompleteTask(Task(activityId).Id, outcome, data);

    /// <summary>Completes a task by id (which may not be pending).</summary>
    public TransitionResult CompleteTask(string taskId, string outcome = Outcomes.Done, IReadOnlyDictionary<string, JsonNode?>? data = null)
    {
        _now = _now.AddHours(1);
        var result = Interpreter.Complete(Workflow, State, new CompleteTask(taskId, outcome, "handler", null, data, _now));
        Apply(result);
        return result;
    }

    /// <summary>Completes the pending task of <paramref name="activityId"/> as a given person.</summary>
    public TransitionResult CompleteAs(string activityId, PersonRef person, bool overridesHolder = false, string outcome = Outcomes.Done)
    {
        _now = _now.AddHours(1);
        var result = Interpreter.Complete(Workflow, State,
            new CompleteTask(Task(activityId).Id, outcome, person.Name, null, null, _now, ActorId: person.Id, OverridesHolder: overridesHolder));
        Apply(result);
        return result;
    }

    /// <summary>Applies a state change other than a completion (claim, assign, reorganise…), an hour later.</summary>
    public TransitionResult Act(Func<DossierState, DateTime, TransitionResult> act)
    {
        _now = _now.AddHours(1);
        var result = act(State, _now);
        Apply(result);
        return result;
    }

    /// <summary>"activity @ unit / role", the form <see cref="ShouldBe"/> compares.</summary>
    public static string At(string activityId, string unit, string role) => $"{activityId} @ {unit} / {role}";

    /// <summary>Asserts the derived status, its national code and exactly which tasks are pending.</summary>
    public void ShouldBe(DossierStatus status, int nationalCode, params string[] pending)
    {
        Status.Should().Be(status);
        NationalCode.Should().Be(nationalCode);
        State.Tasks.Select(t => At(t.ActivityId, t.UnitCode, t.Role)).Should().BeEquivalentTo(pending);
    }

    private void Apply(TransitionResult result)
    {
        State = result.State;
        Last = result;
        _created.AddRange(result.CreatedTasks);
    }
}
