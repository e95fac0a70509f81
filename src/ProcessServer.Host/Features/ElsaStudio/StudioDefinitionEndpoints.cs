using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>Workflow definitions: list, get, save/publish, retract, versions, delete, execute (CONTRACT §3.1–§3.4).</summary>
public static class StudioDefinitionEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/workflow-definitions", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
            StudioJson.Ok(await definitions.ListAsync(request, ct)));

        api.MapGet("/workflow-definitions/by-definition-id/{definitionId}", async (string definitionId, HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var filter = VersionFilter.Parse(StudioQuery.Get(request, "versionOptions"), VersionFilterKind.Latest);
            var row = await definitions.FindAsync(definitionId, filter, ct);
            return row is null
                ? Infrastructure.Problems.Result(404, "Procedure not found", $"Procedure '{definitionId}' has no such version.")
                : StudioJson.Ok(StudioDefinitions.View(row));
        });

        api.MapGet("/workflow-definitions/by-id/{id}", async (string id, StudioDefinitions definitions, CancellationToken ct) =>
            await definitions.FindByIdAsync(id, ct) is { } row
                ? StudioJson.Ok(StudioDefinitions.View(row))
                : Infrastructure.Problems.Result(404, "Version not found", $"There is no definition version '{id}'."));

        api.MapGet("/workflow-definitions/validation/is-name-unique", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
            StudioJson.Ok(new JsonObject
            {
                ["isUnique"] = await definitions.IsNameUniqueAsync(StudioQuery.Get(request, "name") ?? string.Empty, StudioQuery.Get(request, "definitionId"), ct),
            }));

        api.MapPost("/workflow-definitions", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? await definitions.SaveAsync(body!, request.HttpContext.User.Identity?.Name, ct);
        }).WithMetadata(new Infrastructure.DefinitionBodyMetadata());

        api.MapPost("/workflow-definitions/{definitionId}/publish", (string definitionId, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.PublishAsync(definitionId, ct));

        api.MapPost("/workflow-definitions/{definitionId}/retract", (string definitionId, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.RetractAsync(definitionId, ct));

        api.MapPost("/workflow-definitions/{definitionId}/revert/{version:int}", (string definitionId, int version, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.RevertAsync(definitionId, version, ct));

        api.MapDelete("/workflow-definitions/{definitionId}", (string definitionId, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.DeleteDefinitionAsync(definitionId, ct));

        api.MapDelete("/workflow-definition-versions/{id}", (string id, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.DeleteVersionAsync(id, ct));

        // Export and import (CONTRACT §3.6): one definition as a JSON file, several as a zip; imports are
        // judged like every save and become new draft versions.
        api.MapGet("/workflow-definitions/{definitionId}/export", (string definitionId, HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
            definitions.ExportAsync(definitionId, VersionFilter.Parse(StudioQuery.Get(request, "versionOptions"), VersionFilterKind.Latest), ct));

        api.MapPost("/bulk-actions/export/workflow-definitions", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? await definitions.BulkExportAsync(StudioJson.Strings(body, "ids"), ct);
        });

        api.MapPost("/workflow-definitions/import", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? await definitions.ImportAsync(body!, request.HttpContext.User.Identity?.Name, ct);
        }).WithMetadata(new Infrastructure.DefinitionBodyMetadata());

        api.MapPost("/workflow-definitions/import-files", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            if (!request.HasFormContentType)
            {
                return StudioJson.Errors("Nothing was imported", ["Send the files as multipart/form-data in the field 'files' (JSON files, or zips of them)."]);
            }

            var form = await request.ReadFormAsync(ct);
            return await definitions.ImportFilesAsync(form.Files, request.HttpContext.User.Identity?.Name, ct);
        }).WithMetadata(new Infrastructure.DefinitionBodyMetadata()).DisableAntiforgery();

        // A dossier starts at the counter with an applicant, a channel and a receiving unit, none of
        // which "Run" can give; starting test dossiers would also put fake receipts into the legal
        // register and the reports. The Studio shows "The workflow cannot be started" for this header.
        api.MapPost("/workflow-definitions/{definitionId}/execute", (string definitionId, HttpContext http) =>
        {
            http.Response.Headers[StudioHeaders.CannotStart] = "true";
            return StudioJson.Errors("Dossiers are received through the clerk API", [
                $"Procedures run when a counter receives a dossier: POST /api/dossiers with procedureCode \"{definitionId}\", the applicant, the channel and the receiving unit. The designer does not start dossiers.",
            ]);
        });

        // The activity "Test" tab: a trial run of a draft on a sandbox dossier is not built yet, so the
        // designer says so (the host pages show this message) instead of failing without a word.
        api.MapPost("/tests/activities", () => StudioJson.Errors("Trial runs are not available yet", [
            "Trying a step or a draft before publishing is not built yet in ProcessServer. Publish the procedure and receive a test dossier at the counter (POST /api/dossiers) in a test unit, or check the draft's problems and warnings shown when it is saved.",
        ]));

        api.MapPost("/bulk-actions/publish/workflow-definitions/by-definition-ids", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? StudioJson.Ok(await definitions.BulkPublishAsync(StudioJson.Strings(body, "definitionIds"), ct));
        });

        api.MapPost("/bulk-actions/retract/workflow-definitions/by-definition-ids", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            return problem ?? StudioJson.Ok(await definitions.BulkRetractAsync(StudioJson.Strings(body, "definitionIds"), ct));
        });

        api.MapPost("/bulk-actions/delete/workflow-definitions/by-definition-id", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            if (problem is not null)
            {
                return problem;
            }

            var deleted = 0;
            foreach (var definitionId in StudioJson.Strings(body, "definitionIds"))
            {
                if (await definitions.DeleteDefinitionAsync(definitionId, ct) is NoContent)
                {
                    deleted++;
                }
            }

            return StudioJson.Ok(new JsonObject { ["deleted"] = deleted });
        });

        api.MapPost("/bulk-actions/delete/workflow-definitions/by-id", async (HttpRequest request, StudioDefinitions definitions, CancellationToken ct) =>
        {
            var (body, problem) = await StudioJson.ReadObjectAsync(request, ct);
            if (problem is not null)
            {
                return problem;
            }

            var deleted = 0;
            foreach (var id in StudioJson.Strings(body, "ids"))
            {
                if (await definitions.DeleteVersionAsync(id, ct) is NoContent)
                {
                    deleted++;
                }
            }

            return StudioJson.Ok(new JsonObject { ["deleted"] = deleted });
        });
    }
}
