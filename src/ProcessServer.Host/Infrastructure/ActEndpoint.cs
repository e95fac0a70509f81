using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Reads what every act on an existing dossier sends: the JSON body, Idempotency-Key and If-Match.</summary>
public static class ActEndpoint
{
    /// <summary>The parsed body, the caller's key and the version decided on, or the problem to answer.</summary>
    /// <param name="http">The request.</param>
    /// <param name="ifMatchRequired">Whether a missing If-Match is refused (428).</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<(T? Request, IdempotencyToken? Token, int? Version, IResult? Problem)> ReadAsync<T>(HttpContext http, bool ifMatchRequired,
        CancellationToken cancellationToken)
        where T : class
    {
        var (body, request, problem) = await JsonBody.ReadAsync<T>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return (null, null, null, problem);
        }

        var (token, keyProblem) = Idempotency.ReadToken(http.Request, body, required: false);
        if (keyProblem is not null)
        {
            return (null, null, null, keyProblem);
        }

        var (version, versionProblem) = Idempotency.ReadIfMatch(http.Request, ifMatchRequired);
        return versionProblem is not null ? (null, null, null, versionProblem) : (request, token, version, null);
    }

    /// <summary>The OpenAPI metadata every act on a dossier shares.</summary>
    public static RouteHandlerBuilder ActMetadata(this RouteHandlerBuilder builder, string name, string summary, string description) =>
        builder.WithName(name)
            .WithTags("Dossiers off the happy path")
            .WithSummary(summary)
            .WithDescription(description)
            .Produces<Features.Views.DossierView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired);
}
