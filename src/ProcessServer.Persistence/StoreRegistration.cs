using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ProcessServer.Persistence;

/// <summary>Which database the store runs on.</summary>
public enum StoreProvider
{
    /// <summary>Embedded SQLite file (the default).</summary>
    Sqlite,

    /// <summary>PostgreSQL server.</summary>
    Postgres,
}

/// <summary>Store settings (configuration section <c>Database</c>).</summary>
public sealed class StoreOptions
{
    /// <summary>Database kind.</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>ADO.NET connection string.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/processserver.db";

    /// <summary>
    /// Whether EF Core checks that no context is used by two operations at once (off unless set).
    /// </summary>
    /// <remarks>
    /// The check is a debugging aid for a programming error, not a guard of the data (transactions
    /// and the dossier's version are): EF counts the operations in flight in an AsyncLocal, so every
    /// query, every row read and every SaveChanges copies the request's execution context twice,
    /// 3.5 KB of a completion's 100 KB and a few hundred bytes per journal row read (measured with
    /// the benchmark's throughput-detail). The test servers turn it on, so concurrent use of a
    /// context still fails the tests that exercise it.
    /// </remarks>
    public bool ThreadSafetyChecks { get; set; }
}

/// <summary>Registers and prepares the store.</summary>
public static class StoreRegistration
{
    // One advisory lock key ("ProcSrv" in ASCII) held while a server creates, migrates and seeds a PostgreSQL database.
    private const string TakeStartLock = "SELECT pg_advisory_lock(22643820870201974)";
    private const string ReleaseStartLock = "SELECT pg_advisory_unlock(22643820870201974)";

    /// <summary>Adds <see cref="ProcessServerDbContext"/> for the configured provider.</summary>
    public static IServiceCollection AddProcessServerStore(this IServiceCollection services, StoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<GroupCommit>();
        // Interceptors registered in DI (tests use one to simulate a crash mid-transition).
        // Pooled: a context's first query otherwise builds its EF internal services afresh on
        // every request (~40 KB of a completion's allocation); EF resets a pooled context's
        // tracker, connection and settings when the request's scope ends.
        services.AddSingleton<SqliteConnectionReuse>();
        services.AddDbContextPool<ProcessServerDbContext>((provider, builder) =>
        {
            Configure(builder, options).AddInterceptors(provider.GetServices<IInterceptor>());
            if (options.Provider == StoreProvider.Sqlite)
            {
                builder.AddInterceptors(provider.GetRequiredService<SqliteConnectionReuse>());
            }
        });
        return services;
    }

    /// <summary>Applies the provider and the store's conventions to a context options builder.</summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, StoreOptions options)
    {
        switch (options.Provider)
        {
            case StoreProvider.Postgres:
                builder.UseNpgsql(options.ConnectionString);
                break;
            default:
                builder.UseSqlite(options.ConnectionString);
                break;
        }

        builder.EnableThreadSafetyChecks(options.ThreadSafetyChecks);

        // No warning is silenced: with the model snapshot in Migrations/, Migrate refuses to run
        // when the model has changed without a migration (EF's PendingModelChangesWarning).
        return builder;
    }

    /// <summary>
    /// Prepares the store for a starting server: creates or upgrades the schema (<see cref="MigrateAsync"/>),
    /// then runs <paramref name="seed"/> (first rows: calendar, units, sample procedures).
    /// </summary>
    /// <remarks>
    /// On PostgreSQL several server processes may start at the same moment on one database (the way
    /// a province runs more than one machine). Each would find the schema missing, or a seed row
    /// absent, and apply it too: EF's migrator then fails on "column already exists" and the seeds on
    /// duplicate keys. So the whole preparation runs under one session-level advisory lock on the
    /// database: the first process migrates and seeds, the others wait, then find nothing to do.
    /// A database that does not exist yet is created first under the same kind of lock on the
    /// maintenance database, because CREATE DATABASE cannot run inside the database it creates.
    /// </remarks>
    public static async Task PrepareAsync(ProcessServerDbContext db, Func<CancellationToken, Task> seed, CancellationToken cancellationToken = default)
    {
        if (!db.Database.IsNpgsql())
        {
            await MigrateAsync(db, cancellationToken);
            await seed(cancellationToken);
            return;
        }

        await EnsurePostgresDatabaseAsync(db.Database.GetConnectionString()!, cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await db.Database.ExecuteSqlRawAsync(TakeStartLock, cancellationToken);
            try
            {
                // Npgsql's history repository finds out that the history table is missing by querying
                // it, and EF logs that failed query as an error on every new database (npgsql/efcore.pg#3407):
                // an operator's first start showed a red line for nothing. EF's own script creates the
                // table first if it is missing (the same one Migrate runs), so the query finds it empty.
                await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
                await db.Database.MigrateAsync(cancellationToken);
                await seed(cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlRawAsync(ReleaseStartLock, CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task EnsurePostgresDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        try
        {
            await using var probe = new NpgsqlConnection(target.ConnectionString);
            await probe.OpenAsync(cancellationToken);
            return;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            // Missing: created below.
        }

        var name = target.Database!;
        var maintenance = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Database = "postgres" };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(TakeStartLock, connection))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var exists = new NpgsqlCommand("SELECT COUNT(*) FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", name);
        if ((long)(await exists.ExecuteScalarAsync(cancellationToken))! == 0)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        // Closing the session releases the lock.
    }

    /// <summary>
    /// Creates or upgrades the schema. For SQLite it first creates the file's folder and switches
    /// the file to WAL, so readers never block the single writer.
    /// </summary>
    public static async Task MigrateAsync(ProcessServerDbContext db, CancellationToken cancellationToken = default)
    {
        if (db.Database.IsSqlite())
        {
            var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        await db.Database.MigrateAsync(cancellationToken);
    }
}
