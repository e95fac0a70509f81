using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.RefuseAtCounter;

/// <summary>POST /api/dossiers/refusals.</summary>
public static class RefuseAtCounterEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/refusals", async (HttpContext http, RefuseAtCounterHandler handler, CancellationToken ct) =>
            {
                var (body, request, problem) = await JsonBody.ReadAsync<CounterRefusalRequest>(http.Request, ct);
                if (problem is not null)
                {
                    return problem;
                }

                var (token, keyProblem) = Idempotency.ReadToken(http.Request, body, required: false);
                return keyProblem ?? (await handler.HandleAsync(request!, Caller.From(http.User), token, ct)).ToHttpResult();
            })
            .WithName("RefuseAtCounter")
            .WithTags("Dossiers off the happy path")
            .WithSummary("Record an application refused at the counter check (form 03, national status 3)")
            .WithDescription("Body as for a receipt (procedureCode, applicant, channel, receivingUnit) plus reason and refusedAt?. The application gets a number and is kept with national status 3; no clock starts and the period report does not count it as received. Optional Idempotency-Key.")
            .Accepts<CounterRefusalRequest>("application/json")
            .Produces<DossierView>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Clerk);
}
