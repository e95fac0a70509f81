using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// The HTTP side of state changes: reads Idempotency-Key and If-Match, and turns a handler's
/// <see cref="TransitionOutcome"/> into a response. The rules themselves (one transaction, the
/// stored first answer, stale versions) live in <see cref="DossierTransitions"/>.
/// </summary>
public static class Idempotency
{
    /// <summary>Request header name.</summary>
    public const string Header = "Idempotency-Key";

    /// <summary>Response header marking a replayed answer.</summary>
    public const string ReplayedHeader = "Idempotent-Replayed";

    /// <summary>Reads the Idempotency-Key header: the token, null when absent (and not required), or a problem.</summary>
    /// <param name="request">The request.</param>
    /// <param name="body">The request body as sent (part of the fingerprint).</param>
    /// <param name="required">Whether a missing key is refused.</param>
    public static (IdempotencyToken? Token, IResult? Problem) ReadToken(HttpRequest request, string body, bool required)
    {
        var key = request.Headers[Header].ToString().Trim();
        if (key.Length == 0)
        {
            return required
                ? (null, Problems.Validation("Idempotency-Key required", new Dictionary<string, string[]>
                {
                    [Header] = ["Send an Idempotency-Key header (e.g. a new UUID per request) so a retried request cannot be applied twice."],
                }))
                : (null, null);
        }

        return key.Length > IdempotencyToken.MaxKeyLength
            ? (null, Problems.Result(400, "Idempotency-Key too long", $"The Idempotency-Key header must be at most {IdempotencyToken.MaxKeyLength} characters; a UUID is a good choice."))
            : (IdempotencyToken.For(key, $"{request.Method} {request.Path}", body), null);
    }

    /// <summary>Reads If-Match as a dossier version: the version, null when absent (and not required), or a problem.</summary>
    public static (int? Version, IResult? Problem) ReadIfMatch(HttpRequest request, bool required)
    {
        var ifMatch = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return required
                ? (null, Problems.Result(428, "If-Match required",
                    "Send If-Match with the dossier's version (the ETag of GET /api/dossiers/{id}, or dossierVersion in the inbox) so a change made meanwhile is not overwritten."))
                : (null, null);
        }

        var text = ifMatch.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return int.TryParse(text.Trim().Trim('"'), out var version)
            ? (version, null)
            : (null, Problems.Result(400, "If-Match not understood", $"If-Match '{ifMatch}' is not a dossier version; send the ETag as received, e.g. \"3\"."));
    }

    /// <summary>The response for a handler's outcome.</summary>
    public static IResult ToHttpResult(this TransitionOutcome outcome) => outcome.Answer is { } answer
        ? new StoredJsonResult(answer.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, answer.Built is null ? answer.Body : null,
            answer.ETag, answer.Location, answer.Replayed)
        {
            Pieces = answer.Built,
        }
        : outcome.Refusal!.ToHttpResult();

    /// <summary>The problem response for a refusal.</summary>
    public static IResult ToHttpResult(this Refusal refusal)
    {
        if (refusal.Kind == RefusalKind.Invalid && refusal.Errors is { } errors)
        {
            return Problems.Validation(refusal.Title, errors.ToDictionary(e => e.Key, e => e.Value));
        }

        var status = refusal.Kind switch
        {
            RefusalKind.Invalid => StatusCodes.Status400BadRequest,
            RefusalKind.NotFound => StatusCodes.Status404NotFound,
            RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
            RefusalKind.Conflict => StatusCodes.Status409Conflict,
            RefusalKind.PreconditionRequired => StatusCodes.Status428PreconditionRequired,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        return Problems.Result(status, refusal.Title, refusal.Detail, refusal.Extensions?.ToDictionary(e => e.Key, e => e.Value));
    }
}

/// <summary>A JSON response whose body text is fixed, so the stored idempotent answer and the first answer are byte-identical.</summary>
public sealed class StoredJsonResult(int status, string? body, string? etag, string? location, bool replayed = false) : IResult
{
    /// <summary>The body already encoded as UTF-8 in pieces, when the answer was built that way (written as they are instead of encoding the text again).</summary>
    internal AnswerBody? Pieces { get; init; }

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = status;
        response.ContentType = "application/json; charset=utf-8";
        if (replayed)
        {
            response.Headers[Idempotency.ReplayedHeader] = "true";
        }

        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        if (location is not null)
        {
            response.Headers.Location = location;
        }

        return Pieces is { } pieces ? WritePiecesAsync(response, pieces) : response.WriteAsync(body ?? string.Empty);
    }

    /// <summary>
    /// Writes the pieces into the response's pipe and flushes once: a write to the body stream
    /// flushes each time, which for a long journal would be one flush per entry.
    /// </summary>
    private static async Task WritePiecesAsync(HttpResponse response, AnswerBody pieces)
    {
        response.ContentLength = pieces.Length;
        pieces.WriteTo(response.BodyWriter);
        await response.BodyWriter.FlushAsync();
    }
}
