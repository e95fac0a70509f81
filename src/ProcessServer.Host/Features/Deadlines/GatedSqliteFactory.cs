using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>
/// Microsoft.Data.Sqlite for Quartz's job store, with every transaction taken through the server's
/// <see cref="WriteGate"/>.
/// </summary>
/// <remarks>
/// <para>Quartz shares the server's SQLite file. Its own lock (which it always uses on SQLite) only
/// serialises Quartz with Quartz, so each of its few write transactions per sweep collided with
/// clerks' transactions, and Microsoft.Data.Sqlite resolves a collision by sleeping 150 ms: measured
/// with 4 concurrent clerks, completions per second fell from ~112 to ~77 and p99 rose from
/// ~110 ms to ~235 ms (BENCHMARKS.md). Behind the gate, a Quartz transaction waits its turn like any
/// other writer in the process.</para>
/// <para>Only the connection, command and transaction are wrapped, so Quartz can hand its commands the
/// connection and transaction it was given; everything else is Microsoft.Data.Sqlite's own.</para>
/// </remarks>
public sealed class GatedSqliteFactory(WriteGate gate) : DbProviderFactory
{
    /// <summary>How long a Quartz transaction waits for the gate before giving up (Quartz retries the operation).</summary>
    public static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public override DbConnection CreateConnection() => new GatedConnection(new SqliteConnection(), gate);

    /// <inheritdoc />
    public override DbCommand CreateCommand() => new GatedCommand(new SqliteCommand());

    /// <inheritdoc />
    public override DbParameter CreateParameter() => new SqliteParameter();

    /// <inheritdoc />
    public override DbConnectionStringBuilder CreateConnectionStringBuilder() => new SqliteConnectionStringBuilder();

    internal static async Task<IDisposable> EnterAsync(WriteGate gate, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(GateTimeout);
        try
        {
            return await gate.EnterAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The job store waited {GateTimeout.TotalSeconds} s for the SQLite write gate.");
        }
    }
}

/// <summary>A <see cref="SqliteConnection"/> whose transactions hold the write gate until they end.</summary>
[SuppressMessage("Security", "CA2100", Justification = "Delegates to Microsoft.Data.Sqlite; Quartz's statements are its own constants.")]
internal sealed class GatedConnection(SqliteConnection inner, WriteGate gate) : DbConnection
{
    private GatedTransaction? _transaction;

    public SqliteConnection Inner { get; } = inner;

    [AllowNull]
    public override string ConnectionString
    {
        get => Inner.ConnectionString;
        set => Inner.ConnectionString = value;
    }

    public override string Database => Inner.Database;

    public override string DataSource => Inner.DataSource;

    public override string ServerVersion => Inner.ServerVersion;

    public override ConnectionState State => Inner.State;

    public override void ChangeDatabase(string databaseName) => Inner.ChangeDatabase(databaseName);

    public override void Close()
    {
        try
        {
            Inner.Close();
        }
        finally
        {
            ReleaseTransaction();
        }
    }

    public override async Task CloseAsync()
    {
        try
        {
            await Inner.CloseAsync();
        }
        finally
        {
            ReleaseTransaction();
        }
    }

    public override void Open() => Inner.Open();

    public override Task OpenAsync(CancellationToken cancellationToken) => Inner.OpenAsync(cancellationToken);

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) =>
        BeginDbTransactionAsync(isolationLevel, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    protected override async ValueTask<DbTransaction> BeginDbTransactionAsync(IsolationLevel isolationLevel, CancellationToken cancellationToken)
    {
        var pass = await GatedSqliteFactory.EnterAsync(gate, cancellationToken);
        try
        {
            _transaction = new GatedTransaction(this, Inner.BeginTransaction(isolationLevel), pass);
            return _transaction;
        }
        catch
        {
            pass.Dispose();
            throw;
        }
    }

    protected override DbCommand CreateDbCommand() => new GatedCommand(Inner.CreateCommand()) { Connection = this };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                Inner.Dispose();
            }
            finally
            {
                ReleaseTransaction();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Inner.DisposeAsync();
        }
        finally
        {
            ReleaseTransaction();
        }

        await base.DisposeAsync();
    }

    /// <summary>
    /// Closing a connection ends its transaction (SQLite rolls it back), whether or not the caller
    /// committed, rolled back or disposed the transaction object: leave the gate then too, so a
    /// transaction abandoned on a shutdown or an error never keeps the server's writers waiting.
    /// </summary>
    private void ReleaseTransaction() => Interlocked.Exchange(ref _transaction, null)?.Release();
}

