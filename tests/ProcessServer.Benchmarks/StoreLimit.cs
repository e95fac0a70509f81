using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;

/// <summary>
/// What SQLite itself commits for the writes of one step completion: the same schema (created by the
/// server's own migrations, so every index the server maintains is maintained here too), WAL,
/// synchronous=FULL, one transaction per completion, one writer at a time (as in the server).
/// The writes mirror a "register" completion of birth-registration: the dossier row (new state,
/// status, version), the completed task, the next task, three journal entries, the two deadlines
/// of the completed task cancelled and two new ones, and the idempotency record.
/// Inserted rows have every column filled, so the limit writes at least as many bytes as the server
/// (but foreign keys are not checked).
/// </summary>
internal sealed class StoreLimit : IAsyncDisposable
{
    private readonly string _path;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Dictionary<string, (string Sql, List<(string Name, string Type)> Columns)> _inserts = [];
    private readonly string _state;
    private long _unique;

    private StoreLimit(string path, int stateLength)
    {
        _path = path;
        _state = new string('s', stateLength);
    }

    // Foreign keys off: the inserted rows point at made-up parents. The server checks them, so
    // the limit is, if anything, a little faster than the same writes would be in the server.
    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true, ForeignKeys = false }.ToString();

    public static async Task<StoreLimit> CreateAsync(string directory, int stateLength)
    {
        var limit = new StoreLimit(Path.Combine(directory, "limit.db"), stateLength);
        var options = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(options, new StoreOptions { ConnectionString = limit.ConnectionString });
        await using (var db = new ProcessServerDbContext(options.Options))
        {
            await StoreRegistration.MigrateAsync(db);
        }

        await using var connection = await limit.OpenAsync();
        foreach (var table in new[] { "Dossiers", "Tasks", "Journal", "Deadlines", "IdempotencyRecords" })
        {
            var columns = new List<(string, string)>();
            await using (var info = connection.CreateCommand())
            {
                info.CommandText = $"PRAGMA table_info(\"{table}\")";
                await using var reader = await info.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    columns.Add((reader.GetString(1), reader.GetString(2)));
                }
            }

            var names = string.Join(", ", columns.Select(c => $"\"{c.Item1}\""));
            var values = string.Join(", ", columns.Select((_, i) => $"$p{i}"));
            limit._inserts[table] = ($"INSERT INTO \"{table}\" ({names}) VALUES ({values})", columns);
        }

        return limit;
    }

    /// <summary>A dossier with one open task and its two pending deadlines, as a receipt leaves it (not timed).</summary>
    public async Task<LimitDossier> SeedAsync()
    {
        var dossier = new LimitDossier(Next(), Next(), [Next(), Next()]);
        await using var connection = await OpenAsync();
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
        await InsertAsync(connection, tx, "Dossiers", new() { ["Id"] = dossier.Id, ["Version"] = 1L, ["StateJson"] = _state });
        await InsertAsync(connection, tx, "Tasks", new() { ["Id"] = dossier.TaskId, ["DossierId"] = dossier.Id, ["Status"] = "Pending" });
        foreach (var deadline in dossier.Deadlines)
        {
            await InsertAsync(connection, tx, "Deadlines", new() { ["Id"] = deadline, ["DossierId"] = dossier.Id, ["Status"] = "Pending" });
        }

        await tx.CommitAsync();
        return dossier;
    }

    /// <summary>One completion's writes in one transaction; returns the latency including the wait for the writer.</summary>
    public async Task<double> CompleteAsync(LimitDossier dossier)
    {
        var watch = Stopwatch.StartNew();
        await _writer.WaitAsync();
        try
        {
            await using var connection = await OpenAsync();
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync();
            var now = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture);
            await ExecuteAsync(connection, tx,
                "UPDATE \"Dossiers\" SET \"StateJson\" = $p0, \"Status\" = 'InProgress', \"NationalStatusCode\" = 4, \"UpdatedAt\" = $p1, \"Version\" = \"Version\" + 1 WHERE \"Id\" = $p2 AND \"Version\" = $p3",
                _state, now, dossier.Id, (long)dossier.Version);
            await ExecuteAsync(connection, tx,
                "UPDATE \"Tasks\" SET \"Status\" = 'Completed', \"Outcome\" = 'Done', \"CompletedAt\" = $p0, \"CompletedBy\" = 'benchmark', \"Comment\" = 'benchmark' WHERE \"Id\" = $p1",
                now, dossier.TaskId);
            var nextTask = Next();
            await InsertAsync(connection, tx, "Tasks", new() { ["Id"] = nextTask, ["DossierId"] = dossier.Id, ["Status"] = "Pending" });
            for (var i = 0; i < 3; i++)
            {
                await InsertAsync(connection, tx, "Journal", new() { ["DossierId"] = dossier.Id, ["Sequence"] = (long)(dossier.Version * 3 + i) });
            }

            foreach (var deadline in dossier.Deadlines)
            {
                await ExecuteAsync(connection, tx, "UPDATE \"Deadlines\" SET \"Status\" = 'Cancelled' WHERE \"Id\" = $p0", deadline);
            }

            var deadlines = new[] { Next(), Next() };
            foreach (var deadline in deadlines)
            {
                await InsertAsync(connection, tx, "Deadlines", new() { ["Id"] = deadline, ["DossierId"] = dossier.Id, ["Status"] = "Pending" });
            }

            await InsertAsync(connection, tx, "IdempotencyRecords", new() { ["StatusCode"] = 200L });
            await tx.CommitAsync();
            dossier.Version++;
            dossier.TaskId = nextTask;
            dossier.Deadlines = deadlines;
        }
        finally
        {
            _writer.Release();
        }

        return watch.Elapsed.TotalMilliseconds;
    }

    public async ValueTask DisposeAsync()
    {
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
        await Task.CompletedTask;
    }

    private async Task<SqliteConnection> OpenAsync()
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var pragma = connection.CreateCommand();
        // The server's durability: every commit reaches the disk before it is acknowledged.
        pragma.CommandText = "PRAGMA synchronous=FULL;";
        await pragma.ExecuteNonQueryAsync();
        return connection;
    }

    private string Next() => Interlocked.Increment(ref _unique).ToString("x8", CultureInfo.InvariantCulture) + Guid.NewGuid().ToString("N")[..24];

    private async Task InsertAsync(SqliteConnection connection, SqliteTransaction tx, string table, Dictionary<string, object> given)
    {
        var (sql, columns) = _inserts[table];
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var i = 0; i < columns.Count; i++)
        {
            var (name, type) = columns[i];
            object value = given.TryGetValue(name, out var v) ? v
                : type.Equals("INTEGER", StringComparison.OrdinalIgnoreCase) ? Interlocked.Increment(ref _unique)
                : type.Equals("REAL", StringComparison.OrdinalIgnoreCase) ? 1.0
                : type.Equals("BLOB", StringComparison.OrdinalIgnoreCase) ? new byte[16]
                : Next();
            command.Parameters.AddWithValue($"$p{i}", value);
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction tx, string sql, params object[] values)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue($"$p{i}", values[i]);
        }

        if (await command.ExecuteNonQueryAsync() != 1)
        {
            throw new InvalidOperationException($"the limit's write matched no row: {sql}");
        }
    }
}

/// <summary>A dossier of the limit's store as its next completion finds it.</summary>
internal sealed class LimitDossier(string id, string taskId, string[] deadlines)
{
    public string Id { get; } = id;

    public string TaskId { get; set; } = taskId;

    public string[] Deadlines { get; set; } = deadlines;

    public int Version { get; set; } = 1;
}
