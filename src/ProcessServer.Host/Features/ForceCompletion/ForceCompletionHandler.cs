using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using EngineForceCompletion = ProcessServer.Engine.Execution.ForceCompletion;

namespace ProcessServer.Host.Features.ForceCompletion;

/// <summary>A forced completion.</summary>
/// <param name="Reason">Why the steps could not close (kept in the journal).</param>
/// <param name="ResultReadyAt">When the result was really ready (the completion judged early / on time / late); defaults to the hand-over.</param>
/// <param name="ReturnedAt">When the result was handed over; leave out for now. An earlier time is a late entry.</param>
public sealed record ForceCompletionRequest(string? Reason, DateTimeOffset? ResultReadyAt = null, DateTimeOffset? ReturnedAt = null);

/// <summary>
/// Closes a dossier whose result was delivered but whose steps cannot close on the system ("đã giải
/// quyết nhưng chưa kết thúc được trên hệ thống", DOMAIN §7 pain point 3): open tasks are cancelled,
/// the result is judged at its real ready time and the dossier ends returned (national status 10),
/// with the reason in the journal. Leaders of the dossier's units and administrators.
/// </summary>
public sealed class ForceCompletionHandler(FieldLimits limits, DossierTransitions transitions, WorkflowInterpreter interpreter, LateEntryRules lateEntries)
{
    /// <summary>Forces the completion, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(string dossierRef, ForceCompletionRequest request, Caller caller, int? expectedVersion,
        IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        if (caller.Role is not (Roles.Leader or Roles.Administrator))
        {
            return TransitionOutcome.Refused(DossierActs.RoleRequired(caller, "Forcing a completion", Roles.Leader, Roles.Administrator));
        }

        if (DossierActs.CheckReason(limits, request.Reason, "why the dossier's steps could not be closed although the result was delivered") is { } invalid)
        {
            return TransitionOutcome.Refused(invalid);
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency, request.ReturnedAt), input =>
        {
            if (!DossierActs.Holds(caller, input))
            {
                return TransitionDecision.Refuse(DossierActs.NotYours(input, "Forcing a completion"));
            }

            DateTime? readyAt = null;
            if (request.ResultReadyAt is { } ready)
            {
                // The ready time obeys the late-entry rules as well: not before the previous event, not in the future.
                var previous = input.Rows.LastTimestamp;
                var (when, late) = lateEntries.Resolve(ready, caller, input.Now, previous, "resultReadyAt");
                if (late is not null)
                {
                    return TransitionDecision.Refuse(late);
                }

                readyAt = when!.At;
            }

            return DossierActs.Apply(() => interpreter.ForceComplete(input.Workflow, input.State,
                new EngineForceCompletion(new DossierAct(caller.Name, request.Reason!.Trim(), input.OccurredAt, input.Time), readyAt)), "No forced completion possible");
        }, cancellationToken);
    }
}
