using Microsoft.EntityFrameworkCore;

namespace ProcessServer.Persistence;

/// <summary>
/// Serialises changes to one procedure's versions across connections and servers. On PostgreSQL a
/// transaction-scoped advisory lock keyed by the procedure code: concurrent publishes, saves and
/// retracts of one procedure run one after the other, and each reads the versions as the previous
/// one committed them (READ COMMITTED re-reads per statement). On SQLite the write gate and the
/// immediate transaction already make every writer wait for the one before.
/// </summary>
public static class ProcedureLock
{
    /// <summary>Takes the lock for the current transaction (released when it ends).</summary>
    public static async Task AcquireAsync(ProcessServerDbContext db, string definitionId, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("The procedure lock is taken inside a transaction.");
        }

        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtextextended({definitionId}, 7))", cancellationToken);
        }
    }
}
