using System.Text.Json.Nodes;
using ProcessServer.Engine.Definitions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// Dossiers as Elsa workflow instances (CONTRACT §3.5, §4.6, §4.7), read from the dossier rows and
/// their append-only journal, so the instance viewer draws the path a dossier took over the exact
/// definition version it ran on. Nothing here writes: dossiers change only through the clerk API.
/// </summary>
public sealed class StudioInstances(ProcessServerDbContext db)
{
    /// <summary>A dossier with what the viewer needs.</summary>
    public sealed record Loaded(Dossier Dossier, DossierState State, IReadOnlyList<JournalEntry> Journal, IReadOnlyDictionary<string, VersionMap> Versions)
    {
        /// <summary>The version the dossier runs on now.</summary>
        public VersionMap Current => Versions[Dossier.DefinitionVersionId];
    }

    /// <summary>Node ids, names and types of the activities of one definition version.</summary>
    public sealed record VersionMap(string RootId, string RootNodeId, IReadOnlyDictionary<string, ActivityRef> Activities)
    {
        /// <summary>Reads a stored definition.</summary>
        public static VersionMap From(string json)
        {
            var root = JsonNode.Parse(json)?["root"] as JsonObject ?? [];
            StudioContent.FillRoot(root);
            var activities = (root["activities"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(a => a["id"] is not null)
                .GroupBy(a => a["id"]!.ToString(), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g =>
                {
                    var a = g.First();
                    // Steps are named by their titles in the journal, as on the canvas.
                    return new ActivityRef(a["nodeId"]!.ToString(), WorkflowCompiler.Label(a) ?? g.Key, a["type"]?.ToString() ?? string.Empty,
                        a["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 1);
                }, StringComparer.Ordinal);
            return new VersionMap(root["id"]!.ToString(), root["nodeId"]!.ToString(), activities);
        }
    }

    /// <summary>An activity of a definition version.</summary>
    public sealed record ActivityRef(string NodeId, string Name, string Type, int Version);

    /// <summary>One execution of an activity, derived from the journal.</summary>
    public sealed record Execution(
        string Id,
        string ActivityId,
        string NodeId,
        string ActivityType,
        int ActivityTypeVersion,
        string ActivityName,
        DateTime StartedAt,
        DateTime? CompletedAt,
        string Status,
        bool HasBookmarks,
        JsonObject Properties);

    /// <summary>Loads a dossier, its journal and the definition versions it refers to.</summary>
    public async Task<Loaded?> LoadAsync(string id, CancellationToken cancellationToken)
    {
        var dossier = await db.Dossiers.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id || d.ReceiptCode == id, cancellationToken);
        if (dossier is null)
        {
            return null;
        }

        var journal = await db.Journal.AsNoTracking().Where(j => j.DossierId == dossier.Id).OrderBy(j => j.Sequence).ToListAsync(cancellationToken);
        var versionIds = journal.Select(j => j.DefinitionVersionId).Append(dossier.DefinitionVersionId).Distinct().ToList();
        var versions = await db.WorkflowDefinitions.AsNoTracking().Where(d => versionIds.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => VersionMap.From(d.Json), cancellationToken);
        foreach (var missing in versionIds.Where(v => !versions.ContainsKey(v)))
        {
            versions[missing] = new VersionMap("flowchart", "Workflow1:flowchart", new Dictionary<string, ActivityRef>());
        }

        return new Loaded(dossier, DossierState.FromJson(dossier.StateJson), journal, versions);
    }

    /// <summary>
    /// Loads the dossier an activity execution belongs to: execution ids are task ids, or
    /// "{dossierId}:{sequence}" for automatic activities and "{dossierId}:root" for the flowchart.
    /// </summary>
    public async Task<Loaded?> LoadForExecutionAsync(string executionId, CancellationToken cancellationToken)
    {
        var separator = executionId.IndexOf(':', StringComparison.Ordinal);
        if (separator > 0)
        {
            return await LoadAsync(executionId[..separator], cancellationToken);
        }

        var dossierId = await db.Tasks.AsNoTracking().Where(t => t.Id == executionId).Select(t => t.DossierId).FirstOrDefaultAsync(cancellationToken);
        return dossierId is null ? null : await LoadAsync(dossierId, cancellationToken);
    }

    /// <summary>The instance list (POST /workflow-instances).</summary>
    public async Task<JsonObject> ListAsync(JsonObject filter, CancellationToken cancellationToken)
    {
        var query = db.Dossiers.AsNoTracking();
        var definitionIds = StudioJson.Strings(filter, "definitionIds").Concat(StudioJson.Strings(filter, "definitionId")).Distinct().ToList();
        if (definitionIds.Count > 0)
        {
            query = query.Where(d => definitionIds.Contains(d.ProcedureCode));
        }

        if (StudioJson.Text(filter, "correlationId") is { Length: > 0 } correlation)
        {
            query = query.Where(d => d.ReceiptCode == correlation);
        }

        if (StudioJson.Number(filter, "version") is { } version)
        {
            query = query.Where(d => d.DefinitionVersion == version);
        }

        if (StudioJson.Text(filter, "searchTerm") is { Length: > 0 } search)
        {
            var term = search.Trim();
            query = query.Where(d => d.ReceiptCode.Contains(term) || d.ApplicantName.Contains(term) || d.Id == term || d.ProcedureCode.Contains(term));
        }

        // Status filters on the status column: Returned, Stopped and Refused are the finished dossiers.
        var statuses = StudioJson.Strings(filter, "statuses").Concat(StudioJson.Strings(filter, "status")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var subStatuses = StudioJson.Strings(filter, "subStatuses").Concat(StudioJson.Strings(filter, "subStatus")).ToHashSet(StringComparer.OrdinalIgnoreCase);
        string[] closed = ["Returned", "Stopped", "Refused"];
        if (statuses.Count == 1)
        {
            query = statuses.Contains("Finished") ? query.Where(d => closed.Contains(d.Status)) : query.Where(d => !closed.Contains(d.Status));
        }

        if (subStatuses.Count > 0)
        {
            var wanted = new List<string>();
            if (subStatuses.Contains("Finished"))
            {
                wanted.Add("Returned");
            }

            if (subStatuses.Contains("Cancelled"))
            {
                wanted.Add("Stopped");
                wanted.Add("Refused");
            }

            query = subStatuses.Contains("Suspended")
                ? query.Where(d => wanted.Contains(d.Status) || !closed.Contains(d.Status))
                : query.Where(d => wanted.Contains(d.Status));
        }

        if (StudioJson.Bool(filter, "hasIncidents") == true)
        {
            // Dossiers have no incidents: processing problems are outcomes recorded in the journal.
            query = query.Where(_ => false);
        }

        var descending = !string.Equals(StudioJson.Text(filter, "orderDirection"), "Ascending", StringComparison.OrdinalIgnoreCase);
        query = StudioJson.Text(filter, "orderBy")?.ToUpperInvariant() switch
        {
            "UPDATEDAT" or "UPDATED" => descending ? query.OrderByDescending(d => d.UpdatedAt) : query.OrderBy(d => d.UpdatedAt),
            "FINISHED" or "FINISHEDAT" => descending ? query.OrderByDescending(d => d.ReturnedAt ?? d.StoppedAt) : query.OrderBy(d => d.ReturnedAt ?? d.StoppedAt),
            "NAME" => descending ? query.OrderByDescending(d => d.ReceiptCode) : query.OrderBy(d => d.ReceiptCode),
            _ => descending ? query.OrderByDescending(d => d.ReceivedAt).ThenByDescending(d => d.ReceiptCode) : query.OrderBy(d => d.ReceivedAt).ThenBy(d => d.ReceiptCode),
        };

        var total = await query.CountAsync(cancellationToken);
        var pageSize = Math.Clamp(StudioJson.Number(filter, "pageSize") ?? 50, 1, 500);
        var page = Math.Max(StudioJson.Number(filter, "page") ?? 0, 0);
        var rows = await query.Skip(page * pageSize).Take(pageSize).ToListAsync(cancellationToken);
        return StudioJson.Paged(rows.Select(d => (JsonNode?)Summary(d, DossierState.FromJson(d.StateJson))), total);
    }

    /// <summary>An instance summary (CONTRACT §4.6).</summary>
    public static JsonObject Summary(Dossier dossier, DossierState state) => new()
    {
        ["id"] = dossier.Id,
        ["definitionId"] = dossier.ProcedureCode,
        ["definitionVersionId"] = dossier.DefinitionVersionId,
        ["version"] = dossier.DefinitionVersion,
        ["status"] = Status(state),
        ["subStatus"] = SubStatus(state),
        ["correlationId"] = dossier.ReceiptCode,
        // The list's name column carries the national status, what one-stop staff know a dossier's state by.
        ["name"] = $"{dossier.ReceiptCode} · {dossier.ApplicantName} · {dossier.NationalStatusCode} {Views.DossierViews.NationalName(dossier.NationalStatusCode)}",
        ["incidentCount"] = 0,
        ["createdAt"] = StudioJson.Date(dossier.ReceivedAt),
        ["updatedAt"] = StudioJson.Date(dossier.UpdatedAt),
        ["finishedAt"] = StudioJson.Date(FinishedAt(dossier, state)),
    };

    /// <summary>The instance with its workflow state (GET /workflow-instances/{id}).</summary>
    public static JsonObject Instance(Loaded loaded)
    {
        var (dossier, state) = (loaded.Dossier, loaded.State);
        var instance = Summary(dossier, state);
        instance["workflowState"] = new JsonObject
        {
            ["id"] = dossier.Id,
            ["definitionId"] = dossier.ProcedureCode,
            ["definitionVersionId"] = dossier.DefinitionVersionId,
            ["definitionVersion"] = dossier.DefinitionVersion,
            ["correlationId"] = dossier.ReceiptCode,
            ["status"] = Status(state),
            ["subStatus"] = SubStatus(state),
            ["bookmarks"] = new JsonArray(),
            ["completionCallbacks"] = new JsonArray(),
            ["activityExecutionContexts"] = new JsonArray(),
            ["incidents"] = new JsonArray(),
            ["fault"] = null,
            ["input"] = new JsonObject
            {
                ["receiptCode"] = dossier.ReceiptCode,
                ["procedureCode"] = dossier.ProcedureCode,
                ["applicant"] = dossier.ApplicantName,
                ["channel"] = dossier.Channel,
                ["receivingUnit"] = dossier.ReceivingUnit,
                ["receivedAt"] = StudioJson.Date(dossier.ReceivedAt),
            },
            ["output"] = new JsonObject
            {
                ["status"] = dossier.Status,
                ["nationalStatusCode"] = dossier.NationalStatusCode,
                ["resultReadyAt"] = StudioJson.Date(dossier.ResultReadyAt),
                ["returnedAt"] = StudioJson.Date(dossier.ReturnedAt),
                ["stoppedAt"] = StudioJson.Date(dossier.StoppedAt),
            },
            ["properties"] = new JsonObject
            {
                ["openTasks"] = new JsonArray([.. state.Tasks.Select(t => (JsonNode?)new JsonObject
                {
                    ["taskId"] = t.Id,
                    ["activityId"] = t.ActivityId,
                    ["title"] = t.Title,
                    ["unitCode"] = t.UnitCode,
                    ["role"] = t.Role,
                    ["status"] = t.Status.ToString(),
                    ["timeLimitDays"] = t.TimeLimitDays,
                })]),
            },
            ["createdAt"] = StudioJson.Date(dossier.ReceivedAt),
            ["updatedAt"] = StudioJson.Date(dossier.UpdatedAt),
            ["finishedAt"] = StudioJson.Date(FinishedAt(dossier, state)),
        };
        return instance;
    }

    /// <summary>The polling answer of a running viewer.</summary>
    public static JsonObject ExecutionState(Loaded loaded) => new()
    {
        ["status"] = Status(loaded.State),
        ["workflowSubStatus"] = SubStatus(loaded.State),
        ["updatedAt"] = StudioJson.Date(loaded.Dossier.UpdatedAt),
    };

    /// <summary>Dossier variables.</summary>
    public static JsonObject Variables(Loaded loaded) => StudioJson.List(loaded.State.Variables
        .OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => (JsonNode?)new JsonObject { ["id"] = kv.Key, ["name"] = kv.Key, ["value"] = kv.Value?.DeepClone() }));

    /// <summary>Journal records (CONTRACT §4.7), oldest first, for the given nodes and event names.</summary>
    public static JsonObject Journal(Loaded loaded, JsonObject? filter, int skip, int take)
    {
        var nodeIds = StudioJson.Strings(filter, "activityNodeIds").ToHashSet(StringComparer.Ordinal);
        var activityIds = StudioJson.Strings(filter, "activityIds").ToHashSet(StringComparer.Ordinal);
        var eventNames = StudioJson.Strings(filter, "eventNames").ToHashSet(StringComparer.OrdinalIgnoreCase);
        var records = loaded.Journal
            .Where(j => j.ActivityId is not null)
            .Select(j => Record(loaded, j))
            .Where(r => nodeIds.Count == 0 || nodeIds.Contains(r["nodeId"]!.ToString()))
            .Where(r => activityIds.Count == 0 || activityIds.Contains(r["activityId"]!.ToString()))
            .Where(r => eventNames.Count == 0 || eventNames.Contains(r["eventName"]!.ToString()))
            .ToList();
        return StudioJson.Paged(records.Skip(Math.Max(skip, 0)).Take(take <= 0 ? int.MaxValue : take), records.Count);
    }

    /// <summary>
    /// Executions of activities: one per task (started when the task was created, completed or
    /// cancelled when it closed), one per automatic activity (receipt, decision, fork, join, set
    /// variable, result ready, finish), and one for the flowchart itself.
    /// </summary>
    public static IReadOnlyList<Execution> Executions(Loaded loaded)
    {
        var dossier = loaded.Dossier;
        var current = loaded.Current;
        var list = new List<Execution>
        {
            new($"{dossier.Id}:root", current.RootId, current.RootNodeId, "Elsa.Flowchart", 1, "Flowchart", dossier.ReceivedAt,
                loaded.State.IsFinished ? FinishedAt(dossier, loaded.State) : null,
                loaded.State.IsFinished ? "Completed" : "Running", !loaded.State.IsFinished, new JsonObject()),
        };

        var tasks = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in loaded.Journal.Where(j => j.ActivityId is not null))
        {
            var activity = Activity(loaded, entry);
            var properties = new JsonObject();
            if (entry.Outcome is not null)
            {
                properties["outcome"] = entry.Outcome;
            }

            if (entry.UnitCode is not null)
            {
                properties["unit"] = entry.UnitCode;
            }

            if (entry.TaskId is not null)
            {
                properties["taskId"] = entry.TaskId;
                switch (entry.Type)
                {
                    case JournalEventTypes.TaskCreated:
                        tasks[entry.TaskId] = list.Count;
                        list.Add(new Execution(entry.TaskId, entry.ActivityId!, activity.NodeId, activity.Type, activity.Version, entry.ActivityName ?? activity.Name,
                            entry.Timestamp, null, "Running", true, properties));
                        break;
                    case JournalEventTypes.TaskCompleted or JournalEventTypes.TaskCancelled when tasks.TryGetValue(entry.TaskId, out var index):
                        var open = list[index];
                        properties["completedBy"] = entry.Actor;
                        if (entry.Comment is not null)
                        {
                            properties["comment"] = entry.Comment;
                        }

                        list[index] = open with
                        {
                            CompletedAt = entry.Timestamp,
                            Status = entry.Type == JournalEventTypes.TaskCompleted ? "Completed" : "Canceled",
                            HasBookmarks = false,
                            Properties = properties,
                        };
                        break;
                }

                continue;
            }

            if (entry.Type is JournalEventTypes.DossierReceived or JournalEventTypes.DecisionTaken or JournalEventTypes.BranchesForked
                or JournalEventTypes.BranchesJoined or JournalEventTypes.VariableSet or JournalEventTypes.ResultReady or JournalEventTypes.WorkflowFinished)
            {
                list.Add(new Execution($"{dossier.Id}:{entry.Sequence}", entry.ActivityId!, activity.NodeId, activity.Type, activity.Version,
                    entry.ActivityName ?? activity.Name, entry.Timestamp, entry.Timestamp, "Completed", false, properties));
            }
        }

        return list;
    }

    /// <summary>An activity execution record (CONTRACT §4.7).</summary>
    public static JsonObject ExecutionRecord(Loaded loaded, Execution e) => new()
    {
        ["id"] = e.Id,
        ["workflowInstanceId"] = loaded.Dossier.Id,
        ["activityId"] = e.ActivityId,
        ["activityNodeId"] = e.NodeId,
        ["activityType"] = e.ActivityType,
        ["activityTypeVersion"] = e.ActivityTypeVersion,
        ["activityName"] = e.ActivityName,
        ["activityState"] = new JsonObject(),
        ["payload"] = new JsonObject(),
        ["outputs"] = new JsonObject(),
        ["properties"] = e.Properties.DeepClone(),
        ["metadata"] = new JsonObject(),
        ["exception"] = null,
        ["startedAt"] = StudioJson.Date(e.StartedAt),
        ["hasBookmarks"] = e.HasBookmarks,
        ["status"] = e.Status,
        ["aggregateFaultCount"] = 0,
        ["completedAt"] = StudioJson.Date(e.CompletedAt),
        ["schedulingActivityExecutionId"] = null,
        ["schedulingActivityId"] = null,
        ["schedulingWorkflowInstanceId"] = null,
        ["callStackDepth"] = 0,
    };

    /// <summary>The summary variant of an execution record.</summary>
    public static JsonObject ExecutionSummary(Loaded loaded, Execution e) => new()
    {
        ["id"] = e.Id,
        ["workflowInstanceId"] = loaded.Dossier.Id,
        ["activityId"] = e.ActivityId,
        ["activityNodeId"] = e.NodeId,
        ["activityType"] = e.ActivityType,
        ["activityTypeVersion"] = e.ActivityTypeVersion,
        ["activityName"] = e.ActivityName,
        ["startedAt"] = StudioJson.Date(e.StartedAt),
        ["hasBookmarks"] = e.HasBookmarks,
        ["metadata"] = new JsonObject(),
        ["status"] = e.Status,
        ["completedAt"] = StudioJson.Date(e.CompletedAt),
    };

    /// <summary>Per-node counts: the badges and colours on the viewer's nodes.</summary>
    public static JsonObject Report(Loaded loaded, IReadOnlyCollection<string> nodeIds)
    {
        var executions = Executions(loaded);
        var wanted = nodeIds.Count > 0 ? nodeIds : executions.Select(e => e.NodeId).Distinct().ToList();
        var stats = new JsonArray();
        foreach (var nodeId in wanted)
        {
            var mine = executions.Where(e => e.NodeId == nodeId).ToList();
            if (mine.Count == 0)
            {
                continue;
            }

            stats.Add(new JsonObject
            {
                ["activityId"] = mine[0].ActivityId,
                ["activityNodeId"] = nodeId,
                ["startedCount"] = mine.Count,
                ["completedCount"] = mine.Count(e => e.Status == "Completed"),
                ["uncompletedCount"] = mine.Count(e => e.Status == "Running"),
                ["isBlocked"] = mine.Any(e => e.HasBookmarks),
                ["isFaulted"] = false,
                ["metadata"] = new JsonObject(),
            });
        }

        return new JsonObject { ["stats"] = stats };
    }

    private static JsonObject Record(Loaded loaded, JournalEntry entry)
    {
        var activity = Activity(loaded, entry);
        var instanceId = entry.TaskId ?? $"{entry.DossierId}:{entry.Sequence}";
        return new JsonObject
        {
            ["id"] = $"{entry.DossierId}:log:{entry.Sequence}",
            ["activityInstanceId"] = instanceId,
            ["parentActivityInstanceId"] = $"{entry.DossierId}:root",
            ["activityId"] = entry.ActivityId,
            ["activityType"] = activity.Type,
            ["activityTypeVersion"] = activity.Version,
            ["activityName"] = entry.ActivityName ?? activity.Name,
            ["nodeId"] = activity.NodeId,
            ["timestamp"] = StudioJson.Date(entry.Timestamp),
            ["sequence"] = entry.Sequence,
            ["eventName"] = EventName(entry.Type),
            ["message"] = Message(entry),
            ["source"] = null,
            ["activityState"] = null,
            ["payload"] = entry.DataJson is null ? null : JsonNode.Parse(entry.DataJson),
        };
    }

    private static ActivityRef Activity(Loaded loaded, JournalEntry entry)
    {
        var version = loaded.Versions.GetValueOrDefault(entry.DefinitionVersionId) ?? loaded.Current;
        return version.Activities.GetValueOrDefault(entry.ActivityId!)
            ?? loaded.Current.Activities.GetValueOrDefault(entry.ActivityId!)
            ?? new ActivityRef($"{version.RootNodeId}:{entry.ActivityId}", entry.ActivityName ?? entry.ActivityId!, entry.ActivityType ?? string.Empty, 1);
    }

    /// <summary>Elsa's event names where they mean the same; ProcessServer's own otherwise (shown as-is).</summary>
    private static string EventName(string type) => type switch
    {
        JournalEventTypes.TaskCreated => "Started",
        JournalEventTypes.TaskCompleted => "Completed",
        JournalEventTypes.TaskCancelled => "Cancelled",
        JournalEventTypes.SupplementRequested => "Suspended",
        JournalEventTypes.SupplementReceived => "Resumed",
        JournalEventTypes.DossierReceived or JournalEventTypes.DecisionTaken or JournalEventTypes.BranchesForked
            or JournalEventTypes.BranchesJoined or JournalEventTypes.VariableSet or JournalEventTypes.ResultReady
            or JournalEventTypes.WorkflowFinished => "Completed",
        _ => type,
    };

    private static string? Message(JournalEntry entry) => entry.Type switch
    {
        JournalEventTypes.DossierReceived => $"Dossier received at {ReceivingUnit(entry)}",
        JournalEventTypes.TaskCreated => $"Waiting for {entry.UnitCode}",
        JournalEventTypes.TaskCompleted => $"{entry.Outcome} by {entry.Actor}{(string.IsNullOrWhiteSpace(entry.Comment) ? string.Empty : $": {entry.Comment}")}",
        JournalEventTypes.TaskCancelled => string.IsNullOrWhiteSpace(entry.Comment) ? "Cancelled: the workflow ended first" : $"Cancelled by {entry.Actor}: {entry.Comment}",
        JournalEventTypes.SupplementRequested => $"Supplement requested by {entry.Actor}{(string.IsNullOrWhiteSpace(entry.Comment) ? string.Empty : $": {entry.Comment}")}",
        JournalEventTypes.SupplementReceived => $"Supplement received ({entry.Actor})",
        JournalEventTypes.DecisionTaken => $"Decision: {entry.Outcome}",
        JournalEventTypes.BranchesForked => "Parallel branches started",
        JournalEventTypes.BranchesJoined => "All branches arrived",
        JournalEventTypes.VariableSet => "Variable set",
        JournalEventTypes.ResultReady => "Result ready at the counter",
        JournalEventTypes.ResultReturned => "Result returned to the applicant",
        JournalEventTypes.DossierStopped => $"Processing stopped{(entry.Outcome is null ? string.Empty : $" ({entry.Outcome})")}{(string.IsNullOrWhiteSpace(entry.Comment) ? string.Empty : $": {entry.Comment}")}",
        JournalEventTypes.WorkflowFinished => "Workflow finished",
        JournalEventTypes.WithdrawalRequested => $"The applicant asked to withdraw ({entry.Actor}): {entry.Comment}",
        JournalEventTypes.DossierRefused => $"Refused at the counter by {entry.Actor}: {entry.Comment}",
        JournalEventTypes.CompletionForced => $"Completion forced by {entry.Actor}: {entry.Comment}",
        JournalEventTypes.DossierRepaired => $"Repair ({entry.Outcome}) by {entry.Actor}: {entry.Comment}",
        _ => entry.Comment,
    };

    private static string ReceivingUnit(JournalEntry entry) =>
        entry.DataJson is not null && JsonNode.Parse(entry.DataJson)?["receivingUnit"]?.ToString() is { } unit ? unit : "the counter";

    private static string Status(DossierState state) => state.IsFinished ? "Finished" : "Running";

    private static string SubStatus(DossierState state) => state.IsFinished
        ? state.Stage is DossierStage.Stopped or DossierStage.Refused ? "Cancelled" : "Finished"
        : "Suspended";

    private static DateTime? FinishedAt(Dossier dossier, DossierState state) =>
        state.IsFinished ? dossier.ReturnedAt ?? dossier.StoppedAt ?? dossier.UpdatedAt : null;
}
