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
/// <remarks>
/// Every change is one transaction that takes the procedure's lock (<see cref="ProcedureLock"/>),
/// reads the version flags afresh and changes them with set-based updates, never through tracked
/// rows that another request may have changed meanwhile; the database's unique indexes (one
/// published, one latest per procedure) back this up. Definitions are checked and compiled before
/// the SQLite write gate is entered, so a large definition never holds up clerks' transitions.
/// </remarks>
public sealed class DefinitionLifecycle(ProcessServerDbContext db, WorkflowCompiler compiler, WorkflowCache cache, WriteGate gate, TimeProvider clock)
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
        var check = Check(document);
        LifecycleError? publishError = null;
        var publish = request.Publish;
        if (publish && !check.Succeeded)
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
        var predicted = Target(definitionId, await HeadersAsync(definitionId, cancellationToken));
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

            var target = Target(definitionId, versions);
            var json = target == predicted ? predictedJson : Serialize(document, target);
            var now = clock.GetUtcNow().UtcDateTime;
            if (target.Existing is { } draft)
            {
                await db.WorkflowDefinitions.Where(d => d.Id == draft.Id && d.PublishedAt == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.Json, json).SetProperty(d => d.Name, document.Name), cancellationToken);
                saved = draft;
                saved.Json = json;
                saved.Name = document.Name;
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
            }

            await transaction.CommitAsync(cancellationToken);
        }

        cache.Forget(saved.Id);
        return (await SummaryAsync(saved, check.Errors, cancellationToken), publishError);
    }

    /// <summary>Replaces the content of one exact version; refused with 409 once the version has been published.</summary>
    public async Task<(VersionSummary? Saved, LifecycleError? Error)> UpdateVersionAsync(string code, int version, JsonObject body, CancellationToken cancellationToken)
    {
        var (document, error) = Prepare(body, code);
        if (error is not null)
        {
            return (null, error);
        }

        var check = Check(document!);
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

            if (found.Id != existing?.Id)
            {
                json = Serialize(document!, new SaveTarget(found.Id, version, found));
            }

            await db.WorkflowDefinitions.Where(d => d.Id == found.Id && d.PublishedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Json, json).SetProperty(d => d.Name, document!.Name), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            row = found;
            row.Json = json;
            row.Name = document!.Name;
        }

        cache.Forget(row.Id);
        return (await SummaryAsync(row, check.Errors, cancellationToken), null);
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

            var check = Check(json);
            if (!check.Succeeded)
            {
                return (null, NotRunnable(code, header.Version, check.Errors));
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
                await transaction.CommitAsync(cancellationToken);
                header.IsPublished = true;
                header.IsLatest = true;
                header.PublishedAt ??= now;
                header.Json = json;
            }

            return (await SummaryAsync(header, [], cancellationToken), null);
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

            await transaction.CommitAsync(cancellationToken);
            id = row.Id;
        }

        cache.Forget(id);
        return null;
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
        return rows.Select(r => ToSummary(r, null, counts)).ToList();
    }

    /// <summary>Summary of one stored version.</summary>
    public async Task<VersionSummary> SummaryAsync(WorkflowDefinitionVersion row, CancellationToken cancellationToken) =>
        ToSummary(row, null, await CountsAsync(row.DefinitionId, cancellationToken));

    private async Task<VersionSummary> SummaryAsync(WorkflowDefinitionVersion row, IReadOnlyList<DefinitionError>? problems, CancellationToken cancellationToken) =>
        ToSummary(row, problems, await CountsAsync(row.DefinitionId, cancellationToken));

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
            })
            .ToListAsync(cancellationToken);

    private Task<string?> ContentAsync(string id, CancellationToken cancellationToken) =>
        db.WorkflowDefinitions.AsNoTracking().Where(d => d.Id == id).Select(d => d.Json).SingleOrDefaultAsync(cancellationToken);

    /// <summary>The latest version while it is a draft, else the next version number.</summary>
    private static SaveTarget Target(string definitionId, List<WorkflowDefinitionVersion> versions)
    {
        var latest = versions.FirstOrDefault(v => v.IsLatest) ?? versions.MaxBy(v => v.Version);
        if (latest is { PublishedAt: null })
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

    private CompileResult Check(WorkflowDefinitionDocument document) => compiler.Compile(document);

    private CompileResult Check(string json) => compiler.Compile(WorkflowDefinitionDocument.Parse(json));

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

    private VersionSummary ToSummary(WorkflowDefinitionVersion row, IReadOnlyList<DefinitionError>? problems, Dictionary<string, (int InFlight, int Total)> counts)
    {
        counts.TryGetValue(row.Id, out var count);
        problems = row.PublishedAt is not null ? [] : problems ?? (row.Json.Length > 0 ? Check(row.Json).Errors : []);
        return new VersionSummary(row.DefinitionId, row.Id, row.Version, row.Name, row.IsLatest, row.IsPublished,
            row.PublishedAt is not null, row.CreatedAt, row.PublishedAt, count.InFlight, count.Total, problems);
    }

    private static LifecycleError NotRunnable(string code, int? version, IReadOnlyList<DefinitionError> errors) => new(422, "The procedure cannot be published",
        $"{(version is null ? "The procedure" : $"Version {version} of '{code}'")} cannot run: {string.Join("; ", errors.Select(e => e.Message))}", errors);

    private static LifecycleError NotFound(string code, int? version) => new(404, "Version not found",
        version is null ? $"Procedure '{code}' does not exist." : $"Procedure '{code}' has no version {version}.");

    private static LifecycleError Locked(WorkflowDefinitionVersion row) => new(409, "Published versions are immutable",
        $"Version {row.Version} of '{row.DefinitionId}' has been published, so its content can never change (dossiers run on it). Save to the procedure instead: PUT /api/procedures/{row.DefinitionId}/draft creates version N+1 as a draft.");

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
public sealed record SaveRequest(bool Publish, bool KeepDraftWhenNotPublishable = false, bool MustBeNew = false);
