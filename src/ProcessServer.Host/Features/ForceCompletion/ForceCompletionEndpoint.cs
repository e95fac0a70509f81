using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ForceCompletion;

/// <summary>POST /api/dossiers/{id}/forced-completion.</summary>
public static class ForceCompletionEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/{id}/forced-completion", async (string id, HttpContext http, ForceCompletionHandler handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<ForceCompletionRequest>(http, ifMatchRequired: true, ct);
                return problem ?? (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("ForceCompletion", "Close a dossier whose result was delivered but whose steps cannot close (national status 10)",
                "Leader of the dossier's units or administrator; If-Match required. Body {reason, resultReadyAt?, returnedAt?}: open tasks are cancelled, the result is judged at resultReadyAt (unless already ready) and returned at returnedAt; everything is in the journal. 409 when the dossier is closed or the ready time comes after the hand-over; 400 for a time before the previous event or in the future.")
            .Accepts<ForceCompletionRequest>("application/json")
            .RequireAuthorization(Policies.Leader);
}
