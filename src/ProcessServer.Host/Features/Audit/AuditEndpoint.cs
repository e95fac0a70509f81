using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Audit;

/// <summary>An entry of the audit trail.</summary>
/// <param name="At">When (UTC).</param>
/// <param name="Action">What was done.</param>
/// <param name="Subject">What it was done to.</param>
/// <param name="ActorId">Who: stable id.</param>
/// <param name="ActorName">Who: display name.</param>
/// <param name="ActedForUnit">The unit acted for.</param>
/// <param name="Detail">Details.</param>
public sealed record AuditView(DateTime At, string Action, string? Subject, string ActorId, string ActorName, string? ActedForUnit, JsonNode? Detail);

/// <summary>GET /api/audit: the audit trail of acts that are not a dossier's, newest first.</summary>
public static class AuditEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/audit", async (string? action, string? subject, int? limit, ProcessServerDbContext db, CancellationToken ct) =>
            {
                var query = db.Audit.AsNoTracking();
                if (!string.IsNullOrWhiteSpace(action))
                {
                    query = query.Where(a => a.Action == action);
                }

                if (!string.IsNullOrWhiteSpace(subject))
                {
                    query = query.Where(a => a.Subject == subject);
                }

                var rows = await query.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(Math.Clamp(limit ?? 100, 1, 1000)).ToListAsync(ct);
                return TypedResults.Ok(rows.Select(a => new AuditView(a.At, a.Action, a.Subject, a.ActorId, a.ActorName, a.ActedForUnit,
                    a.DetailJson is null ? null : JsonNode.Parse(a.DetailJson))).ToList());
            })
            .WithName("Audit").WithTags("Audit")
            .WithSummary("(Administrator) who published, migrated, requested reports, changed units or leaders, reorganised — newest first")
            .WithDescription("action filters by kind (ProcedurePublished, ProcedureRetracted, DraftDeleted, MigrationPlanned, MigrationExecuted, ReportRequested, "
                + "UnitChanged, UnitLeadersChanged, UnitReorganised); subject by what it was done to; limit at most 1000 (default 100).")
            .Produces<List<AuditView>>()
            .RequireAuthorization(Policies.Administrator);
}
