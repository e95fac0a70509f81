using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.ReceiveDossier;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.RefuseAtCounter;

/// <summary>An application refused at the counter check (form 03).</summary>
/// <param name="ProcedureCode">Procedure applied for.</param>
/// <param name="Applicant">Applicant.</param>
/// <param name="Channel">direct, online or postal.</param>
/// <param name="ReceivingUnit">The counter's unit.</param>
/// <param name="Reason">Why it cannot be received (printed on form 03).</param>
/// <param name="RefusedAt">When, for a late (paper) entry; leave out for now.</param>
public sealed record CounterRefusalRequest(
    string? ProcedureCode,
    ApplicantRequest? Applicant,
    string? Channel,
    string? ReceivingUnit,
    string? Reason,
    DateTimeOffset? RefusedAt = null);

/// <summary>
/// Records an application refused at the counter check (national status 3): it gets a number for
/// form 03 and is kept for the national portal, but it was never received, so no clock starts and the
/// period report does not count it as received.
/// </summary>
public sealed class RefuseAtCounterHandler(FieldLimits limits, ReceiveDossierHandler receipts, TimeProvider clock)
{
    /// <summary>Records the refusal, or says why not.</summary>
    public async Task<TransitionOutcome> HandleAsync(CounterRefusalRequest request, Caller caller, IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        var asReceipt = new ReceiveDossierRequest(request.ProcedureCode, request.Applicant, request.Channel, request.ReceivingUnit, null, null);
        var (valid, unit, when, refusal) = receipts.Check(asReceipt, caller, clock.GetUtcNow().UtcDateTime, request.RefusedAt, "refusedAt");
        refusal ??= DossierActs.CheckReason(limits, request.Reason, "why the application cannot be received, as printed on form 03");
        if (refusal is not null)
        {
            return TransitionOutcome.Refused(refusal);
        }

        var reason = request.Reason!.Trim();
        return await receipts.ReceiveAsync(valid!, unit!, caller, idempotency, when!,
            (workflow, _) => WorkflowInterpreter.Refuse(workflow, new RefuseAtReceipt(when!.At, unit!, caller.Name, reason)), cancellationToken);
    }
}
