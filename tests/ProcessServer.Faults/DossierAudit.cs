using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Faults;

/// <summary>A dossier's stored rows, read straight from the database.</summary>
public sealed record StoredDossier(Dossier Row, IReadOnlyList<DossierTask> Tasks, IReadOnlyList<JournalEntry> Journal)
{
    /// <summary>
    /// The state changes the journal holds, one per acknowledged request: a completion, a
    /// supplement request or a supplement receipt, keyed by task and outcome.
    /// </summary>
    public IEnumerable<(string TaskId, string Outcome)> Changes => Journal
        .Where(j => j.Type is JournalEventTypes.TaskCompleted or JournalEventTypes.SupplementRequested or JournalEventTypes.SupplementReceived)
        .Select(j => (j.TaskId ?? string.Empty, j.Outcome ?? string.Empty));
}

/// <summary>
/// Checks that a dossier's journal and its state agree: the journal is a gap-free sequence that
/// starts with the receipt, every task row was created once and closed at most once as the journal
/// says, the open tasks are exactly those of the stored engine state, and the status follows from
/// the journal.
/// </summary>
public static class DossierAudit
{
    /// <summary>Every dossier.</summary>
    public static Task<Dictionary<string, StoredDossier>> LoadAsync(ProcessServerDbContext db, CancellationToken cancellationToken) => LoadAsync(db, null, cancellationToken);

    /// <summary>Every dossier, or only <paramref name="dossierId"/>.</summary>
    public static async Task<Dictionary<string, StoredDossier>> LoadAsync(ProcessServerDbContext db, string? dossierId, CancellationToken cancellationToken)
    {
        var dossiers = await db.Dossiers.AsNoTracking().Where(d => dossierId == null || d.Id == dossierId).ToListAsync(cancellationToken);
        var tasks = (await db.Tasks.AsNoTracking().Where(t => dossierId == null || t.DossierId == dossierId).ToListAsync(cancellationToken))
            .ToLookup(t => t.DossierId, StringComparer.Ordinal);
        var journal = (await db.Journal.AsNoTracking().Where(j => dossierId == null || j.DossierId == dossierId).ToListAsync(cancellationToken))
            .ToLookup(j => j.DossierId, StringComparer.Ordinal);
        return dossiers.ToDictionary(
            d => d.Id,
            d => new StoredDossier(d, [.. tasks[d.Id]], [.. journal[d.Id].OrderBy(j => j.Sequence)]),
            StringComparer.Ordinal);
    }

    /// <summary>Every inconsistency found, as sentences; empty when the dossier is consistent.</summary>
    public static List<string> Inconsistencies(StoredDossier dossier)
    {
        var problems = new List<string>();
        var row = dossier.Row;
        var code = row.ReceiptCode;
        void Problem(string text) => problems.Add($"dossier {code} ({row.Id}): {text}");

        var sequences = dossier.Journal.Select(j => j.Sequence).ToList();
        if (!sequences.SequenceEqual(Enumerable.Range(1, sequences.Count)))
        {
            Problem($"journal sequences are not 1..{sequences.Count}: {string.Join(",", sequences.Take(30))}");
        }

        if (dossier.Journal.Count == 0 || dossier.Journal[0].Type != JournalEventTypes.DossierReceived)
        {
            Problem($"journal does not start with {JournalEventTypes.DossierReceived}");
        }

        var byTask = dossier.Journal.Where(j => j.TaskId is not null).ToLookup(j => j.TaskId!, StringComparer.Ordinal);
        foreach (var task in dossier.Tasks)
        {
            var entries = byTask[task.Id].ToList();
            var created = entries.Count(e => e.Type == JournalEventTypes.TaskCreated);
            var completed = entries.Count(e => e.Type == JournalEventTypes.TaskCompleted);
            var cancelled = entries.Count(e => e.Type == JournalEventTypes.TaskCancelled);
            if (created != 1)
            {
                Problem($"task {task.ActivityId} ({task.Id}) has {created} TaskCreated entries");
            }

            var expected = completed switch
            {
                > 1 => null,
                1 => TaskStatuses.Completed,
                _ when cancelled > 0 => TaskStatuses.Cancelled,
                _ => LastSupplementEvent(entries) == JournalEventTypes.SupplementRequested ? TaskStatuses.AwaitingSupplement : TaskStatuses.Pending,
            };
            if (expected is null)
            {
                Problem($"task {task.ActivityId} ({task.Id}) completed {completed} times in the journal");
            }
            else if (task.Status != expected)
            {
                Problem($"task {task.ActivityId} ({task.Id}) is {task.Status} but its journal says {expected}");
            }

            if (completed == 1 && entries.Single(e => e.Type == JournalEventTypes.TaskCompleted).Outcome != task.Outcome)
            {
                Problem($"task {task.ActivityId} ({task.Id}) row outcome {task.Outcome} differs from the journal's");
            }
        }

        var rowIds = dossier.Tasks.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var orphan in byTask.Select(g => g.Key).Where(id => !rowIds.Contains(id)))
        {
            Problem($"journal names task {orphan}, which has no task row");
        }

        var state = DossierState.FromJson(row.StateJson);
        var stateOpen = state.Tasks.Select(t => t.Id).Order(StringComparer.Ordinal).ToList();
        var rowsOpen = dossier.Tasks.Where(t => TaskStatuses.Open.Contains(t.Status)).Select(t => t.Id).Order(StringComparer.Ordinal).ToList();
        if (!stateOpen.SequenceEqual(rowsOpen, StringComparer.Ordinal))
        {
            Problem($"open task rows [{string.Join(",", rowsOpen)}] differ from the engine state's tasks [{string.Join(",", stateOpen)}]");
        }

        var returned = dossier.Journal.Any(j => j.Type == JournalEventTypes.ResultReturned);
        var stopped = dossier.Journal.Any(j => j.Type == JournalEventTypes.DossierStopped);
        if (returned != (row.Status == "Returned") || stopped != (row.Status == "Stopped"))
        {
            Problem($"status {row.Status} does not follow from the journal (returned {returned}, stopped {stopped})");
        }

        if ((returned || stopped) != (rowsOpen.Count == 0))
        {
            Problem($"status {row.Status} with {rowsOpen.Count} open tasks");
        }

        return problems;
    }

    /// <summary>Changes as a multiset: (task, outcome) → how many times.</summary>
    public static Dictionary<(string, string), int> Multiset(IEnumerable<(string TaskId, string Outcome)> changes)
    {
        var counts = new Dictionary<(string, string), int>();
        foreach (var change in changes)
        {
            counts[change] = counts.GetValueOrDefault(change) + 1;
        }

        return counts;
    }

    public static string Describe((string TaskId, string Outcome) change) =>
        string.Create(CultureInfo.InvariantCulture, $"{change.Outcome} of task {change.TaskId}");

    private static string? LastSupplementEvent(List<JournalEntry> entries) => entries
        .Where(e => e.Type is JournalEventTypes.SupplementRequested or JournalEventTypes.SupplementReceived)
        .OrderBy(e => e.Sequence)
        .LastOrDefault()?.Type;
}
