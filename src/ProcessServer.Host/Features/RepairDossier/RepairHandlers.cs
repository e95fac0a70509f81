using System.Text.Json.Nodes;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using EngineCancelTask = ProcessServer.Engine.Execution.CancelTask;
using EngineSetVariable = ProcessServer.Engine.Execution.SetVariable;

namespace ProcessServer.Host.Features.RepairDossier;

/// <summary>Move the dossier to a step.</summary>
/// <param name="ToStep">Activity id of the step to open.</param>
/// <param name="Reason">Why (kept in the journal).</param>
/// <param name="TaskId">The one open task to move; leave out to move every open task.</param>
public sealed record MoveToStepRequest(string? ToStep, string? Reason, string? TaskId = null);

/// <summary>Cancel one open task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Reason">Why (kept in the journal).</param>
public sealed record CancelTaskRequest(string? TaskId, string? Reason);

/// <summary>Set a dossier variable.</summary>
/// <param name="Name">Variable name.</param>
/// <param name="Value">New value (converted to the declared type).</param>
/// <param name="Reason">Why (kept in the journal).</param>
public sealed record SetVariableRequest(string? Name, JsonNode? Value, string? Reason);

/// <summary>
/// An administrator's repairs of one dossier (DOMAIN §7 pain point 2): move it to a step, cancel a
/// task, set a variable. Each carries a reason and lands in the journal; none re-runs a completed
/// step; what the definition makes impossible (a target that is no step, one branch of an open
/// fork, a join that would wait forever) is refused with the reason.
/// </summary>
public sealed class RepairHandlers(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter)
{
    /// <summary>Moves the dossier (or one of its open tasks) to a step.</summary>
    public Task<TransitionOutcome> MoveAsync(string dossierRef, MoveToStepRequest request, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(request.ToStep)
            ? Refused(Refusal.Field("Step required", "toStep", "toStep is required: the activity id of the step to open, e.g. \"prepare\"."))
            : RunAsync(dossierRef, request.Reason, caller, expectedVersion, idempotency, (input, act) =>
                interpreter.MoveTo(input.Workflow, input.State, new MoveToStep(act, request.ToStep.Trim(), request.TaskId)), cancellationToken);

    /// <summary>Cancels one open task.</summary>
    public Task<TransitionOutcome> CancelAsync(string dossierRef, CancelTaskRequest request, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(request.TaskId)
            ? Refused(Refusal.Field("Task required", "taskId", "taskId is required: the id of an open task (the dossier's currentTasks)."))
            : RunAsync(dossierRef, request.Reason, caller, expectedVersion, idempotency, (input, act) =>
                interpreter.Cancel(input.Workflow, input.State, new EngineCancelTask(act, request.TaskId.Trim())), cancellationToken);

    /// <summary>Sets a dossier variable.</summary>
    public Task<TransitionOutcome> SetVariableAsync(string dossierRef, SetVariableRequest request, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        CancellationToken cancellationToken) =>
        string.IsNullOrWhiteSpace(request.Name)
            ? Refused(Refusal.Field("Variable required", "name", "name is required: the dossier variable to set (the dossier's variables)."))
            : TooLarge(request) is { } tooLarge ? Refused(tooLarge)
            : RunAsync(dossierRef, request.Reason, caller, expectedVersion, idempotency, (input, act) =>
                interpreter.Set(input.Workflow, input.State, new EngineSetVariable(act, request.Name.Trim(), request.Value)), cancellationToken);

    private Refusal? TooLarge(SetVariableRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        limits.Variables(errors, "value", new Dictionary<string, JsonNode?> { [request.Name!.Trim()] = request.Value });
        return errors.Count == 0 ? null : Refusal.Invalid("The value is too large", errors);
    }

    private static Task<TransitionOutcome> Refused(Refusal refusal) => Task.FromResult(TransitionOutcome.Refused(refusal));

    private async Task<TransitionOutcome> RunAsync(string dossierRef, string? reason, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        Func<TransitionInput, DossierAct, TransitionResult> repair, CancellationToken cancellationToken)
    {
        if (!caller.IsAdministrator)
        {
            return TransitionOutcome.Refused(DossierActs.RoleRequired(caller, "Repairing a dossier", Roles.Administrator));
        }

        if (DossierActs.CheckReason(limits, reason, "why the dossier needs the repair (it stays in its journal)") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency), input =>
            DossierActs.Apply(() => repair(input, new DossierAct(caller.Name, reason!.Trim(), input.OccurredAt, input.Time)), "Repair not possible"),
            cancellationToken);
    }
}
