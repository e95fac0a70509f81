using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.Withdrawal;

/// <summary>POST /api/dossiers/{id}/withdrawal-request and /withdrawal-acceptance.</summary>
public static class WithdrawalEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/api/dossiers/{id}/withdrawal-request", async (string id, HttpContext http, RequestWithdrawalHandler handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<DossierActRequest>(http, ifMatchRequired: false, ct);
                return problem ?? (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("RequestWithdrawal", "Record the applicant's written request to withdraw (national status 7)",
                "From any open step, by a clerk of the receiving unit or of a unit holding the dossier: every step waits and the clock stops until a leader accepts. Body {reason, occurredAt?}. Optional If-Match and Idempotency-Key. 409 when closed, when the result is ready or a request already waits.")
            .Accepts<DossierActRequest>("application/json")
            .RequireAuthorization(Policies.Clerk);

        app.MapPost("/api/dossiers/{id}/withdrawal-acceptance", async (string id, HttpContext http, AcceptWithdrawalHandler handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<DossierActRequest>(http, ifMatchRequired: false, ct);
                return problem ?? (await handler.HandleAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("AcceptWithdrawal", "A leader accepts the withdrawal: processing stops (national status 8, withdrawn)",
                "Leader of the receiving unit or of a unit holding the dossier, or an administrator. Body {reason, occurredAt?}. 409 when no request waits.")
            .Accepts<DossierActRequest>("application/json")
            .RequireAuthorization(Policies.Leader);
    }
}
