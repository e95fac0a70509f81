using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ProcedureVersions;

/// <summary>A definition version as administrators see it.</summary>
/// <param name="ProcedureCode">Definition id.</param>
/// <param name="Id">Version id.</param>
/// <param name="Version">Version number.</param>
/// <param name="Name">Name.</param>
/// <param name="IsLatest">The version edits go to.</param>
/// <param name="IsPublished">The version new dossiers start on.</param>
/// <param name="IsLocked">Content can no longer change (it was published).</param>
/// <param name="CreatedAt">Creation (UTC).</param>
/// <param name="PublishedAt">First publication (UTC).</param>
/// <param name="InFlightDossiers">Dossiers still running on this version.</param>
/// <param name="TotalDossiers">All dossiers ever started on this version.</param>
/// <param name="Problems">Why the version could not run as it stands (drafts only).</param>
public sealed record VersionSummary(
    string ProcedureCode,
    string Id,
    int Version,
    string Name,
    bool IsLatest,
    bool IsPublished,
    bool IsLocked,
    DateTime CreatedAt,
    DateTime? PublishedAt,
    int InFlightDossiers,
    int TotalDossiers,
    IReadOnlyList<DefinitionError> Problems);

/// <summary>A lifecycle operation refused, with the HTTP status that says why.</summary>
/// <param name="Status">409 conflict, 404 not found, 422 not runnable, 400 malformed.</param>
/// <param name="Title">Short title.</param>
/// <param name="Detail">What to do.</param>
/// <param name="Errors">Definition problems, when the definition is at fault.</param>
public sealed record LifecycleError(int Status, string Title, string Detail, IReadOnlyList<DefinitionError>? Errors = null)
{
    /// <summary>As a problem response.</summary>
    public IResult ToProblem() => Problems.Result(Status, Title, Detail,
        Errors is null ? null : new Dictionary<string, object?> { ["errors"] = Errors.Select(e => new { activityId = e.ActivityId, message = e.Message }).ToList() });
}

