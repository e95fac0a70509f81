using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProcessServer.Persistence;

/// <summary>
/// Keeps the SQLite connection objects EF makes for pooled contexts, closed, and hands them to the
/// next context that needs one, instead of EF making a new one for every request. A new
/// <see cref="SqliteConnection"/> has EF's SQLite functions registered on it one by one (about 4 KB
/// of a step completion's allocation); a kept one has them already. Only the managed object is
/// kept: it is closed (its native connection back in Microsoft.Data.Sqlite's own pool) before it is
/// kept, and EF opens it as it opens any connection, so nothing of one request's session reaches
/// the next. An open connection (one a context kept open, the group commit's writer) is disposed as
/// EF meant; so is every connection once the store is disposed.
/// </summary>
internal sealed class SqliteConnectionReuse : DbConnectionInterceptor, IDisposable
{
    // Enough for the requests that run at once on a small server; beyond it, connections come and go as before.
    private const int Keep = 32;

    private readonly ConcurrentBag<SqliteConnection> _kept = [];
    private int _count;
    private bool _disposed;

    public override InterceptionResult<DbConnection> ConnectionCreating(ConnectionCreatingEventData eventData, InterceptionResult<DbConnection> result)
    {
        while (!result.HasResult && _kept.TryTake(out var connection))
        {
            Interlocked.Decrement(ref _count);

            // A context asks for the connection string it was configured with; a kept object for another is not its.
            if (connection.ConnectionString == eventData.ConnectionString && connection.State == ConnectionState.Closed)
            {
                return InterceptionResult<DbConnection>.SuppressWithResult(connection);
            }

            connection.Dispose();
        }

        return result;
    }

    public override InterceptionResult ConnectionDisposing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        TryKeep(connection) ? InterceptionResult.Suppress() : result;

    public override ValueTask<InterceptionResult> ConnectionDisposingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result) =>
        ValueTask.FromResult(TryKeep(connection) ? InterceptionResult.Suppress() : result);

    private bool TryKeep(DbConnection connection)
    {
        if (Volatile.Read(ref _disposed) || connection is not SqliteConnection { State: ConnectionState.Closed } sqlite)
        {
            return false;
        }

        if (Interlocked.Increment(ref _count) > Keep)
        {
            Interlocked.Decrement(ref _count);
            return false;
        }

        _kept.Add(sqlite);
        return true;
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_kept.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }
}
