using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.MigrateDossiers;

/// <summary>
/// Plans, dry-runs and executes migrations of in-flight dossiers. Each dossier moves in its own
/// transaction after re-reading its current state, so a clerk's completion in between is never
/// lost and a migration is never applied to a stale state (the dossier's version column decides).
/// </summary>
public sealed class DossierMigrationService(
    ProcessServerDbContext db,
    WorkflowCache workflows,
    WriteGate gate,
    AuditTrail audit,
    TimeProvider clock)
{
    /// <summary>Status of a plan whose run has started and not finished.</summary>
    public const string Running = "Running";

    /// <summary>Validates and stores a plan.</summary>
    public async Task<(MigrationPlanView? Plan, IDictionary<string, string[]>? Errors)> CreateAsync(MigrationPlanRequest request, Caller caller, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var code = request.ProcedureCode?.Trim();
        if (string.IsNullOrEmpty(code))
        {
            errors["procedureCode"] = ["procedureCode is required."];
            return (null, errors);
        }

        var versions = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code).ToListAsync(ct);
        if (versions.Count == 0)
        {
            errors["procedureCode"] = [$"Procedure '{code}' does not exist."];
            return (null, errors);
        }

        var target = versions.FirstOrDefault(v => v.Version == request.TargetVersion);
        if (request.TargetVersion is null || target is null)
        {
            errors["targetVersion"] = [$"targetVersion must be one of {string.Join(", ", versions.Select(v => v.Version).Order())}."];
        }
        else if (target.PublishedAt is null)
        {
            errors["targetVersion"] = [$"Version {target.Version} has never been published; publish it first so its content is fixed before dossiers move onto it."];
        }

        var sources = request.SourceVersions ?? [];
        if (sources.Count == 0)
        {
            errors["sourceVersions"] = ["sourceVersions lists the versions whose dossiers move, e.g. [1, 2]."];
        }
        else if (sources.FirstOrDefault(s => versions.All(v => v.Version != s) || s == request.TargetVersion) is var bad && bad != 0)
        {
            errors["sourceVersions"] = [$"source version {bad} does not exist or is the target."];
        }

        var policy = StepTimePolicy.KeepElapsed;
        if (request.TimePolicy is not null && !Enum.TryParse(request.TimePolicy, ignoreCase: true, out policy))
        {
            errors["timePolicy"] = ["timePolicy is KeepElapsed (time already used still counts) or Restart (the step restarts under the target limit)."];
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var mapping = request.Mapping ?? [];
        var targetWorkflow = await workflows.GetAsync(db, target!.Id, ct);
        var sourceIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in versions.Where(v => sources.Contains(v.Version)))
        {
            sourceIds.UnionWith((await workflows.GetAsync(db, source.Id, ct)).Activities.Keys);
        }

        var mappingErrors = mapping.Where(m => !sourceIds.Contains(m.Key)).Select(m => $"'{m.Key}' is not an activity of the source versions.")
            .Concat(mapping.Where(m => !targetWorkflow.Activities.ContainsKey(m.Value)).Select(m => $"'{m.Value}' (for '{m.Key}') is not an activity of version {target.Version}."))
            .ToArray();
        if (mappingErrors.Length > 0)
        {
            return (null, new Dictionary<string, string[]> { ["mapping"] = mappingErrors });
        }

        var plan = new MigrationPlan
        {
            Id = Guid.CreateVersion7().ToString(),
            ProcedureCode = code,
            SourceVersionsJson = JsonSerializer.Serialize(sources.Distinct().Order().ToList()),
            TargetVersion = target.Version,
            TargetVersionId = target.Id,
            FilterJson = JsonSerializer.Serialize(request.Filter ?? new MigrationFilter(null, null, null, null), JsonBody.Options),
            MappingJson = JsonSerializer.Serialize(mapping),
            TimePolicy = policy.ToString(),
            Status = "Planned",
            CreatedBy = caller.Name,
            CreatedById = caller.Id,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.MigrationPlans.Add(plan);
        audit.Stage(db, caller, AuditActions.MigrationPlanned, plan.Id, null, new System.Text.Json.Nodes.JsonObject
        {
            ["procedureCode"] = code,
            ["sourceVersions"] = AuditTrail.Json(sources),
            ["targetVersion"] = target.Version,
        });
        await db.SaveChangesAsync(ct);
        return (await ViewAsync(plan.Id, ct), null);
    }

    /// <summary>Answers per dossier "migrates" or "blocked, because", changing nothing.</summary>
    public async Task<DryRunView?> DryRunAsync(string planId, CancellationToken ct)
    {
        var plan = await db.MigrationPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == planId, ct);
        if (plan is null)
        {
            return null;
        }

        var items = new List<MigrationItem>();
        foreach (var dossier in await CandidatesAsync(plan, ct))
        {
            var analysis = await AnalyzeAsync(plan, dossier, ct);
            items.Add(Item(dossier, plan, analysis.CanMigrate ? "Migrates" : "Blocked", analysis));
        }

        return new DryRunView(plan.Id, new MigrationCounts(items.Count, items.Count(i => i.Outcome == "Migrates"), items.Count(i => i.Outcome == "Blocked"), 0, 0, 0), items);
    }

    /// <summary>
    /// Starts a durable run of the plan: lists the candidates as pending results and marks the plan
    /// Running, in one transaction; <see cref="MigrationRunner"/> then moves them in the background
    /// and resumes after a restart. One run per plan at a time.
    /// </summary>
    /// <returns>The plan as it starts, or a refusal (unknown plan, a run already in progress).</returns>
    public async Task<(MigrationPlanView? Plan, Refusal? Refusal)> StartAsync(string planId, Caller caller, CancellationToken ct)
    {
        using var pass = await gate.EnterAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;

        // The conditional update is the claim: of two executes at once, only one finds the plan idle.
        var claimed = await db.MigrationPlans.Where(p => p.Id == planId && p.Status != Running)
            .ExecuteUpdateAsync(s => s.SetProperty(p => p.Status, Running)
                .SetProperty(p => p.ExecutedBy, caller.Name)
                .SetProperty(p => p.ExecutedById, caller.Id)
                .SetProperty(p => p.StartedAt, now)
                .SetProperty(p => p.FinishedAt, (DateTime?)null), ct);
        if (claimed == 0)
        {
            return await db.MigrationPlans.AnyAsync(p => p.Id == planId, ct)
                ? (null, new Refusal(RefusalKind.Conflict, "The plan is already running",
                    $"A run of migration plan '{planId}' is in progress; follow it with GET /api/migrations/{planId}. Execute again once it has completed."))
                : (null, new Refusal(RefusalKind.NotFound, "Migration plan not found", $"No migration plan has id '{planId}'."));
        }

        var plan = await db.MigrationPlans.AsNoTracking().SingleAsync(p => p.Id == planId, ct);
        var results = await db.MigrationResults.Where(r => r.PlanId == planId).ToDictionaryAsync(r => r.DossierId, ct);
        foreach (var row in results.Values.Where(r => r.Outcome is not (MigrationOutcomes.Migrated or MigrationOutcomes.Closed)))
        {
            // Blocked before (or left pending by an older server): decide again on this run.
            row.Outcome = MigrationOutcomes.Pending;
        }

        foreach (var candidate in await CandidatesAsync(plan, ct))
        {
            if (!results.ContainsKey(candidate.Id))
            {
                db.MigrationResults.Add(new MigrationResult
                {
                    PlanId = planId,
                    DossierId = candidate.Id,
                    Outcome = MigrationOutcomes.Pending,
                    FromVersion = candidate.DefinitionVersion,
                    ToVersion = candidate.DefinitionVersion,
                    At = now,
                });
            }
        }

        audit.Stage(db, caller, AuditActions.MigrationExecuted, planId, null, new System.Text.Json.Nodes.JsonObject
        {
            ["procedureCode"] = plan.ProcedureCode,
            ["targetVersion"] = plan.TargetVersion,
        });
        await db.SaveChangesAsync(ct);

        // Every dossier the plan has ever listed is a candidate of this run; those moved by an
        // earlier run are counted apart, so candidates = migrated + blocked + already migrated + closed.
        var alreadyMigrated = results.Values.Count(r => r.Outcome == MigrationOutcomes.Migrated);
        var candidates = await db.MigrationResults.CountAsync(r => r.PlanId == planId, ct);
        await db.MigrationPlans.Where(p => p.Id == planId).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Candidates, candidates)
            .SetProperty(p => p.AlreadyMigrated, alreadyMigrated)
            .SetProperty(p => p.Migrated, 0)
            .SetProperty(p => p.Blocked, 0), ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (await ViewAsync(planId, ct), null);
    }

    /// <summary>
    /// Moves the plan's pending dossiers one by one (each in its own transaction with its result
    /// row, so a kill loses nothing and a restart resumes where it stopped), then completes the plan.
    /// </summary>
    public async Task RunPendingAsync(string planId, MigrateDossierHandler handler, CancellationToken ct)
    {
        var plan = await db.MigrationPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == planId, ct);
        if (plan is not { Status: Running })
        {
            return;
        }

        // The run acts for the administrator who executed the plan: the journal names them.
        var name = plan.ExecutedBy ?? plan.CreatedBy;
        var id = plan.ExecutedById ?? plan.CreatedById ?? name;
        var caller = id == name ? Caller.Of(name, Roles.Administrator, []) : Caller.OfPerson(id, name, Roles.Administrator, []);
        while (true)
        {
            var next = await db.MigrationResults.AsNoTracking()
                .Where(r => r.PlanId == planId && r.Outcome == MigrationOutcomes.Pending)
                .OrderBy(r => r.At).ThenBy(r => r.DossierId)
                .Select(r => r.DossierId)
                .FirstOrDefaultAsync(ct);
            if (next is null)
            {
                break;
            }

            var (outcome, result) = await handler.HandleAsync(planId, next, caller, ct);
            if (outcome is null)
            {
                // Deleted, or kept changing under five attempts: record why instead of looping on it.
                await db.MigrationResults.Where(r => r.PlanId == planId && r.DossierId == next && r.Outcome == MigrationOutcomes.Pending)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, MigrationOutcomes.Blocked)
                        .SetProperty(r => r.Reason, result.Refusal!.Detail), ct);
            }
        }

        var counts = await CountsAsync(planId, ct);
        await db.MigrationPlans.Where(p => p.Id == planId && p.Status == Running).ExecuteUpdateAsync(s => s
            .SetProperty(p => p.Status, "Completed")
            .SetProperty(p => p.FinishedAt, clock.GetUtcNow().UtcDateTime)
            .SetProperty(p => p.Migrated, counts.Migrated)
            .SetProperty(p => p.Blocked, counts.Blocked), ct);
    }

    /// <summary>Ids of plans whose run was not finished (to resume after a restart).</summary>
    public Task<List<string>> RunningPlansAsync(CancellationToken ct) =>
        db.MigrationPlans.AsNoTracking().Where(p => p.Status == Running).Select(p => p.Id).ToListAsync(ct);

    /// <summary>A plan with its counts and per-dossier results.</summary>
    public async Task<MigrationPlanView?> ViewAsync(string planId, CancellationToken ct)
    {
        var plan = await db.MigrationPlans.AsNoTracking().SingleOrDefaultAsync(p => p.Id == planId, ct);
        if (plan is null)
        {
            return null;
        }

        var results = await db.MigrationResults.AsNoTracking().Where(r => r.PlanId == planId)
            .Join(db.Dossiers, r => r.DossierId, d => d.Id, (r, d) => new { r, d.ReceiptCode })
            .OrderBy(x => x.ReceiptCode)
            .ToListAsync(ct);
        return new MigrationPlanView(
            plan.Id,
            plan.ProcedureCode,
            JsonSerializer.Deserialize<List<int>>(plan.SourceVersionsJson)!,
            plan.TargetVersion,
            JsonSerializer.Deserialize<MigrationFilter>(plan.FilterJson, JsonBody.Options)!,
            JsonSerializer.Deserialize<Dictionary<string, string>>(plan.MappingJson)!,
            plan.TimePolicy,
            plan.Status,
            plan.CreatedBy,
            plan.CreatedAt,
            plan.ExecutedBy,
            plan.StartedAt,
            plan.FinishedAt,
            await CountsAsync(planId, ct),
            results.Select(x => new MigrationItem(x.r.DossierId, x.ReceiptCode, x.r.FromVersion, x.r.ToVersion, x.r.Outcome,
                x.r.Outcome switch
                {
                    MigrationOutcomes.Blocked => $"blocked: {x.r.Reason}",
                    MigrationOutcomes.Closed => $"closed: {x.r.Reason}",
                    MigrationOutcomes.Pending => "pending",
                    _ => Describe(Moves(x.r.MovesJson)),
                },
                Moves(x.r.MovesJson), x.r.Outcome == MigrationOutcomes.Blocked && x.r.Reason is not null ? x.r.Reason.Split("; ") : [])).ToList());
    }

    /// <summary>
    /// The run's counts from its result rows, so they always add up: candidates = migrated +
    /// blocked + already migrated + closed meanwhile + pending.
    /// </summary>
    private async Task<MigrationCounts> CountsAsync(string planId, CancellationToken ct)
    {
        var plan = await db.MigrationPlans.AsNoTracking().SingleAsync(p => p.Id == planId, ct);
        var byOutcome = await db.MigrationResults.AsNoTracking().Where(r => r.PlanId == planId)
            .GroupBy(r => r.Outcome).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        int Count(string outcome) => byOutcome.GetValueOrDefault(outcome);
        var already = Math.Min(plan.AlreadyMigrated, Count(MigrationOutcomes.Migrated));
        return new MigrationCounts(
            byOutcome.Values.Sum(),
            Count(MigrationOutcomes.Migrated) - already,
            Count(MigrationOutcomes.Blocked),
            already,
            Count(MigrationOutcomes.Closed),
            Count(MigrationOutcomes.Pending));
    }

    private async Task<MigrationAnalysis> AnalyzeAsync(MigrationPlan plan, Dossier dossier, CancellationToken ct)
    {
        var source = await workflows.GetAsync(db, dossier.DefinitionVersionId, ct);
        var target = await workflows.GetAsync(db, plan.TargetVersionId, ct);
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(plan.MappingJson)!;
        return DossierMigrator.Analyze(source, target, DossierState.FromJson(dossier.StateJson), mapping);
    }

    private async Task<List<Dossier>> CandidatesAsync(MigrationPlan plan, CancellationToken ct)
    {
        var sources = JsonSerializer.Deserialize<List<int>>(plan.SourceVersionsJson)!;
        var filter = JsonSerializer.Deserialize<MigrationFilter>(plan.FilterJson, JsonBody.Options)!;
        var query = db.Dossiers.AsNoTracking()
            .Where(d => d.ProcedureCode == plan.ProcedureCode && sources.Contains(d.DefinitionVersion) && !DefinitionLifecycle.ClosedStatuses.Contains(d.Status));
        if (filter.Units is { Count: > 0 } units)
        {
            query = query.Where(d => units.Contains(d.ReceivingUnit));
        }

        if (filter.ReceivedFrom is { } from)
        {
            var fromUtc = from.UtcDateTime;
            query = query.Where(d => d.ReceivedAt >= fromUtc);
        }

        if (filter.ReceivedTo is { } to)
        {
            var toUtc = to.UtcDateTime;
            query = query.Where(d => d.ReceivedAt < toUtc);
        }

        if (filter.CurrentActivities is { Count: > 0 } activities)
        {
            query = query.Where(d => db.Tasks.Any(t => t.DossierId == d.Id && TaskStatuses.Open.Contains(t.Status) && activities.Contains(t.ActivityId)));
        }

        return await query.OrderBy(d => d.ReceivedAt).ThenBy(d => d.Id).ToListAsync(ct);
    }

    private static MigrationItem Item(Dossier dossier, MigrationPlan plan, string outcome, MigrationAnalysis analysis)
    {
        var moves = analysis.Moves.Select(m => new MoveView(m.TaskId, m.From, m.To)).ToList();
        return new MigrationItem(dossier.Id, dossier.ReceiptCode, dossier.DefinitionVersion,
            analysis.CanMigrate ? plan.TargetVersion : dossier.DefinitionVersion, outcome,
            analysis.CanMigrate ? Describe(moves) : "blocked: " + string.Join("; ", analysis.BlockedReasons),
            moves, analysis.BlockedReasons);
    }

    private static string Describe(IReadOnlyList<MoveView> moves) =>
        "migrates: " + (moves.Count == 0 ? "no open task" : string.Join(", ", moves.Select(m => $"task {m.From} → {m.To}")));

    private static List<MoveView> Moves(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<MoveView>>(json, JsonBody.Options) ?? [];
}
