using System.Text;
using System.Text.Json;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The answer to an accepted state change exactly as it was first given. It is stored with the
/// change under the caller's Idempotency-Key, so a retry gets the same bytes back.
/// </summary>
/// <param name="Created">Whether the change created the dossier (a receipt).</param>
/// <param name="ETag">The dossier's version as an entity tag.</param>
/// <param name="Location">Where the created dossier lives, for receipts.</param>
/// <param name="Replayed">Whether this is the stored answer to an earlier request with the same key.</param>
public sealed record TransitionAnswer(bool Created, string? ETag, string? Location, bool Replayed)
{
    private string? _body;

    /// <summary>An answer whose body is text.</summary>
    /// <param name="created">Whether the change created the dossier (a receipt).</param>
    /// <param name="body">The dossier view as JSON.</param>
    /// <param name="etag">The dossier's version as an entity tag.</param>
    /// <param name="location">Where the created dossier lives, for receipts.</param>
    /// <param name="replayed">Whether this is the stored answer to an earlier request with the same key.</param>
    public TransitionAnswer(bool created, string body, string? etag, string? location, bool replayed)
        : this(created, etag, location, replayed) => _body = body;

    /// <summary>A first answer built as UTF-8 from a dossier view.</summary>
    internal TransitionAnswer(bool created, AnswerBody body, string? etag, string? location)
        : this(created, etag, location, Replayed: false) => Built = body;

    /// <summary>The dossier view as JSON.</summary>
    // Made from the UTF-8 only when asked for: the HTTP answer writes the pieces, and a long
    // journal's view as text is twice their size again.
    public string Body => _body ??= Encoding.UTF8.GetString(Built!.ToArray());

    /// <summary>
    /// The look-up secret issued with a receipt, on the first answer only: it is never stored (only
    /// its hash), so a replayed answer does not carry it.
    /// </summary>
    public string? LookupSecret { get; init; }

    /// <summary>The body as UTF-8 in pieces, for a first answer built from a dossier view; null otherwise.</summary>
    internal AnswerBody? Built { get; }

    /// <summary>Id of the dossier the answer describes.</summary>
    public string DossierId => Read().Id;

    /// <summary>The dossier's version after the change.</summary>
    public int Version => Read().Version;

    private (string Id, int Version) Read()
    {
        // The frame is the view without its journal: enough for its id and version, whatever the journal's length.
        using var document = Built is { } built ? JsonDocument.Parse(built.Frame) : JsonDocument.Parse(Body);
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
