using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// The reads every state change of a dossier (and every receipt) makes, compiled once. A LINQ
/// query run the ordinary way is walked, parameter-extracted and looked up in EF's query cache on
/// every execution, which allocates 15–20 KB a query; a compiled query skips all of that and goes
/// straight to the cached SQL and shaper. These run several times per completion, so that is most of what a completion's
/// reads allocate. EF binds a compiled query to the model of the first context it runs on and
/// refuses any other (CompiledQueryDifferentModel), while one process may hold several models (a
/// SQLite and a PostgreSQL store, test servers with their own interceptors), so the queries are
/// compiled once per model.
/// </summary>
public static class WritePathQueries
{
    private static readonly ConditionalWeakTable<IModel, Compiled> ByModel = [];

    /// <summary>What is checked of a task before the write path (its dossier, step, title and unit); null when there is no task with that id.</summary>
    public static Task<TaskRef?> TaskById(ProcessServerDbContext db, string id, CancellationToken cancellationToken) =>
        For(db).TaskById(db, id, cancellationToken);

    /// <summary>The dossier row (tracked) whose id or receipt code is the given reference; null when there is none.</summary>
    public static Task<Dossier?> DossierByRef(ProcessServerDbContext db, string reference, CancellationToken cancellationToken) =>
        For(db).DossierByRef(db, reference, cancellationToken);

    /// <summary>The id of the dossier whose id or receipt code is the given reference; null when there is none.</summary>
    public static Task<string?> DossierIdByRef(ProcessServerDbContext db, string reference, CancellationToken cancellationToken) =>
        For(db).DossierIdByRef(db, reference, cancellationToken);

    /// <summary>The stored answer under a scope and key, not tracked; null when there is none.</summary>
    public static async Task<IdempotencyRecord?> IdempotencyRecord(ProcessServerDbContext db, string scope, string key, CancellationToken cancellationToken) =>
        // On the write path on SQLite by a statement prepared once per connection (RowReader), else EF's compiled query.
        await RowReader.IdempotencyRecordAsync(db, scope, key, cancellationToken) is (true, var record)
            ? record
            : await For(db).IdempotencyRecord(db, scope, key, cancellationToken);

    /// <summary>The dossier's open task rows (<see cref="TaskStatuses.Open"/>), tracked.</summary>
    public static Task<List<DossierTask>> OpenTasksAsync(ProcessServerDbContext db, string dossierId, CancellationToken cancellationToken) =>
        ListAsync(For(db).OpenTasks(db, dossierId), cancellationToken);

    /// <summary>
    /// The dossier's deadline rows still pending or already fired, tracked. Cancelled ones (two per
    /// step done, so most of a long dossier's) matter to no transition: a transition cancels pending
    /// ones and never schedules again what is pending or fired (<see cref="DossierWriter.SyncDeadlines"/>).
    /// </summary>
    public static Task<List<Deadline>> DeadlinesAsync(ProcessServerDbContext db, string dossierId, CancellationToken cancellationToken) =>
        ListAsync(For(db).Deadlines(db, dossierId), cancellationToken);

    /// <summary>The dossier's journal entries after sequence number <paramref name="after"/>, in order, not tracked.</summary>
    public static Task<List<JournalEntry>> JournalAfterAsync(ProcessServerDbContext db, string dossierId, int after, CancellationToken cancellationToken) =>
        ListAsync(For(db).JournalAfter(db, dossierId, after), cancellationToken);

    /// <summary>The dossier's journal entries after sequence number <paramref name="after"/>, in order, as their stored views only.</summary>
    public static async Task<List<StoredJournalView>> StoredViewsAfterAsync(ProcessServerDbContext db, string dossierId, int after, CancellationToken cancellationToken) =>
        // On SQLite with the connection open by a statement prepared once per connection (RowReader), else EF's compiled query.
        await RowReader.StoredViewsAfterAsync(db, dossierId, after, cancellationToken)
            ?? await ListAsync(For(db).StoredViewsAfter(db, dossierId, after), cancellationToken);

    /// <summary>The id and version of a procedure's highest published version, not tracked; null when none is published.</summary>
    public static Task<PublishedVersion?> PublishedVersion(ProcessServerDbContext db, string definitionId, CancellationToken cancellationToken) =>
        For(db).PublishedVersion(db, definitionId, cancellationToken);

    /// <summary>A unit's receipt counter for a day (yyyyMMdd), tracked; null when the day has none yet.</summary>
    public static Task<ReceiptCounter?> ReceiptCounter(ProcessServerDbContext db, string unitCode, string day, CancellationToken cancellationToken) =>
        For(db).ReceiptCounter(db, unitCode, day, cancellationToken);

