using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.ReturnForRework;

/// <summary>A return for rework to an earlier step.</summary>
/// <param name="ToStep">Activity id of the earlier step (e.g. "check").</param>
/// <param name="Reason">What must be redone (form 05 entry).</param>
/// <param name="TaskId">On parallel branches, the one open task to send back; leave out to send the whole dossier back.</param>
public sealed record ReturnForReworkRequest(string? ToStep, string? Reason, string? TaskId = null);

/// <summary>
/// A leader sends the dossier back to an earlier step for rework (DOMAIN §3.3 InStep(k) → InStep(j),
/// j &lt; k) from any step, whether or not the definition drew a ReturnForRework port there. The
/// overall clock keeps running; the step left is cancelled, not completed, and no step runs twice at once.
/// </summary>
public sealed class ReturnForReworkHandler(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter)
{
    /// <summary>Sends the dossier back, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(string dossierRef, ReturnForReworkRequest request, Caller caller, int? expectedVersion,
        IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        if (caller.Role is not (Roles.Leader or Roles.Administrator))
        {
            return TransitionOutcome.Refused(DossierActs.RoleRequired(caller, "Returning a dossier for rework", Roles.Leader, Roles.Administrator));
        }

        if (string.IsNullOrWhiteSpace(request.ToStep))
        {
            return TransitionOutcome.Refused(Refusal.Field("Step required", "toStep", "toStep is required: the activity id of the earlier step to redo, e.g. \"check\"."));
        }

        if (DossierActs.CheckReason(limits, request.Reason, "what must be redone, for the processing control slip (form 05)") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency), input =>
            !DossierActs.Holds(caller, input)
                ? TransitionDecision.Refuse(DossierActs.NotYours(input, "Returning a dossier for rework"))
                : DossierActs.Apply(() => interpreter.MoveTo(input.Workflow, input.State,
                    new MoveToStep(new DossierAct(caller.Name, request.Reason!.Trim(), input.OccurredAt, input.Time), request.ToStep.Trim(), request.TaskId, EarlierOnly: true)),
                    "No return for rework possible"), cancellationToken);
    }
}
