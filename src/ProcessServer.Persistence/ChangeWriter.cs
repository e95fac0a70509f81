using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace ProcessServer.Persistence;

/// <summary>
/// Writes what a state change staged on its context, as SaveChanges would, without EF's update
/// pipeline on SQLite. SaveChanges builds every statement anew on every call: it sorts the
/// changes, makes a modification command and a column modification per column, generates the SQL
/// text and a parameter per value. For one step completion that was more than half of what the
/// whole request allocated, and on SQLite it buys nothing (statements run one by one in process,
/// there is no round trip to batch away). Here the SQL text and parameter list of each shape (an
/// entity type's insert; an update of a given set of columns) are built once from EF's model and
/// kept; each change only fills in the values.
/// <para>
/// What stays EF's, so the rows written are the ones SaveChanges writes: the model (tables,
/// columns, keys, concurrency tokens), each column's type mapping and value converter (the
/// parameters are made by them), the command execution with its interceptors and logging
/// (<see cref="IRelationalCommand"/>), the change tracker's state before and after. What SaveChanges
/// guarantees and this keeps: all or nothing (a savepoint around the statements, as SaveChanges
/// takes one inside an open transaction), a concurrency token that no longer matches fails with
/// <see cref="DbUpdateConcurrencyException"/>, any store failure surfaces as <see cref="DbUpdateException"/>.
/// </para>
/// Anything else (a deletion, a value the store generates, no open transaction, PostgreSQL, where
/// Npgsql sends SaveChanges' statements in one round trip) goes to SaveChanges as before.
/// </summary>
public static class ChangeWriter
{
    private const string Savepoint = "change";

    private static readonly ConcurrentDictionary<(IEntityType Type, string Columns), Shape> Shapes = new();

    /// <summary>Writes the context's tracked changes; the same contract as <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>.</summary>
    /// <param name="db">The context, inside the write path's transaction.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task SaveAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite() || db.Database.CurrentTransaction is not { } transaction || Plan(db) is not { } plan)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var connection = db.GetService<IRelationalConnection>();
        var logger = db.GetService<IRelationalCommandDiagnosticsLogger>();
        await transaction.CreateSavepointAsync(Savepoint, cancellationToken);
        try
        {
            foreach (var (shape, values) in plan)
            {
                int affected;
                try
                {
                    affected = await shape.Command.ExecuteNonQueryAsync(
                        new RelationalCommandParameterObject(connection, values, null, db, logger, CommandSource.SaveChanges), cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // As SaveChanges reports a failed statement (a unique key taken, an I/O error).
                    throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", ex);
                }

                if (affected != 1)
                {
                    throw new DbUpdateConcurrencyException(
                        $"The {shape.Table} row to update was changed or removed since it was read ({affected} rows affected instead of 1).");
                }
            }
        }
        catch
        {
            await transaction.RollbackToSavepointAsync(Savepoint, CancellationToken.None);
            await transaction.ReleaseSavepointAsync(Savepoint, CancellationToken.None);
            throw;
        }

        await transaction.ReleaseSavepointAsync(Savepoint, cancellationToken);
        db.ChangeTracker.AcceptAllChanges();
    }

    /// <summary>The statements to run with their values (inserts, principals first, then updates), or null when SaveChanges must do it.</summary>
    private static List<(Shape Shape, Dictionary<string, object?> Values)>? Plan(ProcessServerDbContext db)
    {
        db.ChangeTracker.DetectChanges();
        var inserts = new List<(int Rank, Shape Shape, Dictionary<string, object?> Values)>();
        var updates = new List<(Shape Shape, Dictionary<string, object?> Values)>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            switch (entry.State)
            {
                case EntityState.Unchanged:
                case EntityState.Detached:
                    continue;
                case EntityState.Added when Insert(entry) is { } insert:
                    inserts.Add(insert);
                    continue;
                case EntityState.Modified when Update(entry) is { } update:
                    updates.Add(update);
                    continue;
                default:
                    return null;
            }
        }

        // SaveChanges orders an update before an insert that would otherwise collide with it on a
        // unique index (one published version, a receipt code); this writes inserts first, so a
        // change with both on a table with such an index is left to SaveChanges.
        if (inserts.Any(i => updates.Any(u => u.Shape.Type == i.Shape.Type) && i.Shape.Type.GetIndexes().Any(x => x.IsUnique)))
        {
            return null;
        }

