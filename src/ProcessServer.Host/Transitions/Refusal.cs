namespace ProcessServer.Host.Transitions;

/// <summary>Why a state change was not made; the HTTP adapter maps each kind to one status code.</summary>
public enum RefusalKind
{
    /// <summary>The command is malformed or incomplete (400 with per-field errors).</summary>
    Invalid,

    /// <summary>The dossier, task or plan does not exist (404).</summary>
    NotFound,

    /// <summary>The caller may not act on it (403).</summary>
    Forbidden,

    /// <summary>The dossier is not in a state that allows it, or changed meanwhile (409).</summary>
    Conflict,

    /// <summary>Well-formed but not allowed by the procedure (422).</summary>
    Unprocessable,

    /// <summary>A required precondition (the version the caller decided on) is missing (428).</summary>
    PreconditionRequired,
}

/// <summary>A refused state change, with a message a clerk can act on.</summary>
/// <param name="Kind">Kind of refusal.</param>
/// <param name="Title">Short title.</param>
/// <param name="Detail">What is wrong and how to fix it.</param>
public sealed record Refusal(RefusalKind Kind, string Title, string Detail)
{
    /// <summary>Per-field messages for <see cref="RefusalKind.Invalid"/>.</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>Extra members of the problem body (e.g. currentVersion on a stale write).</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    /// <summary>A 400-kind refusal listing every field in error.</summary>
    public static Refusal Invalid(string title, IReadOnlyDictionary<string, string[]> errors) =>
        new(RefusalKind.Invalid, title, string.Join(" ", errors.SelectMany(e => e.Value))) { Errors = errors };

    /// <summary>A 400-kind refusal about one field.</summary>
    public static Refusal Field(string title, string field, string message) =>
        Invalid(title, new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>The dossier moved on since the caller read it.</summary>
    public static Refusal Stale(string receiptCode, int currentVersion, string status) =>
        new(RefusalKind.Conflict, "The dossier changed meanwhile",
            $"Dossier {receiptCode} is now at version {currentVersion} (status {status}); reload it and decide again.")
        {
            Extensions = new Dictionary<string, object?> { ["currentVersion"] = currentVersion },
        };
}
