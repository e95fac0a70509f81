using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Apology;

/// <summary>
/// Issues the apology with a new appointment (form 04): once, before the due date, by a unit that
/// holds the dossier now; the legal due instant is kept beside the new one.
/// </summary>
public sealed class ApologyHandler(DossierTransitions transitions, FieldLimits limits)
{
    /// <summary>Issues the apology, or says why not.</summary>
    /// <param name="dossierRef">Dossier id or receipt code.</param>
    /// <param name="request">New appointment and reason.</param>
    /// <param name="caller">Who apologises.</param>
    /// <param name="expectedVersion">The dossier version decided on, when given.</param>
    /// <param name="idempotency">The caller's Idempotency-Key, when given.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<TransitionOutcome> HandleAsync(
        string dossierRef,
        ApologyRequest request,
        Caller caller,
        int? expectedVersion,
        IdempotencyToken? idempotency,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.NewDueAt is null)
        {
            errors["newDueAt"] = ["newDueAt is required: the new appointment, e.g. 2025-03-20T10:00:00Z."];
        }

        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            errors["reason"] = ["reason is required: the apology states why the dossier is late."];
        }

        limits.Comment(errors, "reason", request.Reason?.Trim());
        limits.Instant(errors, "newDueAt", request.NewDueAt);

        if (errors.Count > 0)
        {
            return TransitionOutcome.Refused(Refusal.Invalid("The apology is incomplete", errors));
        }

        return await transitions.RunAsync(new TransitionCall(dossierRef, caller, expectedVersion, idempotency), input =>
        {
            var holding = input.Rows.OpenTasks.FirstOrDefault(t => TaskStatuses.Open.Contains(t.Status) && caller.Units.Contains(t.UnitCode));
            if (!caller.IsAdministrator && holding is null)
            {
                return TransitionDecision.Refuse(new Refusal(RefusalKind.Forbidden, "Not your unit", "Only a unit that holds the dossier now can apologise for it."));
            }

            try
            {
                var result = WorkflowInterpreter.Apologize(input.State, caller.Name, request.Reason!.Trim(), request.NewDueAt!.Value.UtcDateTime, input.Now);
                return holding is null
                    ? TransitionDecision.Apply(result)
                    : TransitionDecision.Stage(i => DossierWriter.Stage(i.Db, i.Dossier, i.Rows.OpenTasks, i.Rows.Deadlines, i.Rows.NextSequence, result,
                        caller.ActingFor(holding.UnitCode), i.Now));
            }
            catch (TransitionException ex)
            {
                return TransitionDecision.Refuse(new Refusal(RefusalKind.Conflict, "No apology possible", ex.Message));
            }
        }, cancellationToken);
    }
}
