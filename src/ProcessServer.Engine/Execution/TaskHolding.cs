using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace ProcessServer.Engine.Execution;

/// <summary>A person (or an integration acting under an API key) as the journal and task holders name them.</summary>
/// <param name="Id">Stable id: the identity provider's subject, or the API key's name.</param>
/// <param name="Name">Display name at the time of the act.</param>
public sealed record PersonRef(string Id, string Name);

/// <summary>Who holds a task, since when, and how it came to them.</summary>
public sealed record TaskHolder
{
    /// <summary>The holder's stable id.</summary>
    public required string Id { get; init; }

    /// <summary>The holder's display name.</summary>
    public required string Name { get; init; }

    /// <summary>When they got it, UTC.</summary>
    public required DateTime Since { get; init; }

    /// <summary>How: Claimed, Assigned or Delegated.</summary>
    public required string Via { get; init; }

    /// <summary>Who assigned or delegated it (null when claimed).</summary>
    public PersonRef? By { get; init; }

    /// <summary>The reason given for an assignment or delegation.</summary>
    public string? Reason { get; init; }

    /// <summary>The holder as a person reference.</summary>
    [JsonIgnore]
    public PersonRef Person => new(Id, Name);
}

/// <summary>How a holder got a task.</summary>
public static class HoldingVia
{
    /// <summary>The officer took it from the unit's queue.</summary>
    public const string Claimed = "Claimed";

    /// <summary>The unit's leader gave it to the officer.</summary>
    public const string Assigned = "Assigned";

    /// <summary>The previous holder handed it over, with a reason.</summary>
    public const string Delegated = "Delegated";
}

/// <summary>Priority of a task within its holder's work.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TaskPriority>))]
public enum TaskPriority
{
    /// <summary>Can wait.</summary>
    Low,

    /// <summary>The default.</summary>
    Normal,

    /// <summary>Before normal work.</summary>
    High,

    /// <summary>First.</summary>
    Urgent,
}

/// <summary>
/// Who holds a dossier's tasks: claim, release, assign, delegate, priorities, and moving a retired
/// unit's work to its successor. Pure functions of the state like the interpreter: each returns the
/// whole new state and its journal events, and never changes the input. Who may do what (the unit's
/// leader, the holder) is decided by the caller, which knows the units and people; the rules that
/// depend only on the dossier (who holds it now, whether it is still open) are decided here.
/// </summary>
public static class TaskHolding
{
    /// <summary>An officer of the task's unit takes it from the queue.</summary>
    /// <exception cref="TransitionException">The task is not pending, or someone (possibly the claimant) holds it.</exception>
    public static TransitionResult Claim(DossierState current, string taskId, PersonRef officer, DateTime now)
    {
        var (state, task) = Open(current, taskId);
        if (task.Holder is { } holder)
        {
            throw holder.Id == officer.Id
                ? new TransitionException(TransitionError.TaskAlreadyYours, $"you already hold task '{task.Title}' (since {holder.Since:yyyy-MM-dd HH:mm} UTC)")
                : HeldBy(task, holder, "claim it");
        }

        Hold(task, new TaskHolder { Id = officer.Id, Name = officer.Name, Since = now, Via = HoldingVia.Claimed });
        return Result(state, Event(JournalEventTypes.TaskClaimed, task, officer, now, null, HolderData(task.Holder!, null)));
    }

    /// <summary>The holder (or, when <paramref name="asLeader"/>, the unit's leader) puts the task back in the unit's queue.</summary>
    /// <exception cref="TransitionException">The task is not pending, nobody holds it, or the actor is neither its holder nor the leader.</exception>
    public static TransitionResult Release(DossierState current, string taskId, PersonRef actor, bool asLeader, string? reason, DateTime now)
    {
        var (state, task) = Open(current, taskId);
        var holder = task.Holder ?? throw new TransitionException(TransitionError.TaskNotHeld,
            $"nobody holds task '{task.Title}'; it is already in unit {task.UnitCode}'s queue");
        if (holder.Id != actor.Id && !asLeader)
        {
            throw new TransitionException(TransitionError.NotTheHolder,
                $"task '{task.Title}' is held by {holder.Name} ({holder.Id}); only they or the leader of unit {task.UnitCode} can release it");
        }

        Queue(task, now);
        return Result(state, Event(JournalEventTypes.TaskReleased, task, actor, now, reason, new JsonObject
        {
            ["previousHolderId"] = holder.Id,
            ["previousHolderName"] = holder.Name,
        }));
    }

