using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.RepairDossier;

/// <summary>POST /api/dossiers/{id}/repairs/move, /cancel-task, /set-variable (administrators).</summary>
public static class RepairEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var repairs = app.MapGroup("/api/dossiers/{id}/repairs").RequireAuthorization(Policies.Administrator);

        repairs.MapPost("/move", async (string id, HttpContext http, RepairHandlers handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<MoveToStepRequest>(http, ifMatchRequired: true, ct);
                return problem ?? (await handler.MoveAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("RepairMoveToStep", "Repair: move the dossier to a step",
                "Administrator; If-Match required. Body {toStep, reason, taskId?}: the open task (or every open task) is cancelled and a task opens at toStep; nothing in between runs and no completed step changes. 422 when toStep is no step, the dossier already waits there, or the move would leave a fork branch or a join stranded (e.g. into one branch of an open fork).")
            .Accepts<MoveToStepRequest>("application/json");

        repairs.MapPost("/cancel-task", async (string id, HttpContext http, RepairHandlers handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<CancelTaskRequest>(http, ifMatchRequired: true, ct);
                return problem ?? (await handler.CancelAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("RepairCancelTask", "Repair: cancel one open task",
                "Administrator; If-Match required. Body {taskId, reason}. On a parallel branch the branch counts as arrived at its join. 422 for the only open task (the dossier would have nothing to do).")
            .Accepts<CancelTaskRequest>("application/json");

        repairs.MapPost("/set-variable", async (string id, HttpContext http, RepairHandlers handler, CancellationToken ct) =>
            {
                var (request, token, version, problem) = await ActEndpoint.ReadAsync<SetVariableRequest>(http, ifMatchRequired: true, ct);
                return problem ?? (await handler.SetVariableAsync(id, request!, Caller.From(http.User), version, token, ct)).ToHttpResult();
            })
            .ActMetadata("RepairSetVariable", "Repair: set a dossier variable",
                "Administrator; If-Match required. Body {name, value, reason}; decisions already taken stay taken. 422 when the value does not fit the declared type.")
            .Accepts<SetVariableRequest>("application/json");
    }
}
