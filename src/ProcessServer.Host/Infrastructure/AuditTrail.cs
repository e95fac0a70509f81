using System.Text.Json;
using System.Text.Json.Nodes;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Infrastructure;

/// <summary>The acts the audit trail records (a dossier's own acts are in its journal).</summary>
public static class AuditActions
{
    /// <summary>A procedure version was published.</summary>
    public const string ProcedurePublished = "ProcedurePublished";

    /// <summary>The published version was retracted.</summary>
    public const string ProcedureRetracted = "ProcedureRetracted";

    /// <summary>A draft was deleted.</summary>
    public const string DraftDeleted = "DraftDeleted";

    /// <summary>A migration plan was made.</summary>
    public const string MigrationPlanned = "MigrationPlanned";

    /// <summary>A migration plan's run was started.</summary>
    public const string MigrationExecuted = "MigrationExecuted";

    /// <summary>The period report was requested (OData or CSV).</summary>
    public const string ReportRequested = "ReportRequested";

    /// <summary>A unit was added or changed.</summary>
    public const string UnitChanged = "UnitChanged";

    /// <summary>A unit's leaders changed.</summary>
    public const string UnitLeadersChanged = "UnitLeadersChanged";

    /// <summary>A unit's open work moved to its successor.</summary>
    public const string UnitReorganised = "UnitReorganised";
}

/// <summary>Writes the audit trail: who (id and name), for which unit, did what, when.</summary>
public sealed class AuditTrail(WriteGate gate, TimeProvider clock)
{
    /// <summary>Stages an entry on <paramref name="db"/>, to be committed with the act it records.</summary>
    public AuditEntry Stage(ProcessServerDbContext db, Caller caller, string action, string? subject, string? actedForUnit = null, JsonObject? detail = null)
    {
        var entry = new AuditEntry
        {
            Id = Guid.CreateVersion7().ToString(),
            At = clock.GetUtcNow().UtcDateTime,
            Action = action,
            Subject = subject,
            ActorId = caller.Id,
            ActorName = caller.Name,
            ActedForUnit = actedForUnit ?? caller.HomeUnit,
            DetailJson = detail?.ToJsonString(JsonBody.Options),
        };
        db.Audit.Add(entry);
        return entry;
    }

    /// <summary>Writes an entry for an act that changes nothing else (a report request), in a transaction of its own.</summary>
    public async Task RecordAsync(ProcessServerDbContext db, Caller caller, string action, string? subject, string? actedForUnit, JsonObject? detail,
        CancellationToken cancellationToken)
    {
        using var pass = await gate.EnterAsync(cancellationToken);
        var entry = Stage(db, caller, action, subject, actedForUnit, detail);
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(entry).State = Microsoft.EntityFrameworkCore.EntityState.Detached;
    }

    /// <summary>JSON of a value, for details.</summary>
    public static JsonNode? Json<T>(T value) => JsonSerializer.SerializeToNode(value, JsonBody.Options);
}
