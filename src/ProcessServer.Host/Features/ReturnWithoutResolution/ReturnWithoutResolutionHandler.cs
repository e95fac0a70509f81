using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.ReturnWithoutResolution;

/// <summary>
/// A leader returns the dossier without resolution, with written reasons, from any open step
/// (national status 8): open tasks are cancelled and the clock stops. The definition needs no
/// Reject port for it; the period report counts it apart from withdrawals.
/// </summary>
public sealed class ReturnWithoutResolutionHandler(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter)
{
    /// <summary>Returns the dossier, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(string dossierRef, DossierActRequest request, Caller caller, int? expectedVersion,
        IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        if (caller.Role is not (Roles.Leader or Roles.Administrator))
        {
            return TransitionOutcome.Refused(DossierActs.RoleRequired(caller, "Returning a dossier without resolution", Roles.Leader, Roles.Administrator));
        }

        if (DossierActs.CheckReason(limits, request.Reason, "the written reasons the dossier is returned without resolution, as told to the applicant") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency, request.OccurredAt), input =>
            !DossierActs.Holds(caller, input)
                ? TransitionDecision.Refuse(DossierActs.NotYours(input, "Returning a dossier without resolution"))
                : Decide(input, caller.Name, request.Reason!.Trim()), cancellationToken);
    }

    /// <summary>The return at the input's occurred-at instant (also used by the history import).</summary>
    internal TransitionDecision Decide(TransitionInput input, string actor, string reason) =>
        DossierActs.Apply(() => interpreter.ReturnWithoutResolution(input.Workflow, input.State, new DossierAct(actor, reason, input.OccurredAt, input.Time)),
            "No return without resolution possible");
}
