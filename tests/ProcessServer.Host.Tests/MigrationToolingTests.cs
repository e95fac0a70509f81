using System.Diagnostics;
using System.Reflection;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.EntityFrameworkCore.Migrations.Operations;
using Microsoft.Extensions.DependencyInjection;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The migrations are EF Core's standard ones (dotnet-ef tool, model snapshot) and one set serves
/// SQLite and PostgreSQL; see NeutralMigrationsGenerator for why one set.
/// </summary>
public sealed class MigrationToolingTests
{
    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.Postgres)]
    public void The_committed_snapshot_matches_the_model_on_each_database(StoreProvider provider)
    {
        using var db = DesignTimeContext(provider);
        db.Database.HasPendingModelChanges().Should().BeFalse(
            "a model change needs its migration: dotnet ef migrations add <Name> --project src/ProcessServer.Persistence");
    }

    [Fact]
    public void The_model_names_no_store_type_so_each_database_picks_its_own()
    {
        using var db = DesignTimeContext(StoreProvider.Sqlite);
        var typed = db.Model.GetEntityTypes().SelectMany(e => e.GetProperties())
            .Where(p => p.FindAnnotation(RelationalAnnotationNames.ColumnType) is not null)
            .Select(p => $"{p.DeclaringType.DisplayName()}.{p.Name}");
        typed.Should().BeEmpty("HasColumnType ties a column to one database; use lengths and precision instead");
    }

    [Fact]
    public void Scaffolding_the_next_migration_finds_no_change_and_writes_the_committed_snapshot_again()
    {
        using var db = DesignTimeContext(StoreProvider.Sqlite);
        using var services = DesignTimeServices(db);
        var scaffolded = services.GetRequiredService<IMigrationsScaffolder>().ScaffoldMigration("Next", "ProcessServer.Persistence");

        scaffolded.MigrationCode.Should().NotContain("migrationBuilder.", "the model has no change the migrations lack");
        var committed = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "ProcessServer.Persistence", "Migrations", "ProcessServerDbContextModelSnapshot.cs"));
        Normalize(scaffolded.SnapshotCode).Should().Be(Normalize(committed));
        scaffolded.SnapshotCode.Should().NotContain("HasColumnType");
    }

    [Fact]
    public void A_generated_migration_leaves_store_types_to_the_database_that_applies_it()
    {
        using var db = DesignTimeContext(StoreProvider.Sqlite);
        using var services = DesignTimeServices(db);
        var generator = services.GetRequiredService<IMigrationsCodeGeneratorSelector>().Select("C#");
        generator.Should().BeOfType<NeutralMigrationsGenerator>();

        var code = generator.GenerateMigration("ProcessServer.Persistence.Migrations", "AddNote",
            [
                new AddColumnOperation { Table = "Dossiers", Name = "Note", ClrType = typeof(string), ColumnType = "TEXT", MaxLength = 200, IsNullable = true },
                new CreateTableOperation
                {
                    Name = "Notes",
                    Columns = { new AddColumnOperation { Table = "Notes", Name = "At", ClrType = typeof(DateTime), ColumnType = "timestamp with time zone" } },
                },
            ],
            [new DropColumnOperation { Table = "Dossiers", Name = "Note" }]);

        code.Should().Contain("maxLength: 200").And.NotContain("type:").And.NotContain("TEXT").And.NotContain("timestamp");
    }

    [Fact]
    public async Task Migrating_a_new_SQLite_file_builds_exactly_the_schema_the_model_describes()
    {
        using var work = new Support.TempDatabase();
        var migrated = Path.Combine(work.Folder, "migrated.db");
        var created = Path.Combine(work.Folder, "created.db");
        await using (var db = SqliteContext(migrated))
        {
            await StoreRegistration.MigrateAsync(db);
        }

        await using (var db = SqliteContext(created))
        {
            await db.Database.EnsureCreatedAsync();
        }

        SchemaDifference(await SqliteSchemaAsync(migrated), await SqliteSchemaAsync(created))
            .Should().BeEmpty("the migrations and the model must agree column by column, index by index");
    }

    [Fact]
    public async Task A_database_written_by_the_release_with_hand_written_migrations_upgrades_without_loss_and_keeps_working()
    {
        // Made by main at e357c9b through the README walk-through (Fixtures/make-fixture.sh): six
        // dossiers in every state, a supplement wait, an apology, a migration plan, a calendar change,
        // idempotency records, pending deadlines and Quartz's job rows.
        using var work = new Support.TempDatabase();
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "processserver-e357c9b.db"), work.DatabaseFile);
        var before = await SqliteRowsAsync(work.DatabaseFile);
        before["Dossiers"].Rows.Should().HaveCount(6);

        await using (var db = SqliteContext(work.DatabaseFile))
        {
            await StoreRegistration.MigrateAsync(db);
            (await db.Database.GetAppliedMigrationsAsync()).Should().Equal(db.Database.GetMigrations());
        }

        var after = await SqliteRowsAsync(work.DatabaseFile, columnsOf: before);
        foreach (var (table, (_, rows)) in before)
        {
            after[table].Rows.Should().Equal(rows, $"every row of {table} must survive the upgrade unchanged");
        }

        var created = Path.Combine(work.Folder, "created.db");
        await using (var db = SqliteContext(created))
        {
            await db.Database.EnsureCreatedAsync();
        }

        SchemaDifference(await SqliteSchemaAsync(work.DatabaseFile), await SqliteSchemaAsync(created))
            .Should().BeEmpty("the upgraded file has the current model's schema");

        // The server runs on it: the dossier waiting for a supplement resumes and moves on.
        var clock = new Support.ManualClock(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
        using var app = new Support.ServerApp(work.DatabaseFile, clock);
        var waiting = await Support.ClerkApi.GetAsync(app, "HCC-BINHSON-261130-0002");
        Support.ClerkApi.Status(waiting).Should().Be("AwaitingSupplement");
        waiting = await Support.ClerkApi.CompleteAsync(app, waiting, "check", "SupplementReceived", Support.Keys.Land);
        waiting = await Support.ClerkApi.CompleteAsync(app, waiting, "check", "Done", Support.Keys.Land);
        Support.ClerkApi.OpenActivities(waiting).Should().Be("communeConfirm,taxNotice");
        (await Support.ClerkApi.GetAsync(app, "HCC-BINHSON-261130-0001"))["journal"]!.AsArray().Should().HaveCount(
            before["Journal"].Rows.Count(r => r.Contains("01a22aa9-8be4-7924-8d4d-602f66fc30d1", StringComparison.Ordinal)));
    }

    /// <summary>Every table's columns and rows (as sorted strings); with <paramref name="columnsOf"/>, only the tables and columns it has.</summary>
    private static async Task<Dictionary<string, (List<string> Columns, List<string> Rows)>> SqliteRowsAsync(
        string file, Dictionary<string, (List<string> Columns, List<string> Rows)>? columnsOf = null)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=false");
        await connection.OpenAsync();
        var result = new Dictionary<string, (List<string> Columns, List<string> Rows)>();
        foreach (var table in (await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '!_!_EFMigrations%' ESCAPE '!'")).Select(r => r[0]))
        {
            var columns = columnsOf is null
                ? (await QueryAsync(connection, $"PRAGMA table_info(\"{table}\")")).Select(r => $"\"{r[1]}\"").ToList()
                : columnsOf.TryGetValue(table, out var old) ? old.Columns : null;
            if (columns is not null)
            {
                var rows = await QueryAsync(connection, $"SELECT {string.Join(", ", columns)} FROM \"{table}\"");
                result[table] = (columns, rows.Select(r => string.Join(" | ", r)).Order(StringComparer.Ordinal).ToList());
            }
        }

        return result;
    }

    [Fact]
    public async Task dotnet_ef_reports_no_pending_model_changes_for_SQLite_and_PostgreSQL()
    {
        var root = RepositoryRoot();
        var restore = await RunAsync(root, "tool restore");
        restore.Exit.Should().Be(0, restore.Output);
        // The tests run from bin/<configuration>/net10.0 and the tool reads the build the test run made.
        var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)))!;
        foreach (var provider in new[] { "Sqlite", "Postgres" })
        {
            var check = await RunAsync(root,
                $"ef migrations has-pending-model-changes --no-build --configuration {configuration} --project src/ProcessServer.Persistence -- --provider {provider}");
            check.Exit.Should().Be(0, $"dotnet ef has-pending-model-changes must pass on {provider}: {check.Output}");
        }
    }

    internal static ProcessServerDbContext DesignTimeContext(StoreProvider provider) =>
        new DesignTimeStoreFactory().CreateDbContext(["--provider", provider.ToString()]);

    internal static ProcessServerDbContext SqliteContext(string file)
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, new StoreOptions { ConnectionString = $"Data Source={file};Pooling=false" });
        return new ProcessServerDbContext(builder.Options);
    }

    /// <summary>Tables, columns (type, nullability, key), indexes and foreign keys of a SQLite file, as comparable strings.</summary>
    internal static async Task<List<string>> SqliteSchemaAsync(string file, bool includeQuartz = false)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=false");
        await connection.OpenAsync();
        var schema = new List<string>();
        var tables = await QueryAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '!_!_EFMigrations%' ESCAPE '!' ORDER BY name");
        foreach (var table in tables.Select(r => r[0]).Where(t => includeQuartz || !t.StartsWith("QRTZ_", StringComparison.OrdinalIgnoreCase)))
        {
            schema.AddRange((await QueryAsync(connection, $"PRAGMA table_info(\"{table}\")")).Select(r => $"{table}.{r[1]} {r[2]} notnull={r[3]} pk={r[5]}"));
            foreach (var index in await QueryAsync(connection, $"PRAGMA index_list(\"{table}\")"))
            {
                var columns = (await QueryAsync(connection, $"PRAGMA index_info(\"{index[1]}\")")).Select(r => r[2]);
                schema.Add($"{table} index {index[1]} unique={index[2]} ({string.Join(",", columns)})");
            }

            schema.AddRange((await QueryAsync(connection, $"PRAGMA foreign_key_list(\"{table}\")")).Select(r => $"{table} fk {r[3]} -> {r[2]}.{r[4]} on delete {r[6]}"));
        }

        return schema;
    }

    /// <summary>What only one of two schemas has, marked with the side that has it.</summary>
    internal static List<string> SchemaDifference(List<string> migrated, List<string> model) =>
        [.. migrated.Except(model).Select(s => "only migrated: " + s), .. model.Except(migrated).Select(s => "only model: " + s)];

    internal static async Task<List<string[]>> QueryAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "<null>" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!).ToArray());
        }

        return rows;
    }

    internal static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "ProcessServer.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("ProcessServer.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The services <c>dotnet ef</c> builds: EF's design-time services, the provider's, then the project's own.</summary>
    private static ServiceProvider DesignTimeServices(ProcessServerDbContext db)
    {
        var services = new ServiceCollection().AddEntityFrameworkDesignTimeServices().AddDbContextDesignTimeServices(db);
        var provider = typeof(SqliteDbContextOptionsBuilder).Assembly.GetCustomAttribute<DesignTimeProviderServicesAttribute>()!;
        ((IDesignTimeServices)Activator.CreateInstance(typeof(SqliteDbContextOptionsBuilder).Assembly.GetType(provider.TypeName, throwOnError: true)!)!)
            .ConfigureDesignTimeServices(services);
        new ProcessServerDesignTimeServices().ConfigureDesignTimeServices(services);
        return services.BuildServiceProvider();
    }

    private static string Normalize(string code) => code.Replace("\r\n", "\n", StringComparison.Ordinal).TrimStart('\uFEFF').Trim();

    private static async Task<(int Exit, string Output)> RunAsync(string folder, string arguments)
    {
        var start = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, $"dotnet {arguments}\n{await output}\n{await error}");
    }
}

