using Microsoft.Extensions.Caching.Memory;
using ProcessServer.Engine.Execution;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// Which dossier each task of a recent change belongs to, so a completion can go to its dossier's
/// write path without reading the task first: the task's checks (found, the caller's unit) are
/// made on the write path instead, on the connection the batch already has open. A task never
/// moves to another dossier, so what is kept here is never wrong, only possibly missing; what the
/// checks need of the task (its unit, whether it is open) is read fresh every time. Kept only once
/// the change that opened the task is committed; bounded, so an old task is read the old way.
/// </summary>
public sealed class TaskDossiers : IDisposable
{
    // About 200 bytes an entry with the cache's own bookkeeping: some 40 MB at most.
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 200_000 });

    /// <summary>The dossier of task <paramref name="taskId"/>, when kept.</summary>
    internal string? Find(string taskId) => _cache.TryGetValue(taskId, out string? dossierId) ? dossierId : null;

    /// <summary>Keeps the dossier of each of <paramref name="tasks"/>, the tasks a committed change left open.</summary>
    internal void Keep(string dossierId, IEnumerable<PendingTask> tasks)
    {
        foreach (var task in tasks)
        {
            _cache.Set(task.Id, dossierId, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromMinutes(30) });
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _cache.Dispose();
}
