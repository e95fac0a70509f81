using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The rows of each dossier that a change reads on the write path (the dossier, its open tasks,
/// its pending and fired deadlines) as this process's last change of it wrote them, so that its
/// next change need not read them again: on SQLite those reads were a quarter of a completion's
/// time on the write path with one clerk (BENCHMARKS.md). Only what a durable commit wrote is kept,
/// each with the <see cref="GroupCommit.RowsEpoch"/> it was written in; rows of an older epoch are
/// never used, since another connection may have written them since.
/// <para>
/// The rows are a shortcut, never the authority. A change made with them still carries the
/// dossier's version as read into its UPDATE (a deadline row its status), so if they were not what
/// the store holds the write finds nothing to update; that, or any refusal reached with kept rows,
/// runs the change once more on rows read from the store (<see cref="DossierTransitions"/>).
/// </para>
/// </summary>
public sealed class DossierRows : IDisposable
{
    // Sized by an estimate of the bytes an entry holds; a full cache adds nothing more until its
    // entries expire or are compacted, and a dossier not kept is simply read.
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 64L * 1024 * 1024 });
    private readonly Lock _keeping = new();

    /// <summary>The rows of a dossier kept in epoch <paramref name="epoch"/>; null when none are (read them).</summary>
    internal KeptRows? Find(string dossierId, long epoch) =>
        _cache.TryGetValue(dossierId, out KeptRows? kept) && kept!.Epoch == epoch ? kept : null;

    /// <summary>
    /// Keeps rows durably written in epoch <paramref name="kept"/>.Epoch, unless the epoch has moved
    /// on since (<paramref name="currentEpoch"/>) or a later version of the dossier is already kept:
    /// changes committed together report back in no particular order.
    /// </summary>
    internal void Keep(KeptRows kept, long? currentEpoch)
    {
        if (kept.Epoch != currentEpoch)
        {
            return;
        }

        lock (_keeping)
        {
            if (_cache.TryGetValue(kept.Dossier.Id, out KeptRows? known) && known!.Epoch == kept.Epoch && known.Dossier.Version >= kept.Dossier.Version)
            {
                return;
            }

            _cache.Set(kept.Dossier.Id, kept, new MemoryCacheEntryOptions { Size = kept.Bytes, SlidingExpiration = TimeSpan.FromMinutes(10) });
        }
    }

    /// <summary>Forgets a dossier's rows (a change that did not keep them, or found them not as kept).</summary>
    internal void Forget(string dossierId) => _cache.Remove(dossierId);

    /// <inheritdoc />
    public void Dispose() => _cache.Dispose();
}

/// <summary>A dossier's rows as a durable commit left them (never tracked: copies are attached to a change's context).</summary>
/// <param name="Epoch">The <see cref="GroupCommit.RowsEpoch"/> they were written in.</param>
/// <param name="Dossier">The dossier row.</param>
/// <param name="OpenTasks">Its task rows with an open status (<see cref="TaskStatuses.Open"/>).</param>
/// <param name="Deadlines">Its deadline rows not cancelled.</param>
internal sealed record KeptRows(long Epoch, Dossier Dossier, IReadOnlyList<DossierTask> OpenTasks, IReadOnlyList<Deadline> Deadlines)
{
    /// <summary>A rough size in bytes, for the cache's limit.</summary>
    public long Bytes { get; } = 1024 + (2L * Dossier.StateJson.Length) + (512L * OpenTasks.Count) + (256L * Deadlines.Count);

    /// <summary>
    /// The rows of <paramref name="dossier"/> that <paramref name="db"/> tracks right after a
    /// SaveChanges that wrote them: a change's context tracks every open task and every deadline
    /// not cancelled of its dossier (read on the write path or kept, and those it added), the same
    /// rows the write path's queries return.
    /// </summary>
    public static KeptRows Of(ProcessServerDbContext db, Dossier dossier, long epoch)
    {
        // The entries as tracked; looking for changes again is not needed right after a save.
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            var tasks = db.ChangeTracker.Entries<DossierTask>()
                .Where(e => e.State == EntityState.Unchanged && e.Entity.DossierId == dossier.Id && TaskStatuses.Open.Contains(e.Entity.Status))
                .Select(e => e.Entity.Copy()).ToList();
            var deadlines = db.ChangeTracker.Entries<Deadline>()
                .Where(e => e.State == EntityState.Unchanged && e.Entity.DossierId == dossier.Id && e.Entity.Status != Persistence.Entities.Deadlines.Cancelled)
                .Select(e => e.Entity.Copy()).ToList();
            return new KeptRows(epoch, dossier.Copy(), tasks, deadlines);
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>
    /// The rows attached to <paramref name="db"/> as unchanged (as if just read): copies when
    /// <paramref name="copy"/> (kept rows stay as they are for the next change), else these very
    /// rows (rows just read for this change alone).
    /// </summary>
    public (Dossier Dossier, List<DossierTask> OpenTasks, List<Deadline> Deadlines) AttachTo(ProcessServerDbContext db, bool copy = true)
    {
        var dossier = copy ? Dossier.Copy() : Dossier;
        db.Dossiers.Attach(dossier);
        var tasks = copy ? OpenTasks.Select(t => t.Copy()).ToList() : [.. OpenTasks];
        db.Tasks.AttachRange(tasks);
        var deadlines = copy ? Deadlines.Select(d => d.Copy()).ToList() : [.. Deadlines];
        db.Deadlines.AttachRange(deadlines);
        return (dossier, tasks, deadlines);
    }

    /// <summary>What the check before a completion needs of one of the open tasks; null when the task is not among them (read it).</summary>
    public TaskRef? OpenTask(string taskId) =>
        OpenTasks.FirstOrDefault(t => t.Id == taskId) is { } t ? new TaskRef(t.Id, t.DossierId, t.ActivityId, t.Title, t.UnitCode) : null;
}

/// <summary>How a check on the write path (<see cref="TransitionCall.CheckFirst"/>) finds a task of the dossier: among its kept open tasks, else by reading it.</summary>
public sealed class WritePathTasks
{
    private readonly ProcessServerDbContext _db;
    private readonly KeptRows? _kept;

    internal WritePathTasks(ProcessServerDbContext db, KeptRows? kept)
    {
        _db = db;
        _kept = kept;
    }

    /// <summary>The task's id, dossier, step, title and unit; null when there is no such task.</summary>
    public Task<TaskRef?> FindAsync(string taskId, CancellationToken cancellationToken) =>
        _kept?.OpenTask(taskId) is { } task ? Task.FromResult<TaskRef?>(task) : WritePathQueries.TaskById(_db, taskId, cancellationToken);
}
