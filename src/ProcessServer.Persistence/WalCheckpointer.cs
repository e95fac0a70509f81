using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace ProcessServer.Persistence;

/// <summary>
/// Copies the frames the group commit appends to SQLite's write-ahead log into the database file,
/// on a connection and a task of its own, so that no clerk's commit waits for it.
/// </summary>
/// <remarks>
/// SQLite's own automatic checkpoint runs inside the COMMIT that takes the log past 1,000 pages:
/// that commit also writes every page changed since the last checkpoint into the database file and
/// syncs it. A completion writes about 37 pages (rows and their index entries), so one batch in
/// about 27 paid for it, 2 ms of fsync and the page copies besides, and every clerk in that batch
/// waited for it: the tail of the latency. The group commit's writer therefore turns the automatic
/// checkpoint off on its connection and signals this after each commit; this runs a PASSIVE
/// checkpoint at most every <see cref="Interval"/>, which SQLite lets run beside a writer (it
/// takes the checkpoint lock, not the write lock) and which never waits for a reader.
/// Durability does not change: a commit is durable once its frames are synced to the log, before
/// anyone is answered, whether or not they have been copied yet. Other writers (the job store,
/// imports) keep SQLite's automatic checkpoint, which finds the log short and does nothing.
/// </remarks>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    /// <summary>Least time between two checkpoints while commits keep coming.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly string _connectionString;
    private readonly ServerMetrics? _metrics;
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _starting = new();
    private Task? _loop;
    private int _signalled;

    /// <summary>A checkpointer of the database <paramref name="connectionString"/> opens.</summary>
    public WalCheckpointer(string connectionString, ServerMetrics? metrics)
    {
        // A connection of its own, never pooled with the readers: it is held open by this loop.
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _metrics = metrics;
    }

    /// <summary>Says that a commit appended to the log; cheap enough to call after every batch.</summary>
    public void Committed()
    {
        if (_loop is null)
        {
            lock (_starting)
            {
                _loop ??= Task.Run(RunAsync);
            }
        }

        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            _signal.Release();
        }
    }

    private async Task RunAsync()
    {
        SqliteConnection? connection = null;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await _signal.WaitAsync(_stop.Token);
                Volatile.Write(ref _signalled, 0);
                try
                {
                    connection ??= await OpenAsync();
                    var started = Stopwatch.GetTimestamp();
                    await using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    await command.ExecuteNonQueryAsync(_stop.Token);
                    _metrics?.Checkpointed(Stopwatch.GetElapsedTime(started));
                }
                catch (SqliteException)
                {
                    // A checkpoint that cannot run now (the disk, a lock) is retried after the next
                    // commit, on a new connection; until then the frames stay in the log, which is
                    // durable all the same (and the next writer outside the group commit that finds
                    // the log long checkpoints it itself).
                    connection?.Dispose();
                    connection = null;
                }

                await Task.Delay(Interval, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping: the last connection to close checkpoints whatever is left.
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(_stop.Token);
        return connection;
    }

    /// <summary>Stops the loop (at shutdown) and waits for a checkpoint in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is { } loop)
        {
            await loop;
        }

        _stop.Dispose();
        _signal.Dispose();
    }
}
