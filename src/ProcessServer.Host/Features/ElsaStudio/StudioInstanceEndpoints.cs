using System.Text.Json.Nodes;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>Workflow instances (dossiers) for the instance list and viewer (CONTRACT §3.5).</summary>
public static class StudioInstanceEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/workflow-instances", async (HttpRequest request, StudioInstances instances, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? StudioJson.Ok(await instances.ListAsync(body!, ct));
        });

        api.MapGet("/workflow-instances/{id}", (string id, StudioInstances instances, CancellationToken ct) =>
            WithDossierAsync(id, instances, loaded => StudioJson.Ok(StudioInstances.Instance(loaded)), ct));

        api.MapGet("/workflow-instances/{id}/execution-state", (string id, StudioInstances instances, CancellationToken ct) =>
            WithDossierAsync(id, instances, loaded => StudioJson.Ok(StudioInstances.ExecutionState(loaded)), ct));

        api.MapGet("/workflow-instances/{id}/variables", (string id, StudioInstances instances, CancellationToken ct) =>
            WithDossierAsync(id, instances, loaded => StudioJson.Ok(StudioInstances.Variables(loaded)), ct));

        api.MapGet("/workflow-instances/{id}/journal", (string id, int? skip, int? take, StudioInstances instances, CancellationToken ct) =>
            WithDossierAsync(id, instances, loaded => StudioJson.Ok(StudioInstances.Journal(loaded, null, skip ?? 0, take ?? 0)), ct));

        api.MapPost("/workflow-instances/{id}/journal", async (string id, int? skip, int? take, HttpRequest request, StudioInstances instances, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? await WithDossierAsync(id, instances, loaded =>
                StudioJson.Ok(StudioInstances.Journal(loaded, body!["filter"] as JsonObject ?? body, skip ?? 0, take ?? 0)), ct);
        });

        api.MapGet("/activity-executions/list", (HttpRequest request, StudioInstances instances, CancellationToken ct) =>
            ExecutionsAsync(request, instances, StudioInstances.ExecutionRecord, ct));

        api.MapGet("/activity-execution-summaries/list", (HttpRequest request, StudioInstances instances, CancellationToken ct) =>
            ExecutionsAsync(request, instances, StudioInstances.ExecutionSummary, ct));

        api.MapGet("/activity-executions/by-id", async (HttpRequest request, StudioInstances instances, CancellationToken ct) =>
        {
            var id = StudioQuery.Get(request, "id") ?? string.Empty;
            var loaded = await instances.LoadForExecutionAsync(id, ct);
            var execution = loaded is null ? null : StudioInstances.Executions(loaded).FirstOrDefault(e => e.Id == id);
            return execution is null
                ? Problems.Result(404, "Activity execution not found", $"There is no activity execution '{id}'.")
                : StudioJson.Ok(StudioInstances.ExecutionRecord(loaded!, execution));
        });

        api.MapGet("/activity-executions/{id}/call-stack", async (string id, StudioInstances instances, CancellationToken ct) =>
        {
            var loaded = await instances.LoadForExecutionAsync(id, ct);
            var execution = loaded is null ? null : StudioInstances.Executions(loaded).FirstOrDefault(e => e.Id == id);
            if (execution is null)
            {
                return Problems.Result(404, "Activity execution not found", $"There is no activity execution '{id}'.");
            }

            // Flowchart children are scheduled by the flowchart itself: the stack is one level deep.
            var items = new JsonArray(StudioInstances.ExecutionRecord(loaded!, execution));
            return StudioJson.Ok(new JsonObject { ["activityExecutionId"] = id, ["items"] = items, ["totalCount"] = 1 });
        });

        api.MapPost("/activity-executions/report", async (HttpRequest request, StudioInstances instances, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            if (problem is not null)
            {
                return problem;
            }

            var id = StudioJson.Text(body, "workflowInstanceId") ?? string.Empty;
            return await WithDossierAsync(id, instances, loaded =>
                StudioJson.Ok(StudioInstances.Report(loaded, StudioJson.Strings(body, "activityNodeIds"))), ct);
        });

        // Dossiers are legal records: they are stopped by a clerk's Reject and never deleted.
        api.MapPost("/cancel/workflow-instances/{id}", (string id) => NotFromDesigner(id));
        api.MapDelete("/workflow-instances/{id}", (string id) => NotFromDesigner(id));
        api.MapPost("/bulk-actions/cancel/workflow-instances", () => NotFromDesigner(null));
        api.MapPost("/bulk-actions/delete/workflow-instances/by-id", () => NotFromDesigner(null));
    }

    private static async Task<IResult> WithDossierAsync(string id, StudioInstances instances, Func<StudioInstances.Loaded, IResult> answer, CancellationToken ct) =>
        await instances.LoadAsync(id, ct) is { } loaded
            ? answer(loaded)
            : Problems.Result(404, "Dossier not found", $"There is no dossier '{id}'.");

    private static async Task<IResult> ExecutionsAsync(HttpRequest request, StudioInstances instances,
        Func<StudioInstances.Loaded, StudioInstances.Execution, JsonObject> map, CancellationToken ct)
    {
        var id = StudioQuery.Get(request, "WorkflowInstanceId") ?? string.Empty;
        var nodeId = StudioQuery.Get(request, "ActivityNodeId");
        return await WithDossierAsync(id, instances, loaded => StudioJson.Ok(StudioJson.List(StudioInstances.Executions(loaded)
            .Where(e => string.IsNullOrEmpty(nodeId) || e.NodeId == nodeId)
            .Select(e => (JsonNode?)map(loaded, e)))), ct);
    }

    private static IResult NotFromDesigner(string? id) => Problems.Result(409, "Dossiers are not cancelled or deleted here",
        $"Dossier{(id is null ? "s" : $" '{id}'")} can only change through the clerk API: a handler stops processing with the Reject outcome, and dossiers are never deleted.");
}
