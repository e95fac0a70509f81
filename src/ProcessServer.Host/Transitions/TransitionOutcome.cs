using System.Text.Json;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The answer to an accepted state change exactly as it was first given. It is stored with the
/// change under the caller's Idempotency-Key, so a retry gets the same bytes back.
/// </summary>
/// <param name="Created">Whether the change created the dossier (a receipt).</param>
/// <param name="Body">The dossier view as JSON.</param>
/// <param name="ETag">The dossier's version as an entity tag.</param>
/// <param name="Location">Where the created dossier lives, for receipts.</param>
/// <param name="Replayed">Whether this is the stored answer to an earlier request with the same key.</param>
public sealed record TransitionAnswer(bool Created, string Body, string? ETag, string? Location, bool Replayed)
{
    /// <summary>
    /// The look-up secret issued with a receipt, on the first answer only: it is never stored (only
    /// its hash), so a replayed answer does not carry it.
    /// </summary>
    public string? LookupSecret { get; init; }

    /// <summary>Id of the dossier the answer describes.</summary>
    public string DossierId => Read().Id;

    /// <summary>The dossier's version after the change.</summary>
    public int Version => Read().Version;

    private (string Id, int Version) Read()
    {
        using var document = JsonDocument.Parse(Body);
        var root = document.RootElement;
        return (root.GetProperty("id").GetString()!, root.GetProperty("version").GetInt32());
    }
}

/// <summary>What a use-case handler did: an answer, or a refusal (nothing was written).</summary>
public sealed class TransitionOutcome
{
    private TransitionOutcome(TransitionAnswer? answer, Refusal? refusal)
    {
        Answer = answer;
        Refusal = refusal;
    }

    /// <summary>The answer when the change was made (or replayed).</summary>
    public TransitionAnswer? Answer { get; }

    /// <summary>The refusal when nothing was changed.</summary>
    public Refusal? Refusal { get; }

    /// <summary>Whether the change was made or replayed.</summary>
    public bool Succeeded => Answer is not null;

    /// <summary>accepted, replayed or refused (the outcome tag of the transition metrics).</summary>
    public string Kind => Answer is null ? "refused" : Answer.Replayed ? "replayed" : "accepted";

    /// <summary>An accepted change.</summary>
    public static TransitionOutcome Accepted(TransitionAnswer answer) => new(answer, null);

    /// <summary>A refused change.</summary>
    public static TransitionOutcome Refused(Refusal refusal) => new(null, refusal);

    /// <inheritdoc />
    public override string ToString() => Answer is { } a
        ? $"{Kind} {a.ETag}"
        : $"{Refusal!.Kind}: {Refusal.Title} — {Refusal.Detail}";
}
