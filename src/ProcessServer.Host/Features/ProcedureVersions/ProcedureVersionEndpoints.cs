using System.Text.Json.Nodes;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ProcedureVersions;

/// <summary>Administrator endpoints for the definition lifecycle: draft, publish, retract, versions, delete.</summary>
public static class ProcedureVersionEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/procedures/{code}")
            .WithTags("Procedure versions")
            .RequireAuthorization(Policies.Administrator);

        group.MapGet("/versions", async (string code, DefinitionLifecycle lifecycle, CancellationToken ct) =>
                await lifecycle.ListAsync(code, ct) is { } list
                    ? TypedResults.Ok(list)
                    : Problems.Result(404, "Procedure not found", $"Procedure '{code}' does not exist."))
            .WithName("ListProcedureVersions")
            .WithSummary("Every version of a procedure, newest first, with the number of dossiers in flight on each")
            .Produces<IReadOnlyList<VersionSummary>>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPut("/draft", async (string code, bool? publish, HttpRequest request, DefinitionLifecycle lifecycle, CancellationToken ct) =>
            {
                var (body, problem) = await ReadDefinitionAsync(request, ct);
                if (problem is not null)
                {
                    return problem;
                }

                var (saved, error) = await lifecycle.SaveAsync(body!, code,
                    new SaveRequest(publish ?? false, Loaded: LoadedRevision.Parse(request.Headers.IfMatch), Actor: request.HttpContext.User.Identity?.Name), ct);
                return error?.ToProblem() ?? Saved(request, saved!);
            })
            .WithName("SaveProcedureDraft")
            .TakesDefinitionBody()
            .WithSummary("Save an Elsa 3 definition to the procedure: a new draft version when the latest is published, else the draft is updated")
            .WithDescription("?publish=true publishes the saved version in the same call. Drafts may be incomplete; their problems and warnings are listed. Publishing refuses a definition that cannot run (422). Send If-Match with the ETag of what you edited (GET …/definition?version=N, or an earlier save) and a save over someone else's newer content is refused with 409 naming who saved and when.")
            .Accepts<JsonObject>("application/json")
            .Produces<VersionSummary>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapPut("/versions/{version:int}", async (string code, int version, HttpRequest request, DefinitionLifecycle lifecycle, CancellationToken ct) =>
            {
                var (body, problem) = await ReadDefinitionAsync(request, ct);
                if (problem is not null)
                {
                    return problem;
                }

                var (saved, error) = await lifecycle.UpdateVersionAsync(code, version, body!,
                    LoadedRevision.Parse(request.Headers.IfMatch), request.HttpContext.User.Identity?.Name, ct);
                return error?.ToProblem() ?? Saved(request, saved!);
            })
            .WithName("UpdateProcedureVersion")
            .TakesDefinitionBody()
            .WithSummary("Replace the content of one draft version; a published version is immutable (409)")
            .Accepts<JsonObject>("application/json")
            .Produces<VersionSummary>()
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapPost("/versions/{version:int}/publish", async (string code, int version, DefinitionLifecycle lifecycle, CancellationToken ct) =>
            {
                var (published, error) = await lifecycle.PublishAsync(code, version, ct);
                return error?.ToProblem() ?? TypedResults.Ok(published);
            })
            .WithName("PublishProcedureVersion")
            .WithSummary("Publish a version: new dossiers start on it; dossiers in flight stay on their versions")
            .Produces<VersionSummary>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        group.MapPost("/retract", async (string code, DefinitionLifecycle lifecycle, CancellationToken ct) =>
            {
                var (retracted, error) = await lifecycle.RetractAsync(code, ct);
                return error?.ToProblem() ?? TypedResults.Ok(retracted);
            })
            .WithName("RetractProcedure")
            .WithSummary("Retract the published version: no new dossiers until a version is published again")
            .Produces<VersionSummary>()
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapDelete("/versions/{version:int}", async (string code, int version, DefinitionLifecycle lifecycle, CancellationToken ct) =>
                await lifecycle.DeleteVersionAsync(code, version, ct) is { } error ? error.ToProblem() : TypedResults.NoContent())
            .WithName("DeleteProcedureDraft")
            .WithSummary("Delete a draft that was never published")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    /// <summary>The saved version, with the ETag to send as If-Match on the next save.</summary>
    private static IResult Saved(HttpRequest request, VersionSummary saved)
    {
        request.HttpContext.Response.Headers.ETag = $"\"{saved.Token}\"";
        return TypedResults.Ok(saved);
    }

    private static async Task<(JsonObject? Body, IResult? Problem)> ReadDefinitionAsync(HttpRequest request, CancellationToken ct)
    {
        var (_, body, problem) = await JsonBody.ReadAsync<JsonObject>(request, ct);
        return (body, problem);
    }
}
