using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// The reads every state change of a dossier makes, compiled once. A LINQ query run the ordinary
/// way is walked, parameter-extracted and looked up in EF's query cache on every execution, which
/// allocates 15–20 KB a query; a compiled query skips all of that and goes straight to the cached
/// SQL and shaper. These run several times per completion, so that is most of what a completion's
/// reads allocate. The same delegates serve SQLite and PostgreSQL: EF compiles them again for a
/// context whose model differs from the last one seen.
/// </summary>
public static class WritePathQueries
{
    /// <summary>A task row by id, not tracked; null when there is none.</summary>
    public static readonly Func<ProcessServerDbContext, string, CancellationToken, Task<DossierTask?>> TaskById =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string id, CancellationToken _) =>
            db.Tasks.AsNoTracking().SingleOrDefault(t => t.Id == id));

    /// <summary>The dossier row (tracked) whose id or receipt code is the given reference; null when there is none.</summary>
    public static readonly Func<ProcessServerDbContext, string, CancellationToken, Task<Dossier?>> DossierByRef =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string reference, CancellationToken _) =>
            db.Dossiers.SingleOrDefault(d => d.Id == reference || d.ReceiptCode == reference));

    /// <summary>The id of the dossier whose id or receipt code is the given reference; null when there is none.</summary>
    public static readonly Func<ProcessServerDbContext, string, CancellationToken, Task<string?>> DossierIdByRef =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string reference, CancellationToken _) =>
            db.Dossiers.AsNoTracking().Where(d => d.Id == reference || d.ReceiptCode == reference).Select(d => d.Id).SingleOrDefault());

    /// <summary>The stored answer under a scope and key, not tracked; null when there is none.</summary>
    public static readonly Func<ProcessServerDbContext, string, string, CancellationToken, Task<IdempotencyRecord?>> IdempotencyRecord =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string scope, string key, CancellationToken _) =>
            db.IdempotencyRecords.AsNoTracking().SingleOrDefault(r => r.Scope == scope && r.Key == key));

    // Lists: a compiled query that yields rows takes no cancellation token; ListAsync passes it to the enumeration.
    private static readonly Func<ProcessServerDbContext, string, IAsyncEnumerable<DossierTask>> OpenTasksQuery =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string dossierId) =>
            db.Tasks.Where(t => t.DossierId == dossierId && (t.Status == TaskStatuses.Pending || t.Status == TaskStatuses.AwaitingSupplement)));

    private static readonly Func<ProcessServerDbContext, string, IAsyncEnumerable<Deadline>> DeadlinesQuery =
        EF.CompileAsyncQuery((ProcessServerDbContext db, string dossierId) =>
            db.Deadlines.Where(d => d.DossierId == dossierId));

    private static readonly Func<ProcessServerDbContext, string, int, IAsyncEnumerable<JournalEntry>> JournalAfterQuery =
        EF.CompileAsyncQuery<ProcessServerDbContext, string, int, JournalEntry>((db, dossierId, after) =>
            db.Journal.AsNoTracking().Where(j => j.DossierId == dossierId && j.Sequence > after).OrderBy(j => j.Sequence));

    /// <summary>The dossier's open task rows (<see cref="TaskStatuses.Open"/>), tracked.</summary>
    public static Task<List<DossierTask>> OpenTasksAsync(ProcessServerDbContext db, string dossierId, CancellationToken cancellationToken) =>
        ListAsync(OpenTasksQuery(db, dossierId), cancellationToken);

    /// <summary>The dossier's deadline rows of every status, tracked.</summary>
    public static Task<List<Deadline>> DeadlinesAsync(ProcessServerDbContext db, string dossierId, CancellationToken cancellationToken) =>
        ListAsync(DeadlinesQuery(db, dossierId), cancellationToken);

    /// <summary>The dossier's journal entries after sequence number <paramref name="after"/>, in order, not tracked.</summary>
    public static Task<List<JournalEntry>> JournalAfterAsync(ProcessServerDbContext db, string dossierId, int after, CancellationToken cancellationToken) =>
        ListAsync(JournalAfterQuery(db, dossierId, after), cancellationToken);

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> rows, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            list.Add(row);
        }

        return list;
    }
}
