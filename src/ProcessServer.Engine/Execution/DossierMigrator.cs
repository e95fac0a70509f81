using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Execution;

/// <summary>What happens to a running step's time when its dossier moves to another version.</summary>
public enum StepTimePolicy
{
    /// <summary>The step keeps its start, so the time already used still counts.</summary>
    KeepElapsed,

    /// <summary>The step starts again at the migration under the target step's limit.</summary>
    Restart,
}

/// <summary>One open task moving from a source activity to a target activity.</summary>
/// <param name="TaskId">The task (its id is kept).</param>
/// <param name="From">Activity id in the source version.</param>
/// <param name="To">Activity id in the target version.</param>
public sealed record TaskMove(string TaskId, string From, string To);

/// <summary>The verdict on one dossier: it migrates with these moves, or it is blocked for these reasons.</summary>
/// <param name="Moves">Task moves when the dossier can migrate.</param>
/// <param name="BlockedReasons">Why it cannot; empty when it can.</param>
public sealed record MigrationAnalysis(IReadOnlyList<TaskMove> Moves, IReadOnlyList<string> BlockedReasons)
{
    /// <summary>Whether the dossier can migrate.</summary>
    public bool CanMigrate => BlockedReasons.Count == 0;
}

/// <summary>
/// Moves an in-flight dossier from one definition version to another. Only open tasks and waiting
/// join tokens move; completed steps are history and never run again. Every check the target must
/// pass is made before anything changes, so a blocked dossier stays exactly as it was, on its old
/// version, still completable.
/// </summary>
public static class DossierMigrator
{
    /// <summary>Checks whether a dossier can move with the given mapping.</summary>
    /// <param name="source">The version the dossier runs on.</param>
    /// <param name="target">The version to move to.</param>
    /// <param name="state">The dossier's current state.</param>
    /// <param name="mapping">Source activity id → target activity id; unlisted ids present in both versions map to themselves.</param>
    public static MigrationAnalysis Analyze(CompiledWorkflow source, CompiledWorkflow target, DossierState state, IReadOnlyDictionary<string, string> mapping)
    {
        var reasons = new List<string>();
        var moves = new List<TaskMove>();
        var targetVersion = $"v{target.Document.Version}";

        if (state.IsClosed || state.IsFinished)
        {
            return new MigrationAnalysis([], ["the dossier is closed; only in-flight dossiers migrate"]);
        }

        foreach (var task in state.Tasks)
        {
            var to = Map(task.ActivityId, target, mapping);
            if (to is null)
            {
                reasons.Add($"active activity '{task.ActivityId}' ({task.Title}) has no mapping and does not exist in {targetVersion}; map it to a {targetVersion} activity");
                continue;
            }

            if (!target.Activities.TryGetValue(to, out var targetActivity))
            {
                reasons.Add($"target activity '{to}' (mapped from '{task.ActivityId}') is missing in {targetVersion}");
                continue;
            }

            if (targetActivity.Task is null || targetActivity.Task.Kind != task.Kind)
            {
                reasons.Add($"target activity '{to}' is a {targetActivity.Type.DisplayName}, incompatible with the open {task.Kind} task at '{task.ActivityId}'");
                continue;
            }

            if (task.Status == PendingTaskStatus.AwaitingSupplement && !targetActivity.Task.AllowedOutcomes.Contains(Outcomes.RequestSupplement))
            {
                reasons.Add($"task '{task.ActivityId}' waits for a supplement but target activity '{to}' does not allow RequestSupplement");
                continue;
            }

            moves.Add(new TaskMove(task.Id, task.ActivityId, to));
        }

        foreach (var duplicate in moves.GroupBy(m => m.To).Where(g => g.Count() > 1))
        {
            reasons.Add($"open tasks {string.Join(", ", duplicate.Select(m => $"'{m.From}'"))} would all land on '{duplicate.Key}'; map them to distinct activities");
        }

        var variables = new HashSet<string>(state.Variables.Keys, StringComparer.Ordinal);
        variables.UnionWith(target.Variables.Values.Where(v => v.DefaultValue is not null).Select(v => v.Name));
        foreach (var decision in target.Activities.Values.Where(a => a.Condition is not null))
        {
            foreach (var name in decision.Condition!.Variables.Where(n => !variables.Contains(n) && !variables.Contains(n.Split('.')[0])))
            {
                reasons.Add($"variable '{name}' needed by decision '{decision.Id}' in {targetVersion} is absent from the dossier and has no default");
            }
        }

        var arrivals = MapArrivals(state, target, mapping, reasons);
        if (reasons.Count == 0)
        {
            reasons.AddRange(FlowGraph.OrphanedBranches(target, moves.Select(m => m.To).ToList(), arrivals));
        }

        return new MigrationAnalysis(reasons.Count == 0 ? moves : [], reasons);
    }