/// <summary>A <see cref="SqliteTransaction"/> that leaves the write gate when it commits, rolls back or is disposed.</summary>
internal sealed class GatedTransaction(GatedConnection connection, SqliteTransaction inner, IDisposable pass) : DbTransaction
{
    private int _released;

    public SqliteTransaction Inner { get; } = inner;

    public override IsolationLevel IsolationLevel => Inner.IsolationLevel;

    protected override DbConnection DbConnection => connection;

    public override void Commit()
    {
        try
        {
            Inner.Commit();
        }
        finally
        {
            Release();
        }
    }

    public override void Rollback()
    {
        try
        {
            Inner.Rollback();
        }
        finally
        {
            Release();
        }
    }

    public override async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.CommitAsync(cancellationToken);
        }
        finally
        {
            Release();
        }
    }

    public override async Task RollbackAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.RollbackAsync(cancellationToken);
        }
        finally
        {
            Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            try
            {
                Inner.Dispose();
            }
            finally
            {
                Release();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await Inner.DisposeAsync();
        }
        finally
        {
            Release();
        }

        await base.DisposeAsync();
    }

    internal void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            pass.Dispose();
        }
    }
}

/// <summary>A <see cref="SqliteCommand"/> that accepts the gated connection and transaction and passes the real ones on.</summary>
[SuppressMessage("Security", "CA2100", Justification = "Delegates to Microsoft.Data.Sqlite; Quartz's statements are its own constants.")]
internal sealed class GatedCommand(SqliteCommand inner) : DbCommand
{
    private DbConnection? _connection;
    private DbTransaction? _transaction;

    [AllowNull]
    public override string CommandText
    {
        get => inner.CommandText;
        set => inner.CommandText = value;
    }

    public override int CommandTimeout
    {
        get => inner.CommandTimeout;
        set => inner.CommandTimeout = value;
    }

    public override CommandType CommandType
    {
        get => inner.CommandType;
        set => inner.CommandType = value;
    }

    public override bool DesignTimeVisible
    {
        get => inner.DesignTimeVisible;
        set => inner.DesignTimeVisible = value;
    }

    public override UpdateRowSource UpdatedRowSource
    {
        get => inner.UpdatedRowSource;
        set => inner.UpdatedRowSource = value;
    }

    protected override DbConnection? DbConnection
    {
        get => _connection;
        set
        {
            _connection = value;
            inner.Connection = value switch
            {
                null => null,
                GatedConnection gated => gated.Inner,
                SqliteConnection sqlite => sqlite,
                _ => throw new ArgumentException($"A {value.GetType().Name} is not a SQLite connection.", nameof(value)),
            };
        }
    }

    protected override DbParameterCollection DbParameterCollection => inner.Parameters;

    protected override DbTransaction? DbTransaction
    {
        get => _transaction;
        set
        {
            _transaction = value;
            inner.Transaction = value switch
            {
                null => null,
                GatedTransaction gated => gated.Inner,
                SqliteTransaction sqlite => sqlite,
                _ => throw new ArgumentException($"A {value.GetType().Name} is not a SQLite transaction.", nameof(value)),
            };
        }
    }

    public override void Cancel() => inner.Cancel();

    public override int ExecuteNonQuery() => inner.ExecuteNonQuery();

    public override object? ExecuteScalar() => inner.ExecuteScalar();

    public override void Prepare() => inner.Prepare();

    public override Task<int> ExecuteNonQueryAsync(CancellationToken cancellationToken) => inner.ExecuteNonQueryAsync(cancellationToken);

    public override Task<object?> ExecuteScalarAsync(CancellationToken cancellationToken) => inner.ExecuteScalarAsync(cancellationToken);

    protected override DbParameter CreateDbParameter() => inner.CreateParameter();

    protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => inner.ExecuteReader(behavior);

    protected override async Task<DbDataReader> ExecuteDbDataReaderAsync(CommandBehavior behavior, CancellationToken cancellationToken) =>
        await inner.ExecuteReaderAsync(behavior, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