    /// <summary>The unit's leader gives the task to an officer of the unit, or takes it from one officer and gives it to another.</summary>
    /// <exception cref="TransitionException">The task is not pending, or the officer holds it already.</exception>
    public static TransitionResult Assign(DossierState current, string taskId, PersonRef officer, PersonRef leader, string? reason, DateTime now)
    {
        var (state, task) = Open(current, taskId);
        var previous = task.Holder;
        if (previous?.Id == officer.Id)
        {
            throw new TransitionException(TransitionError.TaskAlreadyYours, $"{officer.Name} ({officer.Id}) already holds task '{task.Title}'");
        }

        Hold(task, new TaskHolder { Id = officer.Id, Name = officer.Name, Since = now, Via = HoldingVia.Assigned, By = leader, Reason = reason });
        return Result(state, Event(previous is null ? JournalEventTypes.TaskAssigned : JournalEventTypes.TaskReassigned,
            task, leader, now, reason, HolderData(task.Holder!, previous)));
    }

    /// <summary>The holder hands the task to another officer of the unit, saying why.</summary>
    /// <exception cref="TransitionException">The task is not pending, the actor does not hold it, or they delegate to themselves.</exception>
    public static TransitionResult Delegate(DossierState current, string taskId, PersonRef officer, PersonRef holderActing, string reason, DateTime now)
    {
        var (state, task) = Open(current, taskId);
        var holder = task.Holder;
        if (holder is null || holder.Id != holderActing.Id)
        {
            throw new TransitionException(TransitionError.NotTheHolder, holder is null
                ? $"nobody holds task '{task.Title}'; claim it before delegating it, or ask the leader of unit {task.UnitCode} to assign it"
                : $"task '{task.Title}' is held by {holder.Name} ({holder.Id}); only the holder can delegate it (the unit's leader reassigns instead)");
        }

        if (officer.Id == holder.Id)
        {
            throw new TransitionException(TransitionError.TaskAlreadyYours, $"you already hold task '{task.Title}'; delegate it to another officer");
        }

        Hold(task, new TaskHolder { Id = officer.Id, Name = officer.Name, Since = now, Via = HoldingVia.Delegated, By = holderActing, Reason = reason });
        return Result(state, Event(JournalEventTypes.TaskDelegated, task, holderActing, now, reason, HolderData(task.Holder!, holder)));
    }

    /// <summary>The holder (or the unit's leader) sets the task's priority and follow-up date.</summary>
    /// <param name="current">The dossier's state.</param>
    /// <param name="taskId">The task.</param>
    /// <param name="priority">New priority, or null to keep it.</param>
    /// <param name="followUpAt">New follow-up date (UTC), or null to keep it.</param>
    /// <param name="clearFollowUp">Removes the follow-up date.</param>
    /// <param name="actor">Who sets it.</param>
    /// <param name="asLeader">Whether the actor leads the task's unit.</param>
    /// <param name="now">When (UTC).</param>
    /// <exception cref="TransitionException">The task is not pending, or the actor neither holds it nor leads its unit.</exception>
    public static TransitionResult Prioritise(DossierState current, string taskId, TaskPriority? priority, DateTime? followUpAt, bool clearFollowUp,
        PersonRef actor, bool asLeader, DateTime now)
    {
        var (state, task) = Open(current, taskId);
        if (task.Holder?.Id != actor.Id && !asLeader)
        {
            throw new TransitionException(TransitionError.NotTheHolder, task.Holder is { } holder
                ? $"task '{task.Title}' is held by {holder.Name} ({holder.Id}); only the holder or the leader of unit {task.UnitCode} sets its priority"
                : $"nobody holds task '{task.Title}'; claim it first, or ask the leader of unit {task.UnitCode}");
        }

        task.Priority = priority ?? task.Priority;
        task.FollowUpAt = clearFollowUp ? null : followUpAt ?? task.FollowUpAt;
        return Result(state, Event(JournalEventTypes.TaskPrioritySet, task, actor, now, null, new JsonObject
        {
            ["priority"] = task.Priority.ToString(),
            ["followUpAt"] = task.FollowUpAt,
        }));
    }