    private static Compiled For(ProcessServerDbContext db) => ByModel.GetValue(db.Model, static _ => new Compiled());

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> rows, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            list.Add(row);
        }

        return list;
    }

    /// <summary>The queries compiled for one model.</summary>
    private sealed class Compiled
    {
        // Five columns, not the row's twenty-four: every completion reads this before the write
        // path, and the whole row cost it a wider statement to prepare and up to seven instants
        // parsed from text on SQLite, over a quarter of the read (BENCHMARKS.md).
        public readonly Func<ProcessServerDbContext, string, CancellationToken, Task<TaskRef?>> TaskById =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string id, CancellationToken _) =>
                db.Tasks.Where(t => t.Id == id).Select(t => new TaskRef(t.Id, t.DossierId, t.ActivityId, t.Title, t.UnitCode)).SingleOrDefault());

        public readonly Func<ProcessServerDbContext, string, CancellationToken, Task<Dossier?>> DossierByRef =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string reference, CancellationToken _) =>
                db.Dossiers.SingleOrDefault(d => d.Id == reference || d.ReceiptCode == reference));

        public readonly Func<ProcessServerDbContext, string, CancellationToken, Task<string?>> DossierIdByRef =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string reference, CancellationToken _) =>
                db.Dossiers.AsNoTracking().Where(d => d.Id == reference || d.ReceiptCode == reference).Select(d => d.Id).SingleOrDefault());

        public readonly Func<ProcessServerDbContext, string, string, CancellationToken, Task<IdempotencyRecord?>> IdempotencyRecord =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string scope, string key, CancellationToken _) =>
                db.IdempotencyRecords.AsNoTracking().SingleOrDefault(r => r.Scope == scope && r.Key == key));

        // The highest published version: the database allows only one, and ordering keeps the
        // choice deterministic even on a store written before that rule.
        public readonly Func<ProcessServerDbContext, string, CancellationToken, Task<PublishedVersion?>> PublishedVersion =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string definitionId, CancellationToken _) =>
                db.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == definitionId && d.IsPublished)
                    .OrderByDescending(d => d.Version).Select(d => new PublishedVersion(d.Id, d.Version)).FirstOrDefault());

        public readonly Func<ProcessServerDbContext, string, string, CancellationToken, Task<ReceiptCounter?>> ReceiptCounter =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string unitCode, string day, CancellationToken _) =>
                db.ReceiptCounters.SingleOrDefault(c => c.UnitCode == unitCode && c.Day == day));

        // A compiled query that yields rows takes no cancellation token; ListAsync passes it to the enumeration.
        public readonly Func<ProcessServerDbContext, string, IAsyncEnumerable<DossierTask>> OpenTasks =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string dossierId) =>
                db.Tasks.Where(t => t.DossierId == dossierId && (t.Status == TaskStatuses.Pending || t.Status == TaskStatuses.AwaitingSupplement)));

        public readonly Func<ProcessServerDbContext, string, IAsyncEnumerable<Deadline>> Deadlines =
            EF.CompileAsyncQuery((ProcessServerDbContext db, string dossierId) =>
                db.Deadlines.Where(d => d.DossierId == dossierId && d.Status != Entities.Deadlines.Cancelled));

        public readonly Func<ProcessServerDbContext, string, int, IAsyncEnumerable<JournalEntry>> JournalAfter =
            EF.CompileAsyncQuery<ProcessServerDbContext, string, int, JournalEntry>((db, dossierId, after) =>
                db.Journal.AsNoTracking().Where(j => j.DossierId == dossierId && j.Sequence > after).OrderBy(j => j.Sequence));

        public readonly Func<ProcessServerDbContext, string, int, IAsyncEnumerable<StoredJournalView>> StoredViewsAfter =
            EF.CompileAsyncQuery<ProcessServerDbContext, string, int, StoredJournalView>((db, dossierId, after) =>
                db.Journal.Where(j => j.DossierId == dossierId && j.Sequence > after).OrderBy(j => j.Sequence)
                    .Select(j => new StoredJournalView(j.Sequence, j.Timestamp, j.ViewJson)));
    }
}

/// <summary>What a task is, as far as a check before the write path needs it.</summary>
/// <param name="Id">The task's id.</param>
/// <param name="DossierId">Its dossier.</param>
/// <param name="ActivityId">The step (activity) of the definition it belongs to.</param>
/// <param name="Title">Its title, as clerks see it.</param>
/// <param name="UnitCode">The unit that works on it.</param>
public sealed record TaskRef(string Id, string DossierId, string ActivityId, string Title, string UnitCode);

/// <summary>A published version of a procedure: the version row's id and its version number.</summary>
/// <param name="Id">The version row's id (<see cref="WorkflowDefinitionVersion.Id"/>).</param>
/// <param name="Version">Its version number.</param>
public sealed record PublishedVersion(string Id, int Version);

/// <summary>A journal entry's sequence number, timestamp and stored view (<see cref="JournalEntry.ViewJson"/>, null when it has none).</summary>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Timestamp">When the act happened (UTC).</param>
/// <param name="ViewJson">Its stored view, UTF-8 JSON.</param>
#pragma warning disable CA1819 // The column's bytes as read, handed on as they are.
public sealed record StoredJournalView(int Sequence, DateTime Timestamp, byte[]? ViewJson);
#pragma warning restore CA1819
