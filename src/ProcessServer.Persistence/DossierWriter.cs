using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// Stages the effects of one engine transition on the context: dossier row, task rows and
/// journal rows. Nothing is written until the caller's single SaveChanges, so a transition lands
/// whole or not at all; the dossier's Version column makes a concurrent transition fail instead
/// of overwriting.
/// </summary>
public static class DossierWriter
{
    /// <summary>Stages a transition of an existing dossier (already tracked).</summary>
    /// <param name="db">The context.</param>
    /// <param name="dossier">The tracked dossier row.</param>
    /// <param name="openTasks">The dossier's tracked open task rows.</param>
    /// <param name="deadlines">The dossier's tracked deadline rows (pending and fired; cancelled ones are not needed).</param>
    /// <param name="nextSequence">Journal sequence number for the first new entry.</param>
    /// <param name="result">What the engine decided.</param>
    /// <param name="actor">Who acted, and for which unit; stamped on every journal row of the transition.</param>
    /// <param name="now">Server time of the write, UTC.</param>
    /// <returns>The journal rows staged.</returns>
    public static IReadOnlyList<JournalEntry> Stage(
        ProcessServerDbContext db,
        Dossier dossier,
        IReadOnlyCollection<DossierTask> openTasks,
        IReadOnlyCollection<Deadline> deadlines,
        int nextSequence,
        TransitionResult result,
        JournalActor actor,
        DateTime now)
    {
        var state = result.State;
        var status = result.Status;
        dossier.StateJson = state.ToJson();
        dossier.Status = status.ToString();
        dossier.NationalStatusCode = DossierStatusRules.NationalCode(status);
        dossier.ResultReadyAt = state.ResultReadyAt;
        dossier.ReturnedAt = state.ReturnedAt;
        dossier.StoppedAt = state.StoppedAt;
        WriteTimes(dossier, state);
        dossier.UpdatedAt = now;
        dossier.Version++;

        var rows = openTasks.ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (var closed in result.ClosedTasks)
        {
            if (rows.TryGetValue(closed.Task.Id, out var row))
            {
                row.Status = closed.Cancelled ? TaskStatuses.Cancelled : TaskStatuses.Completed;
                row.Outcome = closed.Outcome;
                row.CompletedAt = closed.ClosedAt;
                var completion = result.Events.FirstOrDefault(e => e.TaskId == closed.Task.Id && e.Type == JournalEventTypes.TaskCompleted);
                row.CompletedBy = completion?.Actor;
                row.CompletedById = completion is null ? null : actor.Id;
                row.Comment = completion?.Comment;
                row.Verdict = closed.Verdict?.ToString();
            }
        }

        foreach (var pending in state.Tasks)
        {
            if (rows.TryGetValue(pending.Id, out var row))
            {
                row.Status = pending.Status.ToString();
                row.DueAt = pending.DueAt;
                row.WarnAt = pending.WarnAt;
                WriteHolding(row, pending);
            }
        }

        foreach (var created in result.CreatedTasks.Where(t => !result.ClosedTasks.Any(c => c.Task.Id == t.Id)))
        {
            db.Tasks.Add(ToRow(dossier.Id, created));
        }

        // A task created and cancelled in the same transition (a Finish right after a fork) is
        // still a step execution worth a row.
        foreach (var closed in result.ClosedTasks.Where(c => !rows.ContainsKey(c.Task.Id)))
        {
            var row = ToRow(dossier.Id, closed.Task);
            row.Status = closed.Cancelled ? TaskStatuses.Cancelled : TaskStatuses.Completed;
            row.Outcome = closed.Outcome;
            row.CompletedAt = closed.ClosedAt;
            db.Tasks.Add(row);
        }

        var entries = result.Events.Select((e, i) => new JournalEntry
        {
            DossierId = dossier.Id,
            Sequence = nextSequence + i,
            Timestamp = e.Timestamp,
            Type = e.Type,
            DefinitionVersionId = dossier.DefinitionVersionId,
            ActivityId = e.ActivityId,
            ActivityType = e.ActivityType,
            ActivityName = e.ActivityName,
            TaskId = e.TaskId,
            UnitCode = e.UnitCode,
            Actor = e.Actor,
            Outcome = e.Outcome,
            Comment = e.Comment,
            StartedAt = e.StartedAt,
            CompletedAt = e.CompletedAt,
            DataJson = e.Data?.ToJsonString(),
            ActorId = actor.Id,
            ActorName = actor.Name,
            ActedForUnit = actor.ActedForUnit,
            RecordedAt = now,
        }).ToList();
        db.Journal.AddRange(entries);
        SyncDeadlines(db, dossier.Id, state, deadlines);
        return entries;
    }

