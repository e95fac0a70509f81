using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.MigrateDossiers;

/// <summary>What a plan's run did to one dossier.</summary>
public static class MigrationOutcomes
{
    /// <summary>Listed at the start of a run, not handled yet.</summary>
    public const string Pending = "Pending";

    /// <summary>Moved to the target version.</summary>
    public const string Migrated = "Migrated";

    /// <summary>Left on its version; the reason says why.</summary>
    public const string Blocked = "Blocked";

    /// <summary>Returned or stopped after it was listed; nothing to move.</summary>
    public const string Closed = "Closed";
}

/// <summary>
/// Moves one dossier under a plan, in one transaction with the plan's per-dossier result, after
/// re-reading the dossier: a clerk's completion in between is never lost, and a migration is
/// never applied to a stale state (the dossier's version decides; a lost race is decided again).
/// </summary>
public sealed class MigrateDossierHandler(
    DossierTransitions transitions,
    WorkflowCache workflows,
    ILogger<MigrateDossierHandler> logger)
{
    private const int MaxAttempts = 5;

    /// <summary>Moves the dossier if the plan allows it and records the outcome (<see cref="MigrationOutcomes"/>).</summary>
    /// <param name="planId">The plan.</param>
    /// <param name="dossierId">The dossier.</param>
    /// <param name="caller">The administrator who executed the plan.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    /// <returns>The outcome recorded, or the refusal when the dossier is gone.</returns>
    public async Task<(string? Outcome, TransitionOutcome Result)> HandleAsync(string planId, string dossierId, Caller caller, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            string? recorded = null;
            var result = await transitions.RunAsync(new TransitionCall(dossierId, caller), (input, ct) =>
            {
                recorded = null;
                return DecideAsync(planId, input, outcome => recorded = outcome, ct);
            }, cancellationToken);

            if (result.Succeeded || attempt == MaxAttempts || result.Refusal!.Kind != RefusalKind.Conflict)
            {
                return (result.Succeeded ? recorded : null, result);
            }

            // A clerk changed the dossier meanwhile: decide again on it as it is now.
        }
    }

    private async Task<TransitionDecision> DecideAsync(string planId, TransitionInput input, Action<string> record, CancellationToken ct)
    {
        var db = input.Db;
        var plan = await db.MigrationPlans.AsNoTracking().SingleAsync(p => p.Id == planId, ct);
        var row = await db.MigrationResults.SingleOrDefaultAsync(r => r.PlanId == planId && r.DossierId == input.Dossier.Id, ct);
        var dossier = input.Dossier;
        var fromVersion = dossier.DefinitionVersion;
        var sources = JsonSerializer.Deserialize<List<int>>(plan.SourceVersionsJson)!;

        if (row is null)
        {
            row = new MigrationResult { PlanId = planId, DossierId = dossier.Id, Outcome = MigrationOutcomes.Pending };
            db.MigrationResults.Add(row);
        }

        row.FromVersion = fromVersion;
        row.At = input.Now;
        if (DefinitionLifecycle.ClosedStatuses.Contains(dossier.Status) || !sources.Contains(fromVersion))
        {
            // Closed since it was listed, or moved by another plan: counted, never touched.
            row.Outcome = DefinitionLifecycle.ClosedStatuses.Contains(dossier.Status) ? MigrationOutcomes.Closed : MigrationOutcomes.Migrated;
            row.ToVersion = fromVersion;
            row.Reason = row.Outcome == MigrationOutcomes.Closed ? $"{dossier.Status} before the run reached it" : "already on another version";
            return Recorded(row, plan, record, []);
        }

        var target = await db.WorkflowDefinitions.AsNoTracking().SingleAsync(d => d.Id == plan.TargetVersionId, ct);
        var targetWorkflow = await workflows.GetAsync(db, target.Id, ct);
        var mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(plan.MappingJson)!;
        var analysis = DossierMigrator.Analyze(input.Workflow, targetWorkflow, input.State, mapping);
        row.MovesJson = JsonSerializer.Serialize(analysis.Moves.Select(m => new MoveView(m.TaskId, m.From, m.To)), JsonBody.Options);
        if (!analysis.CanMigrate)
        {
            row.Outcome = MigrationOutcomes.Blocked;
            row.ToVersion = fromVersion;
            row.Reason = string.Join("; ", analysis.BlockedReasons);
            return Recorded(row, plan, record, []);
        }

        var policy = Enum.Parse<StepTimePolicy>(plan.TimePolicy);
        var state = DossierMigrator.Apply(targetWorkflow, input.State, analysis, mapping, policy, input.Now, input.Time);
        var data = DossierMigrator.Describe(analysis, fromVersion, target.Version, policy);
        data["planId"] = planId;
        var entry = DossierWriter.StageMigration(db, dossier, input.Rows.OpenTasks, input.Rows.Deadlines, input.Rows.NextSequence,
            state, target, input.Actor, data, input.Now);
        row.Outcome = MigrationOutcomes.Migrated;
        row.ToVersion = target.Version;
        row.Reason = null;
        return Recorded(row, plan, record, [entry]);
    }

    private TransitionDecision Recorded(MigrationResult row, MigrationPlan plan, Action<string> record, IReadOnlyList<JournalEntry> added)
    {
        record(row.Outcome);
        return TransitionDecision.Stage(_ => added)
            .Then(dossier => Log.DossierMigrationResult(logger, dossier.Id, plan.ProcedureCode, row.FromVersion, row.ToVersion, row.Outcome));
    }
}
