using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.Apology;

/// <summary>An apology and new appointment (form 04).</summary>
/// <param name="NewDueAt">The new appointment (an instant; a date alone means the end of office hours that day).</param>
/// <param name="Reason">The reason told to the applicant.</param>
public sealed record ApologyRequest(DateTimeOffset? NewDueAt, string? Reason);

/// <summary>POST /api/dossiers/{id}/apology.</summary>
public static class ApologyEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/{id}/apology", HandleAsync)
            .WithName("IssueApology")
            .WithTags("Dossiers")
            .WithSummary("Issue the apology with a new appointment (form 04): once, before the due date; both dates are kept")
            .WithDescription("Optional If-Match (the dossier's version) refuses the apology with 409 if the dossier changed meanwhile; an optional Idempotency-Key makes a retry safe.")
            .Accepts<ApologyRequest>("application/json")
            .Produces<DossierView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(string id, HttpContext http, ApologyHandler handler, CancellationToken ct)
    {
        var (body, request, problem) = await JsonBody.ReadAsync<ApologyRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (token, keyProblem) = Idempotency.ReadToken(http.Request, body, required: false);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var (version, versionProblem) = Idempotency.ReadIfMatch(http.Request, required: false);
        if (versionProblem is not null)
        {
            return versionProblem;
        }

        return (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
    }
}
