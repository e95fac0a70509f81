using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

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
}

/// <summary>Registers and prepares the store.</summary>
public static class StoreRegistration
{
    /// <summary>Adds <see cref="ProcessServerDbContext"/> for the configured provider.</summary>
    public static IServiceCollection AddProcessServerStore(this IServiceCollection services, StoreOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<WriteGate>();
        services.AddSingleton<GroupCommit>();
        // Interceptors registered in DI (tests use one to simulate a crash mid-transition).
        services.AddDbContext<ProcessServerDbContext>((provider, builder) =>
            Configure(builder, options).AddInterceptors(provider.GetServices<IInterceptor>()));
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

        // No warning is silenced: with the model snapshot in Migrations/, Migrate refuses to run
        // when the model has changed without a migration (EF's PendingModelChangesWarning).
        return builder;
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
