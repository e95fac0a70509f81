using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.Withdrawal;

/// <summary>
/// Records the applicant's written request to withdraw (national status 7): every step waits and the
/// clock stops until a leader accepts it. Any clerk of the receiving unit or of a unit holding the
/// dossier records it; no activity in the definition is needed.
/// </summary>
public sealed class RequestWithdrawalHandler(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter)
{
    /// <summary>Records the request, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(string dossierRef, DossierActRequest request, Caller caller, int? expectedVersion,
        IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        if (DossierActs.CheckReason(limits, request.Reason, "the applicant's written request to withdraw, as they gave it") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency, request.OccurredAt), input =>
            !DossierActs.Holds(caller, input)
                ? TransitionDecision.Refuse(DossierActs.NotYours(input, "Recording a withdrawal request"))
                : Decide(input, caller.Name, request.Reason!.Trim()), cancellationToken);
    }

    /// <summary>The request at the input's occurred-at instant (also used by the history import).</summary>
    internal TransitionDecision Decide(TransitionInput input, string actor, string reason) =>
        DossierActs.Apply(() => interpreter.RequestWithdrawal(input.Workflow, input.State, new DossierAct(actor, reason, input.OccurredAt, input.Time)),
            "No withdrawal request possible");
}

/// <summary>
/// A leader accepts the applicant's withdrawal: processing stops (national status 8), counted as
/// withdrawn in the period report, apart from returns without resolution.
/// </summary>
public sealed class AcceptWithdrawalHandler(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter)
{
    /// <summary>Accepts the withdrawal, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(string dossierRef, DossierActRequest request, Caller caller, int? expectedVersion,
        IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        if (caller.Role is not (Roles.Leader or Roles.Administrator))
        {
            return TransitionOutcome.Refused(DossierActs.RoleRequired(caller, "Accepting a withdrawal", Roles.Leader, Roles.Administrator));
        }

        if (DossierActs.CheckReason(limits, request.Reason, "the notice to the applicant that processing stops at their request") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency, request.OccurredAt), input =>
            !DossierActs.Holds(caller, input)
                ? TransitionDecision.Refuse(DossierActs.NotYours(input, "Accepting a withdrawal"))
                : Decide(input, caller.Name, request.Reason!.Trim()), cancellationToken);
    }

    /// <summary>The acceptance at the input's occurred-at instant (also used by the history import).</summary>
    internal TransitionDecision Decide(TransitionInput input, string actor, string reason) =>
        DossierActs.Apply(() => interpreter.AcceptWithdrawal(input.Workflow, input.State, new DossierAct(actor, reason, input.OccurredAt, input.Time)),
            "No withdrawal to accept");
}
