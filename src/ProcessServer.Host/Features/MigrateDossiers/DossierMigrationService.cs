using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Infrastructure;
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
    CalendarStore calendars,
    TimeProvider clock,
    ILogger<DossierMigrationService> logger)
{
    private const int MaxAttemptsPerDossier = 5;

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
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        db.MigrationPlans.Add(plan);
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

        return new DryRunView(plan.Id, new MigrationCounts(items.Count, items.Count(i => i.Outcome == "Migrates"), items.Count(i => i.Outcome == "Blocked"), 0), items);
    }

    /// <summary>Runs the plan: each dossier in its own transaction; re-running skips dossiers already moved.</summary>
    public async Task<MigrationPlanView?> ExecuteAsync(string planId, Caller caller, CancellationToken ct)
    {
        var plan = await db.MigrationPlans.SingleOrDefaultAsync(p => p.Id == planId, ct);
        if (plan is null)
        {
            return null;
        }

        var candidates = await CandidatesAsync(plan, ct);
        plan.Status = "Running";
        plan.ExecutedBy = caller.Name;
        plan.StartedAt = clock.GetUtcNow().UtcDateTime;
        plan.FinishedAt = null;
        plan.Candidates = candidates.Count;
        plan.AlreadyMigrated = await db.MigrationResults.CountAsync(r => r.PlanId == planId && r.Outcome == "Migrated", ct);
        plan.Migrated = 0;
        plan.Blocked = 0;
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        foreach (var candidate in candidates)
        {
            // Counters move after each dossier so GET /api/migrations/{id} shows progress while it runs.
            switch (await MigrateOneAsync(planId, candidate.Id, caller, ct))
            {
                case "Migrated":
                    await db.MigrationPlans.Where(p => p.Id == planId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Migrated, p => p.Migrated + 1), ct);
                    break;
                case "Blocked":
                    await db.MigrationPlans.Where(p => p.Id == planId).ExecuteUpdateAsync(s => s.SetProperty(p => p.Blocked, p => p.Blocked + 1), ct);
                    break;
            }
        }

        await db.MigrationPlans.Where(p => p.Id == planId).ExecuteUpdateAsync(
            s => s.SetProperty(p => p.Status, "Completed").SetProperty(p => p.FinishedAt, clock.GetUtcNow().UtcDateTime), ct);
        return await ViewAsync(planId, ct);
    }

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
            new MigrationCounts(plan.Candidates, plan.Migrated, plan.Blocked, plan.AlreadyMigrated),
            results.Select(x => new MigrationItem(x.r.DossierId, x.ReceiptCode, x.r.FromVersion, x.r.ToVersion, x.r.Outcome,
                x.r.Outcome == "Blocked" ? $"blocked: {x.r.Reason}" : Describe(Moves(x.r.MovesJson)),
                Moves(x.r.MovesJson), x.r.Reason is null ? [] : x.r.Reason.Split("; "))).ToList());
    }

    private async Task<string> MigrateOneAsync(string planId, string dossierId, Caller caller, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var pass = await gate.EnterAsync(ct);
            var plan = await db.MigrationPlans.AsNoTracking().SingleAsync(p => p.Id == planId, ct);
            var dossier = await db.Dossiers.SingleAsync(d => d.Id == dossierId, ct);
            var sources = JsonSerializer.Deserialize<List<int>>(plan.SourceVersionsJson)!;
            if (!sources.Contains(dossier.DefinitionVersion) || DefinitionLifecycle.ClosedStatuses.Contains(dossier.Status))
            {
                // Moved or finished since the candidates were listed: nothing to do.
                db.ChangeTracker.Clear();
                return "Skipped";
            }

            var analysis = await AnalyzeAsync(plan, dossier, ct);
            var now = clock.GetUtcNow().UtcDateTime;
            var fromVersion = dossier.DefinitionVersion;
            var result = await db.MigrationResults.SingleOrDefaultAsync(r => r.PlanId == planId && r.DossierId == dossierId, ct);
            if (result is null)
            {
                result = new MigrationResult { PlanId = planId, DossierId = dossierId, Outcome = string.Empty };
                db.MigrationResults.Add(result);
            }

            result.FromVersion = fromVersion;
            result.At = now;
            result.MovesJson = JsonSerializer.Serialize(analysis.Moves.Select(m => new MoveView(m.TaskId, m.From, m.To)), JsonBody.Options);
            if (!analysis.CanMigrate)
            {
                result.Outcome = "Blocked";
                result.ToVersion = fromVersion;
                result.Reason = string.Join("; ", analysis.BlockedReasons);
            }
            else
            {
                var target = await db.WorkflowDefinitions.AsNoTracking().SingleAsync(d => d.Id == plan.TargetVersionId, ct);
                var targetWorkflow = await workflows.GetAsync(db, target.Id, ct);
                var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(plan.MappingJson)!;
                var policy = Enum.Parse<StepTimePolicy>(plan.TimePolicy);
                var state = DossierMigrator.Apply(targetWorkflow, DossierState.FromJson(dossier.StateJson), analysis, mapping, policy, now,
                    await calendars.CurrentAsync(db, ct));
                var rows = await DossierWriter.LoadRowsAsync(db, dossierId, ct);
                var data = DossierMigrator.Describe(analysis, fromVersion, target.Version, policy);
                data["planId"] = planId;
                DossierWriter.StageMigration(db, dossier, rows.OpenTasks, rows.Deadlines, rows.NextSequence,
                    state, target, caller.Name, data, now);
                result.Outcome = "Migrated";
                result.ToVersion = target.Version;
                result.Reason = null;
            }

            try
            {
                await db.SaveChangesAsync(ct);
                Log.DossierMigrationResult(logger, dossierId, plan.ProcedureCode, fromVersion, result.ToVersion, result.Outcome);
                db.ChangeTracker.Clear();
                return result.Outcome;
            }
            catch (DbUpdateConcurrencyException) when (attempt < MaxAttemptsPerDossier)
            {
                // A clerk completed a task meanwhile: decide again on the dossier as it is now.
                db.ChangeTracker.Clear();
            }
        }
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
