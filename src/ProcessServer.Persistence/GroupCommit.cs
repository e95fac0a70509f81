using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace ProcessServer.Persistence;

/// <summary>
/// The write path of state changes: runs a unit of work (reads, decision, one SaveChanges) as its
/// own transaction as far as anyone can tell, but on SQLite commits the work of every caller
/// queued at that moment in ONE transaction, so concurrent clerks share one durable commit
/// (one fsync of the WAL) instead of paying one each.
/// <list type="bullet">
/// <item>Whoever finds no batch running (it holds the <see cref="WriteGate"/>) takes every unit
/// of work queued by then, opens one connection and one transaction, and runs them one after the
/// other, each inside its own SAVEPOINT on that connection: a unit that throws (a store error, a
/// fault) or that its caller does not keep (a refusal, a lost race) is rolled back to its savepoint
/// and fails alone; the others go on.</item>
/// <item>Units run strictly one after the other on the one connection, so each sees what the
/// ones before it in the batch wrote, exactly as if they had committed one by one: a second change
/// of the same dossier finds the first one's version and is refused as stale; a duplicate
/// Idempotency-Key finds the first one's record.</item>
/// <item>Nobody hears back before the COMMIT that contains their unit is durable: every caller's
/// answer is released only after it. If that commit fails, every unit of the batch fails and
/// nothing of it was written (a retry with the same key runs again).</item>
/// </list>
/// PostgreSQL runs each unit as it comes, in its own transaction: it has concurrent writers (the
/// gate is open there) and already shares WAL flushes between transactions committing together,
/// and several server processes write to one database, which one process's batch could not span.
/// </summary>
public sealed class GroupCommit(StoreOptions options, WriteGate gate, DbContextOptions<ProcessServerDbContext> contextOptions, ServerMetrics? metrics = null)
    : IAsyncDisposable
{
    /// <summary>Most units of work one transaction takes; the rest wait for the next one.</summary>
    private const int MaxBatch = 256;

    /// <summary>The savepoint names, made once rather than per unit.</summary>
    private static readonly string[] Savepoints = Enumerable.Range(0, MaxBatch).Select(i => $"unit{i}").ToArray();

    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly bool _grouped = options.Provider == StoreProvider.Sqlite;
    private readonly WalCheckpointer? _checkpointer = options.Provider == StoreProvider.Sqlite ? new WalCheckpointer(options.ConnectionString, metrics) : null;
    private int _writing;

    // See RowsEpoch. The SQLite data version is that of the kept writer's connection (each
    // connection counts its own), null until its first batch reads it.
    private long _epoch;
    private long? _dataVersion;
    private SqliteCommand? _dataVersionCommand;

    // The context that owns each batch's connection and transaction. Batches run one at a time and
    // it never tracks an entity, so one is kept, with its connection open, for every batch instead
    // of a new context and connection open per batch (with one clerk, that is one per change); it
    // is replaced after a failed batch. It is not drawn from EF's context pool: the pool took it
    // back, when a failed batch dropped it, with its connection still open, and the next change
    // that drew it could not lend it a batch's connection (a 500).
    private ProcessServerDbContext? _writer;

    /// <summary>Units of work queued for the next batch (for monitoring and tests).</summary>
    public int Waiting => _queue.Count;

    /// <summary>
    /// On SQLite, a number that stays the same for as long as nothing but this process's batches
    /// has written the store; null on PostgreSQL, where other processes write at any time. Rows
    /// known from a batch's own writes, kept with the epoch they were written in, are still what
    /// the store holds while the epoch has not moved, so a later unit may use them instead of
    /// reading them again. It moves when a batch finds that another connection committed since the
    /// writer's last batch (SQLite's <c>PRAGMA data_version</c>, read right after the batch's
    /// BEGIN IMMEDIATE, which then keeps every other writer out until its COMMIT): the deadline
    /// sweep, the outbox sender, the job store, imports, another process on the same file. It
    /// also moves when the writer's connection is replaced after a failed batch. Read it only
    /// from inside a unit of work: between batches it can be about to move.
    /// </summary>
    public long? RowsEpoch => _grouped ? Interlocked.Read(ref _epoch) : null;

    /// <summary>
    /// Runs <paramref name="work"/> on <paramref name="db"/> in a transaction and returns what it
    /// returned once that transaction is durably committed (or rolled back, when
    /// <paramref name="keep"/> says the result is not to be kept). <paramref name="db"/> must have
    /// no connection open of its own; while the work runs it uses the batch's connection.
    /// </summary>
    /// <typeparam name="T">What the work answers.</typeparam>
    /// <param name="db">The caller's context, on which the work reads and saves.</param>
    /// <param name="work">Reads, decides and saves (at most what one SaveChanges writes as a unit).</param>
    /// <param name="keep">Whether what the work wrote stays (false: rolled back, e.g. for a refusal).</param>
    /// <param name="cancellationToken">Cancellation of this caller's work only.</param>
    public async Task<T> WriteAsync<T>(ProcessServerDbContext db, Func<CancellationToken, Task<T>> work, Func<T, bool> keep, CancellationToken cancellationToken)
    {
        if (!_grouped)
        {
            using var open = await gate.EnterAsync(cancellationToken);
            return await work(cancellationToken);
        }

        var pending = new Pending<T>(db, work, keep, cancellationToken);
        _queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            // No batch is running: this caller runs the next one itself (its own unit is in it)
            // rather than waking a thread for it and being woken again after the commit, two
            // thread hops on every change when clerks come one at a time. Whatever queues up
            // meanwhile is handed to a writer of its own, so no caller waits for others' batches.
            await WriteQueuedAsync(handOffAfterOne: true);
        }

        try
        {
            return await pending.Done.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!pending.TryCancel())
        {
            // A batch already took this work and runs it on the caller's context: the caller must
            // not return (and dispose that context) before the batch is done with it.
            return await pending.Done;
        }
    }

    /// <summary>
    /// The writer: runs batches while work is queued, then stops (nothing runs while the server is
    /// idle). Each batch holds the <see cref="WriteGate"/>, so the server's other writers (deadline
    /// sweeps, the outbox sender, the job store, imports) go between batches as they went between
    /// single transitions. A caller that runs it itself (<paramref name="handOffAfterOne"/>) runs
    /// one batch and hands what is queued after it to a writer on the thread pool.
    /// </summary>
    private async Task WriteQueuedAsync(bool handOffAfterOne)
    {
        var batches = 0;
        do
        {
            var handedOff = false;
            try
            {
                while (!_queue.IsEmpty)
                {
                    if (handOffAfterOne && batches > 0)
                    {
                        // The writer's turn (_writing) passes to the new writer with the work.
                        handedOff = true;
                        _ = Task.Run(() => WriteQueuedAsync(handOffAfterOne: false), CancellationToken.None);
                        return;
                    }

                    using var pass = await gate.EnterAsync(CancellationToken.None);
                    await RunBatchAsync();
                    batches++;
                }
            }
#pragma warning disable CA1031 // The gate is gone (the server is stopping): whoever waits hears it instead of waiting forever.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                while (_queue.TryDequeue(out var next))
                {
                    if (next.TryTake())
                    {
                        next.Release(ex);
                    }
                }
            }
            finally
            {
                if (!handedOff)
                {
                    Interlocked.Exchange(ref _writing, 0);
                }
            }

            // Work queued after the last look at the queue but before the writer stopped found it
            // still running and relied on it: look again.
        }
        while (!_queue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0);
    }

    private async Task RunBatchAsync()
    {
        var batch = new List<Pending>();
        while (batch.Count < MaxBatch && _queue.TryDequeue(out var next))
        {
            if (next.TryTake())
            {
                batch.Add(next);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        Exception? failed = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var writer = await WriterAsync();
            await using var transaction = await writer.Database.BeginTransactionAsync(CancellationToken.None);
            var connection = writer.Database.GetDbConnection();
            var dbTransaction = transaction.GetDbTransaction();
            await ReadDataVersionAsync((SqliteConnection)connection, (SqliteTransaction)dbTransaction);
            for (var i = 0; i < batch.Count; i++)
            {
                await RunOneAsync(batch[i], Savepoints[i], connection, dbTransaction, transaction);
            }

            await transaction.CommitAsync(CancellationToken.None);
            metrics?.BatchCommitted(batch.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
            _checkpointer?.Committed();
        }
#pragma warning disable CA1031 // Any failure of the shared transaction fails every unit in it; each caller sees it as its own.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failed = ex;
            await DropWriterAsync();
        }

        foreach (var pending in batch)
        {
            pending.Release(failed);
        }
    }

    /// <summary>
    /// The kept writer context, with its connection open. The connection stays open between
    /// batches: with one clerk every change is a batch of its own, and opening a pooled SQLite
    /// connection sets it up again each time (EF registers its functions on it), which costs about
    /// as much as one of the change's queries. Outside a batch it holds no transaction, so it keeps
    /// no snapshot and blocks no checkpoint.
    /// </summary>
    private async Task<ProcessServerDbContext> WriterAsync()
    {
        if (_writer is { } kept)
        {
            return kept;
        }

        var writer = new ProcessServerDbContext(contextOptions);
        _writer = writer;
        // A native connection of its own, never pooled, as the checkpointer's: the settings below
        // are the writer's alone. A pooled one went back to the pool when the writer was dropped
        // (after a failed batch) with the automatic checkpoint still off, and the next of the
        // server's other writers to draw it (the job store, imports) never checkpointed its commits.
        // Kept open, it gains nothing from the pool.
        writer.Database.SetConnectionString(new SqliteConnectionStringBuilder(options.ConnectionString) { Pooling = false }.ToString());
        await writer.Database.OpenConnectionAsync(CancellationToken.None);
        // The writer's commits never checkpoint the log themselves: the checkpointer does, beside them.
        // Its temporary storage is memory: every unit runs in a savepoint, whose sub-journal keeps
        // the pages as they were before the unit (over 100 KB for one completion) and, past SQLite's
        // 64 KB, spilled to a temp file created, written and unlinked in /var/tmp for every batch.
        // It is only ever needed to roll a savepoint back, never to recover after a crash.
        await writer.Database.ExecuteSqlRawAsync("PRAGMA wal_autocheckpoint=0; PRAGMA temp_store=MEMORY;", CancellationToken.None);
        return writer;
    }

    /// <summary>
    /// Moves <see cref="RowsEpoch"/> when another connection committed since the last batch. The
    /// pragma counts only other connections' commits, not the writer's own, nor the checkpointer's
    /// PASSIVE checkpoints (they move no row). Inside the batch's BEGIN IMMEDIATE it reads the
    /// snapshot the batch works on, and nobody else can commit before the batch does.
    /// </summary>
    private async Task ReadDataVersionAsync(SqliteConnection connection, SqliteTransaction transaction)
    {
        var command = _dataVersionCommand ??= new SqliteCommand("PRAGMA data_version;", connection);
        command.Transaction = transaction;
        var seen = Convert.ToInt64(await command.ExecuteScalarAsync(CancellationToken.None), System.Globalization.CultureInfo.InvariantCulture);
        if (seen != _dataVersion)
        {
            _dataVersion = seen;
            Interlocked.Increment(ref _epoch);
        }
    }

    /// <summary>Disposes the kept writer context and stops the checkpointer (at shutdown).</summary>
    public async ValueTask DisposeAsync()
    {
        await DropWriterAsync();
        if (_checkpointer is { } checkpointer)
        {
            await checkpointer.DisposeAsync();
        }
    }

    /// <summary>Drops the kept writer context, so the next batch starts on a fresh one.</summary>
    private async ValueTask DropWriterAsync()
    {
        // A new connection counts data versions of its own, and a failed batch may have left
        // anything behind: rows kept so far are read again.
        _dataVersion = null;
        Interlocked.Increment(ref _epoch);
        if (_dataVersionCommand is { } dataVersion)
        {
            _dataVersionCommand = null;
            await dataVersion.DisposeAsync();
        }

        if (_writer is { } writer)
        {
            _writer = null;
            try
            {
                // Its own context: disposing it closes the connection it owns, and nothing goes back to a pool.
                await writer.DisposeAsync();
            }
#pragma warning disable CA1031 // A context that cannot even be disposed is dropped all the same; the batch's own failure is what callers hear.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>Runs one unit inside its savepoint; a unit that fails is rolled back to it. Throws only when the shared transaction itself is lost.</summary>
    private static async Task RunOneAsync(Pending pending, string savepoint, DbConnection connection, DbTransaction dbTransaction, IDbContextTransaction transaction)
    {
        await transaction.CreateSavepointAsync(savepoint, CancellationToken.None);
        var db = pending.Db;
        var connectionString = db.Database.GetConnectionString();
        bool kept;
        try
        {
            db.Database.SetDbConnection(connection, contextOwnsConnection: false);
            await db.Database.UseTransactionAsync(dbTransaction, CancellationToken.None);
            kept = await pending.RunAsync();
        }
#pragma warning disable CA1031 // The caller's context could not join the batch: that unit fails alone.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            pending.Fail(ex);
            kept = false;
        }
        finally
        {
            // Back to a connection of its own, so whatever the caller does after its answer never
            // touches the batch's connection (which the next batch may be using by then).
            db.Database.SetDbConnection(null, contextOwnsConnection: true);
            db.Database.SetConnectionString(connectionString);
        }

        if (kept)
        {
            await transaction.ReleaseSavepointAsync(savepoint, CancellationToken.None);
        }
        else
        {
            // When this throws, SQLite has already rolled back the whole transaction (an I/O
            // error, a full disk): the batch fails as a whole and nothing of it was written.
            await transaction.RollbackToSavepointAsync(savepoint, CancellationToken.None);
            await transaction.ReleaseSavepointAsync(savepoint, CancellationToken.None);
        }
    }

    private abstract class Pending
    {
        private int _state;

        public abstract ProcessServerDbContext Db { get; }

        /// <summary>Claims the unit for a batch; false when its caller gave up first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

        /// <summary>Withdraws the unit; false when a batch already took it.</summary>
        public bool TryCancel() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

        /// <summary>Runs the work; true when what it wrote is to stay. Never throws: a failure is kept for <see cref="Release"/>.</summary>
        public abstract Task<bool> RunAsync();

        /// <summary>Records a failure of the unit that happened outside its work.</summary>
        public abstract void Fail(Exception error);

        /// <summary>Answers the caller once the batch's fate is known.</summary>
        public abstract void Release(Exception? batchFailure);
    }

    private sealed class Pending<T>(ProcessServerDbContext db, Func<CancellationToken, Task<T>> work, Func<T, bool> keep, CancellationToken cancellationToken) : Pending
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // The caller's execution context: its unit runs in it, whoever runs the batch, so what
        // flows with a request (its Activity, which the dossier's tags and the store's spans go to;
        // its logging scope) is the caller's own and not that of the request that started the writer.
        private readonly ExecutionContext? _context = ExecutionContext.Capture();
        private Task<T>? _started;
        private T? _result;
        private Exception? _error;

        public override ProcessServerDbContext Db => db;

        public Task<T> Done => _done.Task;

        public override async Task<bool> RunAsync()
        {
            try
            {
                _result = await StartInCallersContext();
                return keep(_result);
            }
#pragma warning disable CA1031 // The unit's own failure is its caller's, rethrown there after the batch.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _error = ex;
                return false;
            }
        }

        public override void Fail(Exception error) => _error ??= error;

        private Task<T> StartInCallersContext()
        {
            if (_context is null)
            {
                return work(cancellationToken);
            }

            // The work's continuations capture the context current when it awaits: the caller's.
            ExecutionContext.Run(_context, static state =>
            {
                var self = (Pending<T>)state!;
                self._started = self.Work();
            }, this);
            return _started!;
        }

        private Task<T> Work() => work(cancellationToken);

        public override void Release(Exception? batchFailure)
        {
            if (_error is { } own)
            {
                _done.TrySetException(own);
            }
            else if (batchFailure is not null)
            {
                _done.TrySetException(batchFailure);
            }
            else
            {
                _done.TrySetResult(_result!);
            }
        }
    }
}
