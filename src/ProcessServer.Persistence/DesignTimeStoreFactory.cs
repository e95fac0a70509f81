using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ProcessServer.Persistence;

/// <summary>
/// Builds the context for the <c>dotnet ef</c> tools (migrations add, has-pending-model-changes,
/// script), without starting the web host. SQLite by default; <c>-- --provider Postgres</c> picks
/// PostgreSQL.
/// </summary>
public sealed class DesignTimeStoreFactory : IDesignTimeDbContextFactory<ProcessServerDbContext>
{
    /// <inheritdoc />
    public ProcessServerDbContext CreateDbContext(string[] args)
    {
        var options = new StoreOptions { ConnectionString = "Data Source=design-time.db" };
        for (var i = 0; i + 1 < args.Length; i++)
        {
            if (args[i] == "--provider")
            {
                options.Provider = Enum.Parse<StoreProvider>(args[i + 1], ignoreCase: true);
            }
            else if (args[i] == "--connection")
            {
                options.ConnectionString = args[i + 1];
            }
        }

        if (options.Provider == StoreProvider.Postgres && options.ConnectionString.StartsWith("Data Source=", StringComparison.Ordinal))
        {
            // Generating code needs no server; only commands that touch the database connect.
            options.ConnectionString = "Host=localhost;Database=processserver;Username=postgres";
        }

        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, options);
        return new ProcessServerDbContext(builder.Options);
    }
}