    /// <summary>
    /// Makes the dossier's pending deadlines match its open tasks: a warning and an overdue event
    /// per counted step that is not waiting for the applicant. A deadline that already fired is
    /// never created again, so nothing fires twice.
    /// </summary>
    public static void SyncDeadlines(ProcessServerDbContext db, string dossierId, DossierState state, IReadOnlyCollection<Deadline> existing)
    {
        var wanted = state.Tasks
            .Where(t => t.Status == PendingTaskStatus.Pending && !state.IsClosed)
            .SelectMany(t => new[] { (Task: t, Kind: Deadlines.Warning, At: t.WarnAt), (Task: t, Kind: Deadlines.Overdue, At: t.DueAt) })
            .Where(w => w.At is not null)
            .ToList();

        foreach (var row in existing.Where(d => d.Status == Deadlines.Pending))
        {
            var match = wanted.FirstOrDefault(w => w.Task.Id == row.TaskId && w.Kind == row.Kind && w.At == row.FireAt);
            if (match.Task is null)
            {
                row.Status = Deadlines.Cancelled;
            }
            else
            {
                // A reorganisation moves a step to another unit; its deadlines fire there.
                row.UnitCode = match.Task.UnitCode;
            }
        }

        foreach (var (task, kind, at) in wanted)
        {
            if (existing.Any(d => d.TaskId == task.Id && d.Kind == kind && d.FireAt == at && d.Status != Deadlines.Cancelled))
            {
                continue;
            }

            db.Deadlines.Add(new Deadline
            {
                Id = Guid.CreateVersion7().ToString(),
                DossierId = dossierId,
                TaskId = task.Id,
                UnitCode = task.UnitCode,
                Kind = kind,
                FireAt = at!.Value,
                Status = Deadlines.Pending,
            });
        }
    }

    /// <summary>Who holds the task, its queue time, priority and follow-up, as the state says.</summary>
    private static void WriteHolding(DossierTask row, PendingTask task)
    {
        row.UnitCode = task.UnitCode;
        row.AssigneeId = task.Holder?.Id;
        row.AssigneeName = task.Holder?.Name;
        row.AssignedAt = task.Holder?.Since;
        row.AssignedVia = task.Holder?.Via;
        row.QueuedSince = task.Holder is null ? task.QueuedSince ?? task.CreatedAt : null;
        row.Priority = task.Priority.ToString();
        row.FollowUpAt = task.FollowUpAt;
    }

    private static void WriteTimes(Dossier dossier, DossierState state)
    {
        dossier.AppointmentAt = state.AppointmentAt;
        dossier.DueAt = state.DueAt;
        dossier.ApologyDueAt = state.Apology?.NewDueAt;
        dossier.Verdict = state.Verdict?.ToString();
        dossier.CalendarVersion = state.CalendarVersion;
        dossier.SupplementRequests = state.SupplementRequests;
        dossier.StopKind = state.StopKind?.ToString();
    }

