using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.ReturnWithoutResolution;

/// <summary>POST /api/dossiers/{id}/return-without-resolution.</summary>
public static class ReturnWithoutResolutionEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/{id}/return-without-resolution", async (string id, HttpContext http, ReturnWithoutResolutionHandler handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<DossierActRequest>(http, ifMatchRequired: false, ct);
                return problem ?? (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("ReturnWithoutResolution", "Return the dossier without resolution, with written reasons (national status 8)",
                "From any open step (including a waiting withdrawal request), by a leader of the receiving unit or of a unit holding the dossier, or an administrator. Body {reason, occurredAt?}. 409 when closed or when the result is ready.")
            .Accepts<DossierActRequest>("application/json")
            .RequireAuthorization(Policies.Leader);
}