        // Principals before their dependents (a dossier before its tasks), as SaveChanges orders them.
        var plan = inserts.OrderBy(i => i.Rank).Select(i => (i.Shape, i.Values)).ToList();
        plan.AddRange(updates);
        return plan;
    }

    private static (int Rank, Shape Shape, Dictionary<string, object?> Values)? Insert(EntityEntry entry)
    {
        var type = entry.Metadata;
        if (!Writable(type))
        {
            return null;
        }

        var properties = type.GetProperties().ToList();
        if (properties.Any(p => p.ValueGenerated != ValueGenerated.Never && entry.Property(p.Name).IsTemporary))
        {
            return null;
        }

        var shape = Shapes.GetOrAdd((type, "insert"), static (key, db) => Shape.Insert(db, key.Type), entry.Context);
        var values = new Dictionary<string, object?>(shape.Parameters.Count, StringComparer.Ordinal);
        for (var i = 0; i < shape.Properties.Count; i++)
        {
            values[shape.Parameters[i]] = entry.CurrentValues[shape.Properties[i]];
        }

        return (Rank(type), shape, values);
    }

    private static (Shape Shape, Dictionary<string, object?> Values)? Update(EntityEntry entry)
    {
        var type = entry.Metadata;
        if (!Writable(type))
        {
            return null;
        }

        var set = new List<IProperty>();
        foreach (var property in type.GetProperties())
        {
            if (entry.Property(property.Name).IsModified)
            {
                if (property.IsPrimaryKey())
                {
                    return null;
                }

                set.Add(property);
            }
        }

        if (set.Count == 0)
        {
            return null;
        }

        var columns = string.Join(',', set.Select(p => p.Name));
        var shape = Shapes.GetOrAdd((type, columns), static (key, state) => Shape.Update(state.Context, key.Type, state.Set), (Context: entry.Context, Set: set));
        var values = new Dictionary<string, object?>(shape.Parameters.Count, StringComparer.Ordinal);
        for (var i = 0; i < shape.Properties.Count; i++)
        {
            // The SET columns and the key take current values; concurrency tokens their original ones.
            var property = shape.Properties[i];
            values[shape.Parameters[i]] = i >= shape.CurrentCount ? entry.OriginalValues[property] : entry.CurrentValues[property];
        }

        return (shape, values);
    }

    /// <summary>A plain table of its own: no owned or complex parts, no table splitting, no inheritance.</summary>
    private static bool Writable(IEntityType type) =>
        type.GetTableName() is not null && type.BaseType is null && !type.GetDirectlyDerivedTypes().Any() && !type.IsOwned()
        && !type.GetComplexProperties().Any() && !type.GetNavigations().Any(n => n.TargetEntityType.IsOwned());

    /// <summary>How deep an entity type sits under the types its foreign keys point at (0: none).</summary>
    private static int Rank(IEntityType type, int depth = 0) =>
        depth > 16 ? depth : type.GetForeignKeys().Where(f => f.PrincipalEntityType != type)
            .Select(f => 1 + Rank(f.PrincipalEntityType, depth + 1)).DefaultIfEmpty(0).Max();

    /// <summary>One statement's SQL and parameters, built once from the model.</summary>
    private sealed class Shape
    {
        private Shape(IEntityType type, IRelationalCommand command, List<IProperty> properties, List<string> parameters, int currentCount)
        {
            Type = type;
            Table = type.GetTableName()!;
            Command = command;
            Properties = properties;
            Parameters = parameters;
            CurrentCount = currentCount;
        }

        public IEntityType Type { get; }

        public string Table { get; }

        public IRelationalCommand Command { get; }

        /// <summary>The property behind each parameter, in parameter order.</summary>
        public List<IProperty> Properties { get; }

        /// <summary>The parameters' names (p0, p1, …).</summary>
        public List<string> Parameters { get; }

        /// <summary>How many of the parameters take current values; the rest (concurrency tokens) take original ones.</summary>
        public int CurrentCount { get; }

        public static Shape Insert(DbContext db, IEntityType type)
        {
            var (table, store, helper) = Names(db, type);
            var properties = type.GetProperties().ToList();
            var builder = db.GetService<IRelationalCommandBuilderFactory>().Create();
            var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (")
                .AppendJoin(", ", properties.Select(p => helper.DelimitIdentifier(p.GetColumnName(store)!))).Append(") VALUES (");
            var names = new List<string>();
            for (var i = 0; i < properties.Count; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(Parameter(builder, helper, properties[i], names));
            }

            return new Shape(type, builder.Append(sql.Append(");").ToString()).Build(), properties, names, properties.Count);
        }

        public static Shape Update(DbContext db, IEntityType type, List<IProperty> set)
        {
            var (table, store, helper) = Names(db, type);
            var key = type.FindPrimaryKey()!.Properties;
            var tokens = type.GetProperties().Where(p => p.IsConcurrencyToken && !p.IsPrimaryKey()).ToList();
            var builder = db.GetService<IRelationalCommandBuilderFactory>().Create();
            var names = new List<string>();
            var sql = new StringBuilder("UPDATE ").Append(table).Append(" SET ")
                .AppendJoin(", ", set.Select(p => $"{helper.DelimitIdentifier(p.GetColumnName(store)!)} = {Parameter(builder, helper, p, names)}"))
                .Append(" WHERE ")
                .AppendJoin(" AND ", key.Select(p => $"{helper.DelimitIdentifier(p.GetColumnName(store)!)} = {Parameter(builder, helper, p, names)}"));
            foreach (var token in tokens)
            {
                var column = helper.DelimitIdentifier(token.GetColumnName(store)!);
                var parameter = Parameter(builder, helper, token, names);
                sql.Append(token.IsNullable ? $" AND {column} IS {parameter}" : $" AND {column} = {parameter}");
            }

            return new Shape(type, builder.Append(sql.Append(';').ToString()).Build(), [.. set, .. key, .. tokens], names, set.Count + key.Count);
        }

        private static (string Table, StoreObjectIdentifier Store, ISqlGenerationHelper Helper) Names(DbContext db, IEntityType type)
        {
            var helper = db.GetService<ISqlGenerationHelper>();
            return (helper.DelimitIdentifier(type.GetTableName()!, type.GetSchema()), StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema()), helper);
        }

        private static string Parameter(IRelationalCommandBuilder builder, ISqlGenerationHelper helper, IProperty property, List<string> names)
        {
            var name = $"p{names.Count}";
            names.Add(name);
            builder.AddParameter(name, helper.GenerateParameterName(name), property.GetRelationalTypeMapping(), property.IsNullable);
            return helper.GenerateParameterNamePlaceholder(name);
        }
    }
}