    /// <summary>
    /// Stages the move of a dossier to another definition version: new state and version columns,
    /// task rows re-pointed at their target activities (ids kept, so clerks' inboxes stay valid),
    /// one journal entry describing the move.
    /// </summary>
    public static JournalEntry StageMigration(
        ProcessServerDbContext db,
        Dossier dossier,
        IReadOnlyCollection<DossierTask> openTasks,
        IReadOnlyCollection<Deadline> deadlines,
        int nextSequence,
        DossierState state,
        WorkflowDefinitionVersion target,
        JournalActor actor,
        JsonObject data,
        DateTime now)
    {
        dossier.StateJson = state.ToJson();
        dossier.DefinitionVersionId = target.Id;
        dossier.DefinitionVersion = target.Version;
        dossier.UpdatedAt = now;
        dossier.Version++;

        foreach (var row in openTasks)
        {
            var task = state.Tasks.Single(t => t.Id == row.Id);
            row.ActivityId = task.ActivityId;
            row.ActivityType = task.ActivityType;
            row.Kind = task.Kind.ToString();
            row.Title = task.Title;
            row.UnitCode = task.UnitCode;
            row.Role = task.Role;
            row.TimeLimitDays = task.TimeLimitDays;
            row.CreatedAt = task.CreatedAt;
            row.DueAt = task.DueAt;
            row.WarnAt = task.WarnAt;
            WriteHolding(row, task);
        }

        SyncDeadlines(db, dossier.Id, state, deadlines);

        var entry = new JournalEntry
        {
            DossierId = dossier.Id,
            Sequence = nextSequence,
            Timestamp = now,
            Type = JournalEventTypes.DossierMigrated,
            DefinitionVersionId = target.Id,
            Actor = actor.Name,
            Comment = $"moved from version {data["fromVersion"]} to version {target.Version}",
            DataJson = data.ToJsonString(),
            ActorId = actor.Id,
            ActorName = actor.Name,
            ActedForUnit = actor.ActedForUnit,
            RecordedAt = now,
            RecordedBy = actor.Name,
        };
        db.Journal.Add(entry);
        return entry;
    }

    /// <summary>
    /// Loads what a transition of an existing dossier rewrites: its open task rows and deadline
    /// rows (tracked). Its journal is not read here: the caller knows where it ends
    /// (<paramref name="journal"/>), from the entries it read or kept serialized for the answer.
    /// </summary>
    public static async Task<TransitionRows> LoadRowsAsync(ProcessServerDbContext db, string dossierId, JournalMark journal, CancellationToken cancellationToken) =>
        new(await WritePathQueries.OpenTasksAsync(db, dossierId, cancellationToken),
            await WritePathQueries.DeadlinesAsync(db, dossierId, cancellationToken),
            journal);

    private static DossierTask ToRow(string dossierId, PendingTask task)
    {
        var row = NewRow(dossierId, task);
        WriteHolding(row, task);
        return row;
    }

    private static DossierTask NewRow(string dossierId, PendingTask task) => new()
    {
        Id = task.Id,
        DossierId = dossierId,
        ActivityId = task.ActivityId,
        ActivityType = task.ActivityType,
        Kind = task.Kind.ToString(),
        Title = task.Title,
        UnitCode = task.UnitCode,
        Role = task.Role,
        Status = task.Status.ToString(),
        TimeLimitDays = task.TimeLimitDays,
        CreatedAt = task.CreatedAt,
        DueAt = task.DueAt,
        WarnAt = task.WarnAt,
    };
}

/// <summary>Who acted in a transition, as every journal row of it records.</summary>
/// <param name="Id">Stable id: the identity provider's subject, or the API key's name.</param>
/// <param name="Name">Display name at the time.</param>
/// <param name="ActedForUnit">The unit acted for (the task's unit, the receiving unit); null for province-wide acts.</param>
public sealed record JournalActor(string Id, string Name, string? ActedForUnit);

/// <summary>The rows of one dossier that a transition reads and rewrites, and where its journal ends.</summary>
/// <param name="OpenTasks">Open task rows (tracked).</param>
/// <param name="Deadlines">Deadline rows pending or fired (tracked); cancelled ones are left unread.</param>
/// <param name="Journal">The end of the journal so far (append-only): its last sequence number and latest timestamp.</param>
public sealed record TransitionRows(List<DossierTask> OpenTasks, List<Deadline> Deadlines, JournalMark Journal)
{
    /// <summary>Sequence number of the next journal entry.</summary>
    public int NextSequence => Journal.LastSequence + 1;

    /// <summary>The latest instant any entry of the journal records (entries late-entered may be earlier than ones before them); null for an empty journal.</summary>
    public DateTime? LastTimestamp => Journal.LastTimestamp;
}

/// <summary>The end of a part of a dossier's journal: its last sequence number and the latest timestamp in it.</summary>
/// <param name="LastSequence">Highest sequence number in the part (0 for none).</param>
/// <param name="LastTimestamp">Latest timestamp in the part, or null when it is empty.</param>
public sealed record JournalMark(int LastSequence, DateTime? LastTimestamp);
