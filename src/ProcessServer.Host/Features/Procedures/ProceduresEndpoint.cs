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
/// <param name="IsBroken">The published version cannot be read or run by this server (e.g. stored by an older one); receipt refuses it.</param>
/// <param name="Problem">Why, when it is broken.</param>
public sealed record ProcedureSummary(string Code, string Name, int? PublishedVersion, int LatestVersion, bool IsBroken = false, string? Problem = null);

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

    private static async Task<IResult> ListAsync(ProcessServerDbContext db, WorkflowCache cache, CancellationToken cancellationToken)
    {
        var rows = await db.WorkflowDefinitions.AsNoTracking()
            .Select(d => new { d.Id, d.DefinitionId, d.Name, d.Version, d.IsPublished, d.IsLatest })
            .ToListAsync(cancellationToken);
        var list = new List<ProcedureSummary>();
        foreach (var g in rows.GroupBy(r => r.DefinitionId).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var published = g.Where(r => r.IsPublished).MaxBy(r => r.Version);

            // A published version this server cannot run is listed as broken rather than breaking the list.
            var problem = published is null ? null : (await cache.TryGetAsync(db, published.Id, cancellationToken)).Problem;
            list.Add(new ProcedureSummary(g.Key, g.MaxBy(r => r.Version)!.Name, published?.Version, g.Max(r => r.Version), problem is not null, problem));
        }

        return TypedResults.Ok(list);
    }

    /// <summary>The stored content with the version flags, which live in columns, written in.</summary>
    public static string WithFlags(string json, bool isLatest, bool isPublished)
    {
        WorkflowDefinitionDocument document;
        try
        {
            document = WorkflowDefinitionDocument.Parse(json);
        }
        catch (DefinitionException)
        {
            // Content this server cannot read is handed out as stored, for the administrator to repair.
            return json;
        }

        document.IsLatest = isLatest;
        document.IsPublished = isPublished;
        return document.ToJsonString();
    }

    private static async Task<IResult> GetDefinitionAsync(string code, int? version, HttpContext http, ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        var query = db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code);
        query = version is null ? query.Where(d => d.IsPublished).OrderByDescending(d => d.Version) : query.Where(d => d.Version == version);
        var row = await query.Select(d => new { d.Id, d.Json, d.IsLatest, d.IsPublished, d.Revision }).FirstOrDefaultAsync(cancellationToken);
        if (row is not null)
        {
            // Sent back as If-Match on a save, so a save over someone else's newer content is refused.
            http.Response.Headers.ETag = $"\"{new ProcedureVersions.LoadedRevision(row.Id, row.Revision)}\"";
        }

        return row is null
            ? Problems.Result(404, "Procedure not found", version is null
                ? $"Procedure '{code}' has no published version."
                : $"Procedure '{code}' has no version {version}.")
            : TypedResults.Content(WithFlags(row.Json, row.IsLatest, row.IsPublished), "application/json");
    }
}
