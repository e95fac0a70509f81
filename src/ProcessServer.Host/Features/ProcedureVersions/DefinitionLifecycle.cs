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
/// <param name="Problems">Why the version cannot be published as it stands (drafts), or why a stored version no longer runs.</param>
/// <param name="Warnings">What is legal but suspicious (drafts).</param>
/// <param name="IsBroken">A stored version this server can no longer read or run (e.g. written by an older server).</param>
/// <param name="Revision">Content saves of this version so far.</param>
/// <param name="SavedAt">Last content save (UTC).</param>
/// <param name="SavedBy">Who saved the content last.</param>
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
    IReadOnlyList<DefinitionError> Problems,
    IReadOnlyList<DefinitionError> Warnings,
    bool IsBroken,
    int Revision,
    DateTime? SavedAt,
    string? SavedBy)
{
    /// <summary>What a client sends back (If-Match, or the designer's hidden property) to say which content it edited.</summary>
    public string Token => new LoadedRevision(Id, Revision).ToString();
}

/// <summary>A lifecycle operation refused, with the HTTP status that says why.</summary>
/// <param name="Status">409 conflict, 404 not found, 422 not runnable, 400 malformed.</param>
/// <param name="Title">Short title.</param>
/// <param name="Detail">What to do.</param>
/// <param name="Errors">Definition problems, when the definition is at fault.</param>
/// <param name="Extensions">More members of the problem body (who saved meanwhile, when).</param>
public sealed record LifecycleError(int Status, string Title, string Detail, IReadOnlyList<DefinitionError>? Errors = null, IReadOnlyDictionary<string, object?>? Extensions = null)
{
    /// <summary>As a problem response.</summary>
    public IResult ToProblem()
    {
        var extensions = new Dictionary<string, object?>(Extensions ?? new Dictionary<string, object?>());
        if (Errors is not null)
        {
            extensions["errors"] = Errors.Select(e => new { activityId = e.ActivityId, field = e.Field, message = e.Message }).ToList();
        }

        return Problems.Result(Status, Title, Detail, extensions.Count == 0 ? null : extensions);
    }

    /// <summary>At most this many problems are spelled out in <see cref="Detail"/>; the errors list has them all.</summary>
    public const int DetailedProblems = 20;

    /// <summary>The problems as one sentence, the first <see cref="DetailedProblems"/> of them.</summary>
    public static string Describe(IReadOnlyList<DefinitionError> errors) =>
        string.Join("; ", errors.Take(DetailedProblems).Select(e => e.Message)) + (errors.Count > DetailedProblems ? $"; and {errors.Count - DetailedProblems} more (see errors)" : string.Empty);
}