    /// <summary>
    /// Moves a retired unit's work to its successor: its open tasks (with their holders unless
    /// <paramref name="releaseHeld"/>), and the unit in which the dossier's future steps addressed to
    /// it will start. Completed steps stay under the unit that did them.
    /// </summary>
    /// <exception cref="TransitionException">The dossier is closed.</exception>
    public static TransitionResult MoveUnit(DossierState current, string fromUnit, string toUnit, bool releaseHeld, PersonRef actor, DateTime now)
    {
        if (current.IsClosed)
        {
            throw new TransitionException(TransitionError.DossierClosed, $"the dossier is closed ({DossierStatusRules.Derive(current)}); its history stays as it was");
        }

        var state = current.Clone();

        // Earlier moves into the retired unit now lead on to its successor.
        foreach (var (retired, successor) in state.UnitMoves.Where(m => m.Value == fromUnit).ToList())
        {
            state.UnitMoves[retired] = toUnit;
        }

        state.UnitMoves[fromUnit] = toUnit;
        var moved = new JsonArray();
        var events = new List<JournalEvent>();
        foreach (var task in state.Tasks.Where(t => t.UnitCode == fromUnit))
        {
            task.UnitCode = toUnit;
            var released = releaseHeld && task.Holder is not null;
            moved.Add(new JsonObject
            {
                ["taskId"] = task.Id,
                ["activityId"] = task.ActivityId,
                ["holderId"] = task.Holder?.Id,
                ["holderName"] = task.Holder?.Name,
                ["released"] = released,
            });
            if (released)
            {
                var holder = task.Holder!;
                Queue(task, now);
                events.Add(Event(JournalEventTypes.TaskReleased, task, actor, now, $"unit {fromUnit} was succeeded by {toUnit}", new JsonObject
                {
                    ["previousHolderId"] = holder.Id,
                    ["previousHolderName"] = holder.Name,
                }));
            }
        }

        events.Insert(0, new JournalEvent
        {
            Type = JournalEventTypes.UnitReorganised,
            Timestamp = now,
            UnitCode = toUnit,
            Actor = actor.Name,
            Comment = $"the work of unit {fromUnit} moved to {toUnit}",
            Data = new JsonObject { ["fromUnit"] = fromUnit, ["toUnit"] = toUnit, ["tasks"] = moved },
        });
        return new TransitionResult(state, events, [], []);
    }

    /// <summary>The refusal for an act on a task someone else holds, naming them.</summary>
    internal static TransitionException HeldBy(PendingTask task, TaskHolder holder, string act) =>
        new(TransitionError.TaskHeldByOther,
            $"task '{task.Title}' is held by {holder.Name} ({holder.Id}) since {holder.Since:yyyy-MM-dd HH:mm} UTC; you cannot {act}. "
            + $"Ask {holder.Name} to release or delegate it, or the leader of unit {task.UnitCode} to reassign it");

    private static (DossierState State, PendingTask Task) Open(DossierState current, string taskId)
    {
        if (current.IsClosed)
        {
            throw new TransitionException(TransitionError.DossierClosed, $"the dossier is closed ({DossierStatusRules.Derive(current)}); its tasks cannot change");
        }

        var state = current.Clone();
        var task = state.Tasks.FirstOrDefault(t => t.Id == taskId)
            ?? throw new TransitionException(TransitionError.TaskNotPending, $"task {taskId} is not pending on this dossier; it was completed already or belongs to another dossier");
        return (state, task);
    }

    private static void Hold(PendingTask task, TaskHolder holder)
    {
        task.Holder = holder;
        task.QueuedSince = null;
    }

    private static void Queue(PendingTask task, DateTime now)
    {
        task.Holder = null;
        task.QueuedSince = now;
    }

    private static JsonObject HolderData(TaskHolder holder, TaskHolder? previous)
    {
        var data = new JsonObject { ["holderId"] = holder.Id, ["holderName"] = holder.Name };
        if (previous is not null)
        {
            data["previousHolderId"] = previous.Id;
            data["previousHolderName"] = previous.Name;
        }

        return data;
    }

    private static TransitionResult Result(DossierState state, JournalEvent entry) => new(state, [entry], [], []);

    private static JournalEvent Event(string type, PendingTask task, PersonRef actor, DateTime now, string? comment, JsonObject? data) => new()
    {
        Type = type,
        Timestamp = now,
        ActivityId = task.ActivityId,
        ActivityType = task.ActivityType,
        ActivityName = task.Title,
        TaskId = task.Id,
        UnitCode = task.UnitCode,
        Actor = actor.Name,
        Comment = comment,
        StartedAt = task.CreatedAt,
        Data = data,
    };
}