/// <summary>
/// The Elsa 3 definition lifecycle over the store: saving a published latest version creates the
/// next version as a draft, saving a draft updates it, publishing makes one version the one new
/// dossiers start on, retracting stops new dossiers, deleting removes only drafts no dossier ever
/// ran on. A version's content never changes once it has been published, which is what lets a
/// dossier always run to the end on the exact version it was received under.
/// </summary>
public sealed class DefinitionLifecycle(ProcessServerDbContext db, WorkflowCompiler compiler, WorkflowCache cache, WriteGate gate, AuditTrail audit,
    CurrentCaller caller, TimeProvider clock)
{
    /// <summary>Statuses of dossiers that no longer run.</summary>
    public static readonly string[] ClosedStatuses = ["Returned", "Stopped"];

    /// <summary>Saves a definition to its latest version (a new draft when that one is locked), optionally publishing it.</summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> SaveAsync(JsonObject body, string? routeCode, bool publish, CancellationToken cancellationToken)
    {
        var (document, error) = Prepare(body, routeCode);
        if (error is not null)
        {
            return (null, error);
        }

        using var pass = await gate.EnterAsync(cancellationToken);
        var versions = await db.WorkflowDefinitions.Where(d => d.DefinitionId == document!.DefinitionId).ToListAsync(cancellationToken);
        var latest = versions.FirstOrDefault(v => v.IsLatest) ?? versions.OrderByDescending(v => v.Version).FirstOrDefault();
        var now = clock.GetUtcNow().UtcDateTime;

        WorkflowDefinitionVersion row;
        if (latest is not null && latest.PublishedAt is null)
        {
            row = latest;
            Write(row, document!, row.Version);
            cache.Forget(row.Id);
        }
        else
        {
            var number = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
            row = new WorkflowDefinitionVersion
            {
                Id = $"{document!.DefinitionId}-v{number}",
                DefinitionId = document.DefinitionId,
                Version = number,
                Name = document.Name,
                Json = string.Empty,
                CreatedAt = now,
            };
            Write(row, document, number);
            foreach (var other in versions)
            {
                other.IsLatest = false;
            }

            row.IsLatest = true;
            db.WorkflowDefinitions.Add(row);
            versions.Add(row);
        }

        if (publish)
        {
            var publishError = Publish(row, versions, now);
            if (publishError is not null)
            {
                return (null, publishError);
            }

            Audit(AuditActions.ProcedurePublished, row);
        }

        await db.SaveChangesAsync(cancellationToken);
        return (await SummaryAsync(row, cancellationToken), null);
    }

    /// <summary>Replaces the content of one exact version; refused with 409 once the version has been published.</summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> UpdateVersionAsync(string code, int version, JsonObject body, CancellationToken cancellationToken)
    {
        var (document, error) = Prepare(body, code);
        if (error is not null)
        {
            return (null, error);
        }

        using var pass = await gate.EnterAsync(cancellationToken);
        var row = await db.WorkflowDefinitions.SingleOrDefaultAsync(d => d.DefinitionId == code && d.Version == version, cancellationToken);
        if (row is null)
        {
            return (null, NotFound(code, version));
        }

        if (row.PublishedAt is not null)
        {
            return (null, Locked(row));
        }

        Write(row, document!, row.Version);
        cache.Forget(row.Id);
        await db.SaveChangesAsync(cancellationToken);
        return (await SummaryAsync(row, cancellationToken), null);
    }

    /// <summary>Publishes a version (the latest when <paramref name="version"/> is null).</summary>
    public async Task<(VersionSummary? Published, LifecycleError? Error)> PublishAsync(string code, int? version, CancellationToken cancellationToken)
    {
        using var pass = await gate.EnterAsync(cancellationToken);
        var versions = await db.WorkflowDefinitions.Where(d => d.DefinitionId == code).ToListAsync(cancellationToken);
        var row = version is null ? versions.FirstOrDefault(v => v.IsLatest) : versions.FirstOrDefault(v => v.Version == version);
        if (row is null)
        {
            return (null, NotFound(code, version));
        }

        var error = Publish(row, versions, clock.GetUtcNow().UtcDateTime);
        if (error is not null)
        {
            return (null, error);
        }

        Audit(AuditActions.ProcedurePublished, row);
        await db.SaveChangesAsync(cancellationToken);
        return (await SummaryAsync(row, cancellationToken), null);
    }

    /// <summary>Retracts the published version: new dossiers cannot start until a version is published again; running ones go on.</summary>
    public async Task<(VersionSummary? Retracted, LifecycleError? Error)> RetractAsync(string code, CancellationToken cancellationToken)
    {
        using var pass = await gate.EnterAsync(cancellationToken);
        var row = await db.WorkflowDefinitions.FirstOrDefaultAsync(d => d.DefinitionId == code && d.IsPublished, cancellationToken);
        if (row is null)
        {
            return (null, new LifecycleError(409, "Nothing to retract", $"Procedure '{code}' has no published version."));
        }

        row.IsPublished = false;
        Audit(AuditActions.ProcedureRetracted, row);
        await db.SaveChangesAsync(cancellationToken);
        return (await SummaryAsync(row, cancellationToken), null);
    }

    /// <summary>Deletes a draft. Published versions and versions any dossier ran on are never deleted.</summary>
    public async Task<LifecycleError?> DeleteVersionAsync(string code, int version, CancellationToken cancellationToken)
    {
        using var pass = await gate.EnterAsync(cancellationToken);
        var versions = await db.WorkflowDefinitions.Where(d => d.DefinitionId == code).ToListAsync(cancellationToken);
        var row = versions.FirstOrDefault(v => v.Version == version);
        if (row is null)
        {
            return NotFound(code, version);
        }

        if (row.PublishedAt is not null || await db.Dossiers.AnyAsync(d => d.DefinitionVersionId == row.Id, cancellationToken))
        {
            return new LifecycleError(409, "Version kept",
                $"Version {version} of '{code}' has been published and dossiers may depend on it; only drafts that were never published can be deleted.");
        }

        db.WorkflowDefinitions.Remove(row);
        versions.Remove(row);
        if (row.IsLatest && versions.Count > 0)
        {
            versions.MaxBy(v => v.Version)!.IsLatest = true;
        }

        cache.Forget(row.Id);
        Audit(AuditActions.DraftDeleted, row);
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }

    /// <summary>Records who did it, in the same transaction as the change.</summary>
    private void Audit(string action, WorkflowDefinitionVersion row) =>
        audit.Stage(db, caller.Value, action, $"{row.DefinitionId} v{row.Version}", null,
            new System.Text.Json.Nodes.JsonObject { ["procedureCode"] = row.DefinitionId, ["version"] = row.Version, ["versionId"] = row.Id });

    /// <summary>All versions of a procedure, newest first, with dossier counts.</summary>
    public async Task<IReadOnlyList<VersionSummary>?> ListAsync(string code, CancellationToken cancellationToken)
    {
        var rows = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code).OrderByDescending(d => d.Version).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var counts = await CountsAsync(code, cancellationToken);
        return rows.Select(r => ToSummary(r, counts)).ToList();
    }

    /// <summary>Summary of one stored version.</summary>
    public async Task<VersionSummary> SummaryAsync(WorkflowDefinitionVersion row, CancellationToken cancellationToken) =>
        ToSummary(row, await CountsAsync(row.DefinitionId, cancellationToken));

    private LifecycleError? Publish(WorkflowDefinitionVersion row, List<WorkflowDefinitionVersion> versions, DateTime now)
    {
        var result = compiler.Compile(WorkflowDefinitionDocument.Parse(row.Json));
        if (!result.Succeeded)
        {
            return new LifecycleError(422, "The procedure cannot be published",
                $"Version {row.Version} of '{row.DefinitionId}' cannot run: {string.Join("; ", result.Errors.Select(e => e.Message))}", result.Errors);
        }

        foreach (var other in versions)
        {
            other.IsPublished = other == row;
            other.IsLatest = other == row;
        }

        row.PublishedAt ??= now;
        return null;
    }

    private static void Write(WorkflowDefinitionVersion row, WorkflowDefinitionDocument document, int number)
    {
        document.Id = row.Id;
        document.Version = number;

        // Flags live in columns; the stored JSON is content only, so publishing never rewrites it.
        document.Json.Remove("isLatest");
        document.Json.Remove("isPublished");
        row.Name = document.Name;
        row.Json = document.ToJsonString();
    }

    private static (WorkflowDefinitionDocument? Document, LifecycleError? Error) Prepare(JsonObject body, string? routeCode)
    {
        var document = WorkflowDefinitionDocument.FromJson((JsonObject)body.DeepClone());
        if (string.IsNullOrWhiteSpace(document.DefinitionId))
        {
            if (routeCode is null)
            {
                return (null, new LifecycleError(400, "definitionId missing", "Give the procedure a code in definitionId, e.g. \"land-first-certificate\"."));
            }

            document.DefinitionId = routeCode;
        }
        else if (routeCode is not null && document.DefinitionId != routeCode)
        {
            return (null, new LifecycleError(400, "definitionId does not match",
                $"The body's definitionId '{document.DefinitionId}' differs from '{routeCode}' in the URL."));
        }

        if (document.DefinitionId.Length > 100 || document.DefinitionId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
        {
            return (null, new LifecycleError(400, "definitionId not usable",
                $"definitionId '{document.DefinitionId}' must be at most 100 letters, digits, '-', '_' or '.'."));
        }

        if (document.Root?["type"]?.ToString() != "Elsa.Flowchart")
        {
            return (null, new LifecycleError(400, "root missing", "The definition needs a root of type \"Elsa.Flowchart\" with activities and connections."));
        }

        return (document, null);
    }

    private async Task<Dictionary<string, (int InFlight, int Total)>> CountsAsync(string code, CancellationToken cancellationToken)
    {
        var rows = await db.Dossiers.AsNoTracking()
            .Where(d => d.ProcedureCode == code)
            .GroupBy(d => d.DefinitionVersionId)
            .Select(g => new { g.Key, Total = g.Count(), InFlight = g.Count(d => !ClosedStatuses.Contains(d.Status)) })
            .ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.Key, r => (r.InFlight, r.Total), StringComparer.Ordinal);
    }

    private VersionSummary ToSummary(WorkflowDefinitionVersion row, Dictionary<string, (int InFlight, int Total)> counts)
    {
        counts.TryGetValue(row.Id, out var count);
        IReadOnlyList<DefinitionError> problems = row.PublishedAt is null
            ? compiler.Compile(WorkflowDefinitionDocument.Parse(row.Json)).Errors
            : [];
        return new VersionSummary(row.DefinitionId, row.Id, row.Version, row.Name, row.IsLatest, row.IsPublished,
            row.PublishedAt is not null, row.CreatedAt, row.PublishedAt, count.InFlight, count.Total, problems);
    }

    private static LifecycleError NotFound(string code, int? version) => new(404, "Version not found",
        version is null ? $"Procedure '{code}' does not exist." : $"Procedure '{code}' has no version {version}.");

    private static LifecycleError Locked(WorkflowDefinitionVersion row) => new(409, "Published versions are immutable",
        $"Version {row.Version} of '{row.DefinitionId}' has been published, so its content can never change (dossiers run on it). Save to the procedure instead: PUT /api/procedures/{row.DefinitionId}/draft creates version N+1 as a draft.");
}