/// <summary>
/// The Elsa 3 definition lifecycle over the store: saving a published latest version creates the
/// next version as a draft, saving a draft updates it, publishing makes one version the one new
/// dossiers start on, retracting stops new dossiers, deleting removes only drafts no dossier ever
/// ran on. A version's content never changes once it has been published, which is what lets a
/// dossier always run to the end on the exact version it was received under.
/// </summary>
/// <remarks>
/// Every change is one transaction that takes the procedure's lock (<see cref="ProcedureLock"/>),
/// reads the version flags afresh and changes them with set-based updates, never through tracked
/// rows that another request may have changed meanwhile; the database's unique indexes (one
/// published, one latest per procedure) back this up. Definitions are checked and compiled before
/// the SQLite write gate is entered, so a large definition never holds up clerks' transitions.
/// </remarks>
public sealed class DefinitionLifecycle(ProcessServerDbContext db, DefinitionChecker checker, WorkflowCache cache, WriteGate gate, AuditTrail audit,
    CurrentCaller caller, TimeProvider clock)
{
    /// <summary>Statuses of dossiers that no longer run.</summary>
    public static readonly string[] ClosedStatuses = ["Returned", "Stopped", "Refused"];

    /// <summary>How often a publish re-reads a draft that was edited while it was being checked.</summary>
    private const int PublishAttempts = 5;

    /// <summary>Saves a definition to its latest version (a new draft when that one is locked), optionally publishing it.</summary>
    public Task<(VersionSummary? Saved, LifecycleError? Error)> SaveAsync(JsonObject body, string? routeCode, bool publish, CancellationToken cancellationToken) =>
        SaveAsync(body, routeCode, new SaveRequest(publish), cancellationToken);

    /// <summary>
    /// Saves a definition to its latest version (a new draft when that one is locked). With
    /// <see cref="SaveRequest.Publish"/> the saved version is published in the same transaction;
    /// when it cannot run, nothing is written, or with <see cref="SaveRequest.KeepDraftWhenNotPublishable"/>
    /// the draft is written and the error returned beside it.
    /// </summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> SaveAsync(JsonObject body, string? routeCode, SaveRequest request, CancellationToken cancellationToken)
    {
        var (document, error) = Prepare(body, routeCode);
        if (error is not null)
        {
            return (null, error);
        }

        var definitionId = document!.DefinitionId;
        var check = checker.Judge(document);
        if (!check.CanStore)
        {
            return (null, Refused(check.Refusals));
        }

        LifecycleError? publishError = null;
        var publish = request.Publish;
        if (publish && !check.CanPublish)
        {
            publishError = NotRunnable(definitionId, null, check.Errors);
            if (!request.KeepDraftWhenNotPublishable)
            {
                return (null, publishError);
            }

            publish = false;
        }

        // The content is serialised before the gate for the version it will most likely get; inside
        // the gate it is serialised again only if another save took that version meanwhile.
        var predicted = Target(definitionId, await HeadersAsync(definitionId, cancellationToken), request.NewVersion);
        var predictedJson = Serialize(document, predicted);

        WorkflowDefinitionVersion saved;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await ProcedureLock.AcquireAsync(db, definitionId, cancellationToken);
            var versions = await HeadersAsync(definitionId, cancellationToken);
            if (request.MustBeNew && versions.Count > 0)
            {
                return (null, new LifecycleError(409, "Procedure code taken", $"A procedure with the code '{definitionId}' already exists; choose another code."));
            }

            var target = Target(definitionId, versions, request.NewVersion);
            if (request.Loaded is { } loaded && Stale(loaded, versions) is { } stale)
            {
                return (null, stale);
            }

            var json = target == predicted ? predictedJson : Serialize(document, target);
            var now = clock.GetUtcNow().UtcDateTime;
            if (target.Existing is { } draft)
            {
                var revision = draft.Revision + 1;
                await db.WorkflowDefinitions.Where(d => d.Id == draft.Id && d.PublishedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.Json, json).SetProperty(d => d.Name, document.Name)
                        .SetProperty(d => d.Revision, revision).SetProperty(d => d.SavedAt, now).SetProperty(d => d.SavedBy, request.Actor), cancellationToken);
                saved = draft;
                saved.Json = json;
                saved.Name = document.Name;
                saved.Revision = revision;
                saved.SavedAt = now;
                saved.SavedBy = request.Actor;
            }
            else
            {
                await db.WorkflowDefinitions.Where(d => d.DefinitionId == definitionId && d.IsLatest)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.IsLatest, false), cancellationToken);
                saved = new WorkflowDefinitionVersion
                {
                    Id = target.Id,
                    DefinitionId = definitionId,
                    Version = target.Number,
                    Name = document.Name,
                    Json = json,
                    CreatedAt = now,
                    IsLatest = true,
                    Revision = 1,
                    SavedAt = now,
                    SavedBy = request.Actor,
                };
                db.WorkflowDefinitions.Add(saved);
                await db.SaveChangesAsync(cancellationToken);
                db.Entry(saved).State = EntityState.Detached;
            }

            if (publish)
            {
                await MarkPublishedAsync(definitionId, saved.Id, now, cancellationToken);
                saved.IsPublished = true;
                saved.IsLatest = true;
                saved.PublishedAt ??= now;
                await AuditAsync(AuditActions.ProcedurePublished, saved, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        cache.Forget(saved.Id);
        return (await SummaryAsync(saved, check, cancellationToken), publishError);
    }

    /// <summary>Replaces the content of one exact version; refused with 409 once the version has been published.</summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> UpdateVersionAsync(string code, int version, JsonObject body, CancellationToken cancellationToken) =>
        await UpdateVersionAsync(code, version, body, null, null, cancellationToken);

    /// <summary>Replaces the content of one exact draft, refused with 409 when <paramref name="loaded"/> is not its current content.</summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> UpdateVersionAsync(string code, int version, JsonObject body, LoadedRevision? loaded, string? actor, CancellationToken cancellationToken)
    {
        var (document, error) = Prepare(body, code);
        if (error is not null)
        {
            return (null, error);
        }

        var check = checker.Judge(document!);
        if (!check.CanStore)
        {
            return (null, Refused(check.Refusals));
        }

        var id = $"{code}-v{version}";
        var existing = (await HeadersAsync(code, cancellationToken)).FirstOrDefault(v => v.Version == version);
        var json = Serialize(document!, new SaveTarget(existing?.Id ?? id, version, existing));

        WorkflowDefinitionVersion row;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await ProcedureLock.AcquireAsync(db, code, cancellationToken);
            var found = (await HeadersAsync(code, cancellationToken)).FirstOrDefault(v => v.Version == version);
            if (found is null)
            {
                return (null, NotFound(code, version));
            }

            if (found.PublishedAt is not null)
            {
                return (null, Locked(found));
            }

            if (loaded is { } token && (token.VersionId != found.Id || token.Revision != found.Revision))
            {
                return (null, Conflict(found));
            }

            if (found.Id != existing?.Id)
            {
                json = Serialize(document!, new SaveTarget(found.Id, version, found));
            }

            var now = clock.GetUtcNow().UtcDateTime;
            var revision = found.Revision + 1;
            await db.WorkflowDefinitions.Where(d => d.Id == found.Id && d.PublishedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Json, json).SetProperty(d => d.Name, document!.Name)
                    .SetProperty(d => d.Revision, revision).SetProperty(d => d.SavedAt, now).SetProperty(d => d.SavedBy, actor), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            row = found;
            row.Json = json;
            row.Name = document!.Name;
            row.Revision = revision;
            row.SavedAt = now;
            row.SavedBy = actor;
        }

        cache.Forget(row.Id);
        return (await SummaryAsync(row, check, cancellationToken), null);
    }

    /// <summary>Publishes a version (the latest when <paramref name="version"/> is null).</summary>
    public async Task<(VersionSummary? Published, LifecycleError? Error)> PublishAsync(string code, int? version, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var headers = await HeadersAsync(code, cancellationToken);
            var header = version is null ? headers.FirstOrDefault(v => v.IsLatest) ?? headers.MaxBy(v => v.Version) : headers.FirstOrDefault(v => v.Version == version);
            if (header is null)
            {
                return (null, NotFound(code, version));
            }

            // Checked outside the gate; the content is compared again inside it, so a draft edited
            // meanwhile is checked again rather than published unchecked.
            var json = await ContentAsync(header.Id, cancellationToken);
            if (json is null)
            {
                continue;
            }

            var check = checker.Judge(json);
            if (!check.CanPublish)
            {
                return (null, NotRunnable(code, header.Version, [.. check.Refusals, .. check.Errors]));
            }

            using (await gate.EnterAsync(cancellationToken))
            {
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                await ProcedureLock.AcquireAsync(db, code, cancellationToken);
                if (!string.Equals(await ContentAsync(header.Id, cancellationToken), json, StringComparison.Ordinal))
                {
                    if (attempt < PublishAttempts)
                    {
                        continue;
                    }

                    return (null, new LifecycleError(409, "The version keeps changing",
                        $"Version {header.Version} of '{code}' was changed while it was being published; publish it again."));
                }

                var now = clock.GetUtcNow().UtcDateTime;
                await MarkPublishedAsync(code, header.Id, now, cancellationToken);
                await AuditAsync(AuditActions.ProcedurePublished, header, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                header.IsPublished = true;
                header.IsLatest = true;
                header.PublishedAt ??= now;
                header.Json = json;
            }

            return (await SummaryAsync(header, check, cancellationToken), null);
        }
    }

    /// <summary>Retracts the published version: new dossiers cannot start until a version is published again; running ones go on.</summary>
    public async Task<(VersionSummary? Retracted, LifecycleError? Error)> RetractAsync(string code, CancellationToken cancellationToken)
    {
        WorkflowDefinitionVersion? row;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await ProcedureLock.AcquireAsync(db, code, cancellationToken);
            row = (await HeadersAsync(code, cancellationToken)).Where(v => v.IsPublished).MaxBy(v => v.Version);
            if (row is null)
            {
                return (null, new LifecycleError(409, "Nothing to retract", $"Procedure '{code}' has no published version."));
            }

            // Every published flag goes, so a store that ever held two cannot keep one behind.
            await db.WorkflowDefinitions.Where(d => d.DefinitionId == code && d.IsPublished)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.IsPublished, false), cancellationToken);
            await AuditAsync(AuditActions.ProcedureRetracted, row, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            row.IsPublished = false;
        }

        return (await SummaryAsync(row, null, cancellationToken), null);
    }

    /// <summary>Deletes a draft. Published versions and versions any dossier ran on are never deleted.</summary>
    public async Task<LifecycleError?> DeleteVersionAsync(string code, int version, CancellationToken cancellationToken)
    {
        string id;
        using (await gate.EnterAsync(cancellationToken))
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            await ProcedureLock.AcquireAsync(db, code, cancellationToken);
            var versions = await HeadersAsync(code, cancellationToken);
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

            await db.WorkflowDefinitions.Where(d => d.Id == row.Id).ExecuteDeleteAsync(cancellationToken);
            var rest = versions.Where(v => v.Id != row.Id).ToList();
            if (rest.Count > 0 && !rest.Any(v => v.IsLatest))
            {
                var newest = rest.MaxBy(v => v.Version)!.Id;
                await db.WorkflowDefinitions.Where(d => d.Id == newest).ExecuteUpdateAsync(s => s.SetProperty(d => d.IsLatest, true), cancellationToken);
            }

            await AuditAsync(AuditActions.DraftDeleted, row, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            id = row.Id;
        }

        cache.Forget(id);
        return null;
    }

    /// <summary>Records who did it, in the transaction of the change.</summary>
    private async Task AuditAsync(string action, WorkflowDefinitionVersion row, CancellationToken cancellationToken)
    {
        var entry = audit.Stage(db, caller.Value, action, $"{row.DefinitionId} v{row.Version}", null,
            new System.Text.Json.Nodes.JsonObject { ["procedureCode"] = row.DefinitionId, ["version"] = row.Version, ["versionId"] = row.Id });
        await db.SaveChangesAsync(cancellationToken);
        db.Entry(entry).State = EntityState.Detached;
    }

    /// <summary>All versions of a procedure, newest first, with dossier counts.</summary>
    public async Task<IReadOnlyList<VersionSummary>?> ListAsync(string code, CancellationToken cancellationToken)
    {
        var rows = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code).OrderByDescending(d => d.Version).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var counts = await CountsAsync(code, cancellationToken);
        var list = new List<VersionSummary>(rows.Count);
        foreach (var row in rows)
        {
            list.Add(ToSummary(row, await StoredReportAsync(row, cancellationToken), counts));
        }

        return list;
    }

    /// <summary>Summary of one stored version.</summary>
    public async Task<VersionSummary> SummaryAsync(WorkflowDefinitionVersion row, CancellationToken cancellationToken) =>
        ToSummary(row, await StoredReportAsync(row, cancellationToken), await CountsAsync(row.DefinitionId, cancellationToken));

    private async Task<VersionSummary> SummaryAsync(WorkflowDefinitionVersion row, DefinitionReport? report, CancellationToken cancellationToken) =>
        ToSummary(row, report is null ? await StoredReportAsync(row, cancellationToken) : StoredState.Of(report), await CountsAsync(row.DefinitionId, cancellationToken));

    /// <summary>
    /// What a stored version's list row shows: the problems and warnings of a draft; for a published
    /// version only whether it still runs (its compiled form is cached, so lists stay cheap).
    /// </summary>
    private async Task<StoredState> StoredReportAsync(WorkflowDefinitionVersion row, CancellationToken cancellationToken)
    {
        if (row.PublishedAt is not null)
        {
            var (_, problem) = await cache.TryGetAsync(db, row.Id, cancellationToken);
            return problem is null ? StoredState.Runs : new StoredState([new DefinitionError(null, problem)], [], IsBroken: true);
        }

        var json = row.Json.Length > 0 ? row.Json : await ContentAsync(row.Id, cancellationToken) ?? string.Empty;
        return StoredState.Of(checker.Judge(json));
    }

    /// <summary>The versions of a procedure without their content, read afresh (never from the change tracker).</summary>
    private Task<List<WorkflowDefinitionVersion>> HeadersAsync(string code, CancellationToken cancellationToken) =>
        db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code)
            .Select(d => new WorkflowDefinitionVersion
            {
                Id = d.Id,
                DefinitionId = d.DefinitionId,
                Version = d.Version,
                Name = d.Name,
                IsLatest = d.IsLatest,
                IsPublished = d.IsPublished,
                Json = string.Empty,
                CreatedAt = d.CreatedAt,
                PublishedAt = d.PublishedAt,
                Revision = d.Revision,
                SavedAt = d.SavedAt,
                SavedBy = d.SavedBy,
            })
            .ToListAsync(cancellationToken);

    private Task<string?> ContentAsync(string id, CancellationToken cancellationToken) =>
        db.WorkflowDefinitions.AsNoTracking().Where(d => d.Id == id).Select(d => d.Json).SingleOrDefaultAsync(cancellationToken);

    /// <summary>The latest version while it is a draft, else the next version number.</summary>
    private static SaveTarget Target(string definitionId, List<WorkflowDefinitionVersion> versions, bool newVersion = false)
    {
        var latest = versions.FirstOrDefault(v => v.IsLatest) ?? versions.MaxBy(v => v.Version);
        if (latest is { PublishedAt: null } && !newVersion)
        {
            return new SaveTarget(latest.Id, latest.Version, latest);
        }

        var number = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
        return new SaveTarget($"{definitionId}-v{number}", number, null);
    }

    /// <summary>One version published and latest, every other one neither, in the current transaction.</summary>
    private async Task MarkPublishedAsync(string code, string id, DateTime now, CancellationToken cancellationToken)
    {
        // Flags are cleared first: the unique indexes allow one published and one latest at any moment.
        await db.WorkflowDefinitions.Where(d => d.DefinitionId == code && d.Id != id && (d.IsPublished || d.IsLatest))
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.IsPublished, false).SetProperty(d => d.IsLatest, false), cancellationToken);
        await db.WorkflowDefinitions.Where(d => d.Id == id)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.IsPublished, true).SetProperty(d => d.IsLatest, true).SetProperty(d => d.PublishedAt, d => d.PublishedAt ?? now), cancellationToken);
    }

    private static string Serialize(WorkflowDefinitionDocument document, SaveTarget target)
    {
        var copy = document.Clone();
        copy.Id = target.Id;
        copy.Version = target.Number;

        // Flags live in columns; the stored JSON is content only, so publishing never rewrites it.
        copy.Json.Remove("isLatest");
        copy.Json.Remove("isPublished");
        return copy.ToJsonString();
    }

    private static (WorkflowDefinitionDocument? Document, LifecycleError? Error) Prepare(JsonObject body, string? routeCode)
    {
        // Read before anything else touches the body: System.Text.Json throws on the first read of such text.
        if (DefinitionChecker.FindInvalidText(body) is { } invalid)
        {
            return (null, Refused([invalid]));
        }

        if (body["definitionId"] is not (null or JsonValue) || (body["definitionId"] is JsonValue idValue && !idValue.TryGetValue<string>(out _)))
        {
            return (null, Refused([new DefinitionError(null, "definitionId must be text, the procedure code, e.g. \"land-first-certificate\"", "definitionId")]));
        }

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

    private static VersionSummary ToSummary(WorkflowDefinitionVersion row, StoredState state, Dictionary<string, (int InFlight, int Total)> counts)
    {
        counts.TryGetValue(row.Id, out var count);
        return new VersionSummary(row.DefinitionId, row.Id, row.Version, row.Name, row.IsLatest, row.IsPublished,
            row.PublishedAt is not null, row.CreatedAt, row.PublishedAt, count.InFlight, count.Total, state.Problems, state.Warnings, state.IsBroken,
            row.Revision, row.SavedAt, row.SavedBy);
    }

    private static LifecycleError NotRunnable(string code, int? version, IReadOnlyList<DefinitionError> errors) => new(422, "The procedure cannot be published",
        $"{(version is null ? "The procedure" : $"Version {version} of '{code}'")} cannot be published: {LifecycleError.Describe(errors)}", errors);

    private static LifecycleError Refused(IReadOnlyList<DefinitionError> refusals) => new(400, "The definition is not valid",
        $"Nothing was saved: {LifecycleError.Describe(refusals)}", refusals);

    /// <summary>
    /// Whether a save edited content that is no longer the latest: another save wrote the draft
    /// since (its revision moved on) or made a new version (the latest is another one).
    /// </summary>
    private static LifecycleError? Stale(LoadedRevision loaded, List<WorkflowDefinitionVersion> versions)
    {
        var latest = versions.FirstOrDefault(v => v.IsLatest) ?? versions.MaxBy(v => v.Version);
        if (latest is null)
        {
            return null;
        }

        var current = latest.Id == loaded.VersionId && (latest.PublishedAt is not null || latest.Revision == loaded.Revision);
        return current ? null : Conflict(latest);
    }

    private static LifecycleError Conflict(WorkflowDefinitionVersion latest)
    {
        var who = latest.SavedBy ?? "another administrator";
        var when = (latest.SavedAt ?? latest.PublishedAt ?? latest.CreatedAt).ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        return new LifecycleError(409, "Changed by someone else meanwhile",
            $"{who} saved version {latest.Version} of '{latest.DefinitionId}' at {when}, after you opened it; your changes were not saved, so nothing of theirs was overwritten. Reload to see their version, then make your changes again.",
            null,
            new Dictionary<string, object?>
            {
                ["savedBy"] = latest.SavedBy,
                ["savedAt"] = latest.SavedAt ?? latest.PublishedAt ?? latest.CreatedAt,
                ["currentVersion"] = latest.Version,
                ["currentToken"] = new LoadedRevision(latest.Id, latest.Revision).ToString(),
            });
    }

    private static LifecycleError NotFound(string code, int? version) => new(404, "Version not found",
        version is null ? $"Procedure '{code}' does not exist." : $"Procedure '{code}' has no version {version}.");

    private static LifecycleError Locked(WorkflowDefinitionVersion row) => new(409, "Published versions are immutable",
        $"Version {row.Version} of '{row.DefinitionId}' has been published, so its content can never change (dossiers run on it). Save to the procedure instead: PUT /api/procedures/{row.DefinitionId}/draft creates version N+1 as a draft.");

    /// <summary>What a list row shows about a stored version.</summary>
    private sealed record StoredState(IReadOnlyList<DefinitionError> Problems, IReadOnlyList<DefinitionError> Warnings, bool IsBroken)
    {
        public static readonly StoredState Runs = new([], [], false);

        public static StoredState Of(DefinitionReport report) =>
            new([.. report.Refusals, .. report.Errors], report.Warnings, IsBroken: report.Refusals.Count > 0);
    }

    /// <summary>Where a save goes: an existing draft, or a new version number.</summary>
    private sealed record SaveTarget(string Id, int Number, WorkflowDefinitionVersion? Existing)
    {
        public bool Equals(SaveTarget? other) => other is not null && other.Id == Id && other.Number == Number && (other.Existing is null) == (Existing is null);

        public override int GetHashCode() => HashCode.Combine(Id, Number, Existing is null);
    }
}