    /// <summary>Applies an analysis that can migrate; returns the new state (the input is not modified).</summary>
    /// <exception cref="InvalidOperationException">The analysis is blocked.</exception>
    /// <param name="target">The version to move to.</param>
    /// <param name="current">The dossier's state.</param>
    /// <param name="analysis">A migrating analysis of that state.</param>
    /// <param name="mapping">The plan's mapping.</param>
    /// <param name="timePolicy">Keep the time a running step already used, or restart it.</param>
    /// <param name="now">Migration instant (UTC).</param>
    /// <param name="time">Calendar to recompute step due instants under the target's limits; without it they are kept.</param>
    public static DossierState Apply(CompiledWorkflow target, DossierState current, MigrationAnalysis analysis,
        IReadOnlyDictionary<string, string> mapping, StepTimePolicy timePolicy, DateTime now, TimeContext? time = null)
    {
        if (!analysis.CanMigrate)
        {
            throw new InvalidOperationException("a blocked dossier cannot be migrated: " + string.Join("; ", analysis.BlockedReasons));
        }

        var state = current.Clone();
        var moves = analysis.Moves.ToDictionary(m => m.TaskId, StringComparer.Ordinal);
        state.Tasks = state.Tasks.Select(task =>
        {
            var activity = target.Activities[moves[task.Id].To];
            var started = timePolicy == StepTimePolicy.Restart ? now : task.CreatedAt;
            var deadlines = time?.StepDeadlines(activity.Task!, started) ?? (task.DueAt, task.WarnAt);
            var moved = PendingTask.For(task.Id, activity, state, started, deadlines);
            moved.Status = task.Status;
            moved.SupplementRequestedAt = task.SupplementRequestedAt;
            moved.Priority = task.Priority;
            moved.FollowUpAt = task.FollowUpAt;

            // The officer keeps the task while it stays in their unit; a step the target version
            // hands to another unit goes to that unit's queue.
            if (moved.UnitCode == task.UnitCode)
            {
                moved.Holder = task.Holder;
                moved.QueuedSince = task.Holder is null ? task.QueuedSince ?? task.CreatedAt : null;
            }
            else
            {
                moved.QueuedSince = now;
            }

            return moved;
        }).ToList();

        var reasons = new List<string>();
        state.JoinArrivals = MapArrivals(current, target, mapping, reasons);
        foreach (var variable in target.Variables.Values.Where(v => !state.Variables.ContainsKey(v.Name)))
        {
            state.Variables[variable.Name] = VariableValues.Coerce(variable.TypeName, variable.DefaultValue);
        }

        return state;
    }

    /// <summary>Journal data describing a migration.</summary>
    public static JsonObject Describe(MigrationAnalysis analysis, int fromVersion, int toVersion, StepTimePolicy policy) => new()
    {
        ["fromVersion"] = fromVersion,
        ["toVersion"] = toVersion,
        ["timePolicy"] = policy.ToString(),
        ["moves"] = new JsonArray([.. analysis.Moves.Select(m => (JsonNode)new JsonObject { ["taskId"] = m.TaskId, ["from"] = m.From, ["to"] = m.To })]),
    };

    private static string? Map(string activityId, CompiledWorkflow target, IReadOnlyDictionary<string, string> mapping) =>
        mapping.TryGetValue(activityId, out var mapped) ? mapped
        : target.Activities.ContainsKey(activityId) ? activityId
        : null;

    private static Dictionary<string, Dictionary<string, int>> MapArrivals(DossierState state, CompiledWorkflow target,
        IReadOnlyDictionary<string, string> mapping, List<string> reasons)
    {
        var result = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        foreach (var (joinId, arrived) in state.JoinArrivals)
        {
            var targetJoin = Map(joinId, target, mapping);
            if (targetJoin is null || !target.Activities.TryGetValue(targetJoin, out var join) || join.Type.Kind != ActivityKind.Join)
            {
                reasons.Add($"a fork branch would be orphaned: join '{joinId}' holds arrived branches but has no join counterpart in v{target.Document.Version}");
                continue;
            }

            var mapped = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (key, count) in arrived)
            {
                // Keys read "source:port->target"; rewrite both ends through the mapping.
                var arrow = key.IndexOf("->", StringComparison.Ordinal);
                var colon = key.LastIndexOf(':', arrow);
                var from = Map(key[..colon], target, mapping) ?? key[..colon];
                var connection = target.Incoming[targetJoin].FirstOrDefault(c => c.Source == from && c.SourcePort == key[(colon + 1)..arrow]);
                if (connection is null)
                {
                    reasons.Add($"a fork branch would be orphaned: the branch from '{key[..colon]}' already reached join '{joinId}', but v{target.Document.Version} has no such branch into '{targetJoin}'");
                    continue;
                }

                mapped[connection.Key] = count;
            }

            result[targetJoin] = mapped;
        }

        return result;
    }
}
