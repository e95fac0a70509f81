using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Transitions;

/// <summary>A written act on a dossier: the reason, and when it happened for a late (paper) entry.</summary>
/// <param name="Reason">The written reason, kept in the journal.</param>
/// <param name="OccurredAt">When it happened, for a late entry by an authorised role; leave out for now.</param>
public sealed record DossierActRequest(string? Reason, DateTimeOffset? OccurredAt = null);

/// <summary>What the handlers of acts off the happy path share: who may act on a dossier, reasons, engine refusals.</summary>
public static class DossierActs
{
    /// <summary>Whether the caller works for the unit that received the dossier or one that holds it now (administrators: always).</summary>
    public static bool Holds(Caller caller, TransitionInput input) =>
        caller.IsAdministrator
        || caller.Units.Contains(input.Dossier.ReceivingUnit)
        || input.State.Tasks.Any(t => caller.Units.Contains(t.UnitCode));

    /// <summary>The refusal for a caller who neither received nor holds the dossier.</summary>
    public static Refusal NotYours(TransitionInput input, string act) => new(RefusalKind.Forbidden, "Not your dossier",
        $"{act} is for the unit that received dossier {input.Dossier.ReceiptCode} ({input.Dossier.ReceivingUnit}) or one that holds it now "
        + $"({string.Join(", ", input.State.Tasks.Select(t => t.UnitCode).Distinct())}).");

    /// <summary>The refusal for a caller whose role may not do the act.</summary>
    public static Refusal RoleRequired(Caller caller, string act, params string[] roles) => new(RefusalKind.Forbidden, "Not allowed for your role",
        $"{act} needs the role {string.Join(" or ", roles)}; you are {(caller.Role.Length == 0 ? "without a role" : caller.Role)}.");

    /// <summary>A required written reason within the configured comment length: null when fine, otherwise the field error.</summary>
    public static Refusal? CheckReason(FieldLimits limits, string? reason, string what, string field = "reason")
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return Refusal.Field("Reason required", field, $"{field} is required: {what}.");
        }

        var errors = new Dictionary<string, string[]>();
        limits.Comment(errors, field, reason.Trim());
        return errors.Count == 0 ? null : Refusal.Invalid("Reason too long", errors);
    }

    /// <summary>An engine refusal as the caller sees it: 422 where the procedure makes it impossible, 409 where the dossier's state does.</summary>
    public static Refusal FromEngine(TransitionException ex, string title) => ex.Error switch
    {
        TransitionError.RepairImpossible or TransitionError.InvalidData or TransitionError.OutcomeNotAllowed => new Refusal(RefusalKind.Unprocessable, title, ex.Message),
        TransitionError.TaskNotPending => new Refusal(RefusalKind.NotFound, title, ex.Message),
        _ => new Refusal(RefusalKind.Conflict, title, ex.Message),
    };

    /// <summary>Runs an engine act and applies it, or refuses with the engine's message.</summary>
    public static TransitionDecision Apply(Func<TransitionResult> act, string title)
    {
        try
        {
            return TransitionDecision.Apply(act());
        }
        catch (TransitionException ex)
        {
            return TransitionDecision.Refuse(FromEngine(ex, title));
        }
    }
}