/// <summary>What a save asks for.</summary>
/// <param name="Publish">Publish the saved version in the same transaction.</param>
/// <param name="KeepDraftWhenNotPublishable">When it cannot be published, still save it as a draft (the designer keeps edits).</param>
/// <param name="MustBeNew">The definition id must not exist yet (a new procedure, "Save As").</param>
/// <param name="Loaded">The content the client edited; when given and no longer the latest, the save is refused (409).</param>
/// <param name="Actor">Who saves (recorded, and named to whoever saves a stale copy next).</param>
/// <param name="NewVersion">Always write a new version, even when the latest is a draft (import: nobody's draft is overwritten).</param>
public sealed record SaveRequest(bool Publish, bool KeepDraftWhenNotPublishable = false, bool MustBeNew = false, LoadedRevision? Loaded = null, string? Actor = null, bool NewVersion = false);

/// <summary>The content an editor loaded: a version id and its revision, written <c>id@revision</c>.</summary>
/// <param name="VersionId">Version id.</param>
/// <param name="Revision">Revision of its content.</param>
public readonly record struct LoadedRevision(string VersionId, int Revision)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{VersionId}@{Revision}");

    /// <summary>Reads <c>id@revision</c>, also quoted or weak (<c>W/"…"</c>) as in an If-Match header.</summary>
    public static LoadedRevision? Parse(string? text)
    {
        var value = text?.Trim();
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.StartsWith("W/", StringComparison.Ordinal))
        {
            value = value[2..];
        }

        value = value.Trim('"');
        var at = value.LastIndexOf('@');
        return at > 0 && int.TryParse(value[(at + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var revision)
            ? new LoadedRevision(value[..at], revision)
            : null;
    }
}
