using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ReturnForRework;

/// <summary>POST /api/dossiers/{id}/return-for-rework.</summary>
public static class ReturnForReworkEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/{id}/return-for-rework", async (string id, HttpContext http, ReturnForReworkHandler handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<ReturnForReworkRequest>(http, ifMatchRequired: true, ct);
                return problem ?? (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("ReturnForRework", "Send the dossier back to an earlier step for rework (national status 4)",
                "Leader of the dossier's units or administrator; If-Match required. Body {toStep, reason, taskId?}. 422 when the step is not earlier, is no step, or would strand a parallel branch.")
            .Accepts<ReturnForReworkRequest>("application/json")
            .RequireAuthorization(Policies.Leader);
}
