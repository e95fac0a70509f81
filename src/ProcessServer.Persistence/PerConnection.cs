using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;

namespace ProcessServer.Persistence;

/// <summary>
/// Things kept per open connection (prepared commands, by statement), disposed when the connection
/// closes: closing a SqliteConnection finalizes its commands' statements and forgets them, so a
/// command run again after a reopen would prepare statements the connection no longer finalizes
/// when it closes. A connection serves one caller at a time (the group commit runs its units one
/// after the other), so the table of one connection needs no lock.
/// </summary>
/// <typeparam name="TKey">What the kept things are found by.</typeparam>
/// <typeparam name="TValue">A kept thing.</typeparam>
internal sealed class PerConnection<TKey, TValue>
    where TKey : notnull
    where TValue : IDisposable
{
    private readonly ConditionalWeakTable<DbConnection, Dictionary<TKey, TValue>> _kept = new();

    /// <summary>The table kept for <paramref name="connection"/>, empty at first.</summary>
    public Dictionary<TKey, TValue> Of(DbConnection connection)
    {
        if (_kept.TryGetValue(connection, out var table))
        {
            return table;
        }

        table = [];
        _kept.Add(connection, table);
        connection.StateChange += (_, change) =>
        {
            if (change.CurrentState == ConnectionState.Closed)
            {
                foreach (var kept in table.Values)
                {
                    kept.Dispose();
                }

                table.Clear();
            }
        };
        return table;
    }
}