/// <summary>The same migrations build the model's schema on PostgreSQL.</summary>
[Collection(Support.PostgresGroup.Name)]
public sealed class PostgresMigrationToolingTests(Support.PostgresServer postgres)
{
    [Fact]
    public async Task Migrating_a_new_PostgreSQL_database_builds_exactly_the_schema_the_model_describes()
    {
        var migrated = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        var created = new StoreOptions { Provider = StoreProvider.Postgres, ConnectionString = postgres.NewDatabase() };
        await using (var db = Context(migrated))
        {
            await StoreRegistration.MigrateAsync(db);
            (await db.Database.GetPendingMigrationsAsync()).Should().BeEmpty();
        }

        await using (var db = Context(created))
        {
            await db.Database.EnsureCreatedAsync();
        }

        var schema = await SchemaAsync(migrated);
        schema.Should().Contain("Dossiers.DueAt timestamp with time zone nullable=YES", "each database picks its own store types");
        MigrationToolingTests.SchemaDifference(schema, await SchemaAsync(created))
            .Should().BeEmpty("the migrations and the model must agree column by column, index by index");
    }

    private static ProcessServerDbContext Context(StoreOptions options)
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, options);
        return new ProcessServerDbContext(builder.Options);
    }

    /// <summary>Columns with their types, indexes with their definitions and foreign keys of the model's tables.</summary>
    private static async Task<List<string>> SchemaAsync(StoreOptions options)
    {
        await using var db = Context(options);
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        var schema = new List<string>();
        foreach (var sql in new[]
                 {
                     """
                     SELECT table_name || '.' || column_name || ' ' || data_type || coalesce('(' || character_maximum_length || ')', '')
                         || coalesce(' numeric(' || numeric_precision || ',' || numeric_scale || ')', '') || ' nullable=' || is_nullable
                     FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'qrtz%' AND table_name NOT LIKE '\_\_EF%'
                     """,
                     "SELECT tablename || ' ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'qrtz%' AND tablename NOT LIKE '\\_\\_EF%'",
                     "SELECT conrelid::regclass || ' ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('f', 'p', 'u') AND connamespace = 'public'::regnamespace AND conname NOT LIKE '%EF%' AND conrelid::regclass::text NOT LIKE 'qrtz%'",
                 })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                schema.Add(reader.GetString(0));
            }
        }

        return schema;
    }
}
