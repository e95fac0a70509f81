using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Procedures;

/// <summary>A procedure and its versions.</summary>
/// <param name="Code">Procedure code (definition id).</param>
/// <param name="Name">Name of the latest version.</param>
/// <param name="PublishedVersion">Version new dossiers start on, if any.</param>
/// <param name="LatestVersion">Highest version.</param>
public sealed record ProcedureSummary(string Code, string Name, int? PublishedVersion, int LatestVersion);

/// <summary>GET /api/procedures and GET /api/procedures/{code}/definition.</summary>
public static class ProceduresEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/procedures", ListAsync)
            .WithName("ListProcedures")
            .WithTags("Procedures")
            .WithSummary("Procedures and their published and latest versions")
            .Produces<IReadOnlyList<ProcedureSummary>>()
            .RequireAuthorization(Policies.AnyRole);

        app.MapGet("/api/procedures/{code}/definition", GetDefinitionAsync)
            .WithName("GetProcedureDefinition")
            .WithTags("Procedures")
            .WithSummary("A procedure version's Elsa 3 definition JSON (published version unless ?version= is given)")
            .Produces<JsonObject>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.AnyRole);
    }

    private static async Task<IResult> ListAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.WorkflowDefinitions.AsNoTracking()
            .Select(d => new { d.DefinitionId, d.Name, d.Version, d.IsPublished, d.IsLatest })
            .ToListAsync(cancellationToken);
        var list = rows.GroupBy(r => r.DefinitionId)
            .Select(g => new ProcedureSummary(
                g.Key,
                g.OrderByDescending(r => r.Version).First().Name,
                g.Where(r => r.IsPublished).Select(r => (int?)r.Version).Max(),
                g.Max(r => r.Version)))
            .OrderBy(p => p.Code, StringComparer.Ordinal)
            .ToList();
        return TypedResults.Ok(list);
    }

    /// <summary>The stored content with the version flags, which live in columns, written in.</summary>
    public static string WithFlags(string json, bool isLatest, bool isPublished)
    {
        var document = WorkflowDefinitionDocument.Parse(json);
        document.IsLatest = isLatest;
        document.IsPublished = isPublished;
        return document.ToJsonString();
    }

    private static async Task<IResult> GetDefinitionAsync(string code, int? version, ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        var query = db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code);
        query = version is null ? query.Where(d => d.IsPublished).OrderByDescending(d => d.Version) : query.Where(d => d.Version == version);
        var row = await query.Select(d => new { d.Json, d.IsLatest, d.IsPublished }).FirstOrDefaultAsync(cancellationToken);
        return row is null
            ? Problems.Result(404, "Procedure not found", version is null
                ? $"Procedure '{code}' has no published version."
                : $"Procedure '{code}' has no version {version}.")
            : TypedResults.Content(WithFlags(row.Json, row.IsLatest, row.IsPublished), "application/json");
    }
}
