using System.Collections.Concurrent;
using System.Data;
using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using SQLitePCL;

namespace ProcessServer.Persistence;

/// <summary>
/// Writes what a state change staged on its context, as SaveChanges would, without EF's update
/// pipeline, on SQLite. SaveChanges builds every statement anew on every call: it sorts the
/// changes, makes a modification command and a column modification per column, generates the SQL
/// text and its parameters. For one step completion that was more than half of what the whole
/// request allocated, and on SQLite it buys nothing: there is no round trip to batch away, the
/// statements run one by one in process either way. Here each statement shape (an entity type's
/// insert; an update of a given set of columns) is built once from EF's model, its command made and
/// prepared once per open connection, and each change only binds the values.
/// <para>
/// What stays EF's, so the rows written are the ones SaveChanges writes: the model (tables,
/// columns, keys, concurrency tokens), each column's type mapping and value converter (they make
/// the parameters and convert the values), the interceptors and diagnostics every command raises
/// (created, executing, executed, failed; <see cref="IRelationalCommandDiagnosticsLogger"/>), and
/// the change tracker's states before and after. What
/// SaveChanges guarantees and this keeps: all or nothing (a savepoint around the statements, as
/// SaveChanges takes one inside an open transaction); a row whose concurrency token no longer
/// matches fails the change with <see cref="DbUpdateConcurrencyException"/>; any store failure
/// surfaces as <see cref="DbUpdateException"/>.
/// </para>
/// <para>
/// The statements are not sent as one multi-statement command: Microsoft.Data.Sqlite binds every
/// parameter of a command to every statement in it by name, so one command for a change's eleven
/// statements made fifteen hundred name look-ups (each one a UTF-8 copy) instead of a hundred and forty.
/// </para>
/// <para>
/// Each statement also runs on a statement handle of its own, bound straight from the command's
/// parameter values without Microsoft.Data.Sqlite's binding: that made a binder object and a UTF-8
/// array per parameter, formatted every instant as a string first, and opened a data reader for
/// every INSERT and UPDATE (about 13 KB of a completion's 136). The values are stored exactly as it
/// stores them (the same UTF-8 text, instant and decimal formats, integers and blobs); a value it
/// would bind differently or that this does not know (an empty blob, a length-limited
/// parameter, a type it converts specially) and a command an interceptor changed run through the
/// command as before.
/// </para>
/// Anything else (a deletion, a value the store generates, an update and an insert on one table
/// with a unique index, no open transaction, PostgreSQL, where Npgsql already sends SaveChanges'
/// statements in one round trip) goes to SaveChanges as before.
/// </summary>
public static class ChangeWriter
{
    private const string Savepoint = "change";

    private static readonly ConcurrentDictionary<IEntityType, TypeFacts> Types = new();
    // An insert's shape has no columns set (0); an update's has a bit per column it sets.
    private static readonly ConcurrentDictionary<(IEntityType Type, ulong Columns), Shape> Shapes = new();

    // Each open connection's prepared commands by shape.
    private static readonly PerConnection<Shape, Kept> Commands = new();

    /// <summary>Writes the context's tracked changes; the same contract as <see cref="DbContext.SaveChangesAsync(CancellationToken)"/>.</summary>
    /// <param name="db">The context, inside the write path's transaction.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task SaveAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        // The connection's type says the store is SQLite: IsSqlite() names the provider's assembly by
        // reflection on every call, a few per cent of this method's time.
        if (db.Database.GetDbConnection() is not SqliteConnection || db.Database.CurrentTransaction is not { } transaction || Plan(db) is not { } plan)
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var connection = db.GetService<IRelationalConnection>();
        var logger = db.GetService<IRelationalCommandDiagnosticsLogger>();
        var dbTransaction = transaction.GetDbTransaction();
        await transaction.CreateSavepointAsync(Savepoint, cancellationToken);
        try
        {
            foreach (var (shape, values) in plan)
            {
                var kept = Prepared(connection, shape, db, logger);
                var command = kept.Command;
                command.Transaction = dbTransaction;
                shape.Bind(command, values);
                var written = await ExecuteAsync(connection, kept, db, logger, cancellationToken);
                if (written != 1)
                {
                    throw new DbUpdateConcurrencyException(
                        $"The {shape.Type.GetTableName()} row to update was changed or removed since it was read ({written} rows written instead of 1).");
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

    /// <summary>
    /// The shape's command on this connection, made and prepared on its first use there and kept
    /// while the connection stays open. A command EF builds is new on every execution (a new
    /// command, new parameters, the SQL parsed again by SQLite); the group commit's writer
    /// connection stays open across batches, so its statements are parsed once and only re-bound.
    /// </summary>
    private static Kept Prepared(IRelationalConnection relational, Shape shape, DbContext db, IRelationalCommandDiagnosticsLogger logger)
    {
        var commands = Commands.Of(relational.DbConnection);
        if (!commands.TryGetValue(shape, out var kept))
        {
            kept = Kept.Of(shape.Create(relational, db, logger));
            commands[shape] = kept;
        }

        return kept;
    }

    /// <summary>
    /// Runs one statement as EF runs a command: interceptors and diagnostics hear it executing,
    /// executed, or failed, with the same command source as SaveChanges (the durability tests'
    /// simulated crash is an interceptor of exactly this).
    /// </summary>
    private static async Task<int> ExecuteAsync(IRelationalConnection connection, Kept kept, DbContext db,
        IRelationalCommandDiagnosticsLogger logger, CancellationToken cancellationToken)
    {
        var command = kept.Command;
        var commandId = Guid.NewGuid();
        var startTime = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var log = logger.ShouldLogCommandExecute(startTime);
        try
        {
            var interception = log
                ? await logger.CommandNonQueryExecutingAsync(connection, command, command.CommandText, db, commandId, connection.ConnectionId, startTime,
                    CommandSource.SaveChanges, cancellationToken)
                : default;
            var written = interception.HasResult ? interception.Result
                : kept.TryRun() is { } ran ? ran
                : await command.ExecuteNonQueryAsync(cancellationToken);
            return log
                ? await logger.CommandNonQueryExecutedAsync(connection, command, command.CommandText, db, commandId, connection.ConnectionId, written,
                    startTime, Stopwatch.GetElapsedTime(started), CommandSource.SaveChanges, cancellationToken)
                : written;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (log)
            {
                await logger.CommandErrorAsync(connection, command, command.CommandText, db, DbCommandMethod.ExecuteNonQuery, commandId, connection.ConnectionId, ex,
                    startTime, Stopwatch.GetElapsedTime(started), CommandSource.SaveChanges, cancellationToken);
            }

            // As SaveChanges reports a failed statement (a unique key taken, an I/O error).
            throw new DbUpdateException("An error occurred while saving the entity changes. See the inner exception for details.", ex);
        }
    }

    /// <summary>The statements to run with their values (inserts, principals first, then updates), or null when SaveChanges must do it.</summary>
    private static List<(Shape Shape, object?[] Values)>? Plan(ProcessServerDbContext db)
    {
        // Entries() detects the changes first (as SaveChanges does); detecting them again here would only repeat it.
        var inserts = new List<(int Rank, Shape Shape, object?[] Values)>();
        var updates = new List<(Shape Shape, object?[] Values)>();
        foreach (var entry in db.ChangeTracker.Entries())
        {
            switch (entry.State)
            {
                case EntityState.Unchanged:
                case EntityState.Detached:
                    continue;
                case EntityState.Added when Insert(db, entry) is { } insert:
                    inserts.Add(insert);
                    continue;
                case EntityState.Modified when Update(db, entry) is { } update:
                    updates.Add(update);
                    continue;
                default:
                    return null;
            }
        }

        // SaveChanges orders an update before an insert that would otherwise collide with it on a
        // unique index (one published version, a receipt code); this writes inserts first, so a
        // change with both on a table with such an index is left to SaveChanges.
        if (inserts.Any(i => i.Shape.Facts.UniqueIndex && updates.Any(u => u.Shape.Type == i.Shape.Type)))
        {
            return null;
        }

        // Principals before their dependents (a dossier before its tasks), as SaveChanges orders them.
        var plan = inserts.OrderBy(i => i.Rank).Select(i => (i.Shape, i.Values)).ToList();
        plan.AddRange(updates);
        return plan;
    }

    private static (int Rank, Shape Shape, object?[] Values)? Insert(DbContext db, EntityEntry entry)
    {
        var type = entry.Metadata;
        var facts = Types.GetOrAdd(type, TypeFacts.Of);
        if (!facts.Writable || facts.Generated.Any(p => entry.Property(p).IsTemporary))
        {
            return null;
        }

        var shape = Shapes.GetOrAdd((type, 0UL), static (key, state) => Shape.Insert(state.Db, key.Type, state.Facts), (Db: db, Facts: facts));
        var values = new object?[shape.Properties.Count];
        var current = entry.CurrentValues;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = current[shape.Properties[i]];
        }

        return (facts.Rank, shape, values);
    }

    private static (Shape Shape, object?[] Values)? Update(DbContext db, EntityEntry entry)
    {
        var type = entry.Metadata;
        var facts = Types.GetOrAdd(type, TypeFacts.Of);
        if (!facts.Writable)
        {
            return null;
        }

        // Which columns changed, as bits over the type's properties: the key of the update's shape,
        // found without building a list or a string for a shape that already exists.
        ulong set = 0;
        for (var i = 0; i < facts.Properties.Count; i++)
        {
            var property = facts.Properties[i];
            if (entry.Property(property).IsModified)
            {
                if (property.IsPrimaryKey())
                {
                    return null;
                }

                set |= 1UL << i;
            }
        }

        if (set == 0)
        {
            return null;
        }

        var shape = Shapes.GetOrAdd((type, set), static (key, state) => Shape.Update(state.Db, key.Type, state.Facts, key.Columns), (Db: db, Facts: facts));
        var values = new object?[shape.Properties.Count];
        var (current, original) = (entry.CurrentValues, entry.OriginalValues);
        for (var i = 0; i < values.Length; i++)
        {
            // The SET columns and the key take current values; concurrency tokens their original ones.
            var property = shape.Properties[i];
            values[i] = i >= shape.CurrentCount ? original[property] : current[property];
        }

        return (shape, values);
    }

    /// <summary>
    /// A shape's command on one open connection, and the same statement prepared on a SQLite
    /// statement handle of its own (null where that is not possible), with each parameter's index in it.
    /// </summary>
    private sealed class Kept : IDisposable
    {
        // Instants and decimals as Microsoft.Data.Sqlite writes them (SqliteValueBinder), so a row
        // reads back the same whichever path wrote it.
        private const string InstantFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";
        private const string DecimalFormat = "0.0###########################";

        private Kept(DbCommand command, sqlite3? database, sqlite3_stmt? statement, int[] indexes)
        {
            Command = command;
            Database = database;
            Statement = statement;
            Indexes = indexes;
            Text = command.CommandText;
        }

        public DbCommand Command { get; }

        private sqlite3? Database { get; }

        private sqlite3_stmt? Statement { get; }

        private int[] Indexes { get; }

        /// <summary>The SQL the statement handle was prepared from.</summary>
        private string Text { get; }

        public static Kept Of(DbCommand command)
        {
            if (command is not SqliteCommand { Connection.Handle: { } database } sqlite
                || raw.sqlite3_prepare_v2(database, command.CommandText, out var statement) != raw.SQLITE_OK)
            {
                return new Kept(command, null, null, []);
            }

            // Every parameter of the statement bound on every run, each by the index its name has.
            var indexes = new int[sqlite.Parameters.Count];
            for (var i = 0; i < indexes.Length; i++)
            {
                indexes[i] = raw.sqlite3_bind_parameter_index(statement, sqlite.Parameters[i].ParameterName);
            }

            if (indexes.Any(i => i <= 0) || indexes.Distinct().Count() != raw.sqlite3_bind_parameter_count(statement))
            {
                statement.Dispose();
                return new Kept(command, null, null, []);
            }

            return new Kept(command, database, statement, indexes);
        }

        /// <summary>
        /// Runs the statement with the command's parameter values and returns the rows it changed,
        /// or null when the command must run it (a value bound differently there, a command an
        /// interceptor changed, a database busy: the command waits for it as configured).
        /// </summary>
        public int? TryRun()
        {
            if (Statement is not { } statement || Database is not { } database || !ReferenceEquals(Command.CommandText, Text)
                || Command.Parameters.Count != Indexes.Length)
            {
                return null;
            }

            try
            {
                for (var i = 0; i < Indexes.Length; i++)
                {
                    if (Command.Parameters[i] is not SqliteParameter parameter || !Bind(statement, Indexes[i], parameter))
                    {
                        return null;
                    }
                }

                var rc = raw.sqlite3_step(statement);
                if (rc == raw.SQLITE_DONE)
                {
                    return raw.sqlite3_changes(database);
                }

                // Busy or locked: nothing was written; the command waits and retries as it is configured to.
                if ((rc & 0xFF) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED)
                {
                    return null;
                }

                SqliteException.ThrowExceptionForRC(rc, database);
                return null;
            }
            finally
            {
                raw.sqlite3_reset(statement);
            }
        }

        private static bool Bind(sqlite3_stmt statement, int index, SqliteParameter parameter) => parameter.Value switch
        {
            null or DBNull => Check(raw.sqlite3_bind_null(statement, index)),
            // Size reads as the text's own length unless the parameter was given one (EF gives a
            // column's maximum length); Microsoft.Data.Sqlite cuts a longer text to it, and so does this.
            string text => BindText(statement, index, text.Length > parameter.Size && parameter.Size != -1 ? text.AsSpan(0, parameter.Size) : text),
            bool flag => Check(raw.sqlite3_bind_int64(statement, index, flag ? 1 : 0)),
            int number => Check(raw.sqlite3_bind_int64(statement, index, number)),
            long number => Check(raw.sqlite3_bind_int64(statement, index, number)),
            short number => Check(raw.sqlite3_bind_int64(statement, index, number)),
            byte number => Check(raw.sqlite3_bind_int64(statement, index, number)),
            double number when !double.IsNaN(number) => Check(raw.sqlite3_bind_double(statement, index, number)),
            byte[] { Length: > 0 } blob when blob.Length <= parameter.Size || parameter.Size == -1 => Check(raw.sqlite3_bind_blob(statement, index, blob)),
            // Formatted values are cut to a size only when one was given; none is here (Size reads 0).
            DateTime instant when parameter.SqliteType != SqliteType.Real && parameter.Size == 0 => BindFormatted(statement, index, instant, InstantFormat),
            decimal number when parameter.Size == 0 => BindFormatted(statement, index, number, DecimalFormat),
            _ => false,
        };

        private static bool BindText(sqlite3_stmt statement, int index, ReadOnlySpan<char> text)
        {
            if (text.IsEmpty)
            {
                // An empty span would bind NULL (no pointer); the string form binds an empty text.
                return Check(raw.sqlite3_bind_text(statement, index, string.Empty));
            }

            // The same UTF-8 as Microsoft.Data.Sqlite's (Encoding.UTF8, so an unpaired surrogate
            // becomes U+FFFD there and here); SQLite copies it before the call returns.
            var most = Encoding.UTF8.GetMaxByteCount(text.Length);
            byte[]? rented = null;
            Span<byte> buffer = most <= 512 ? stackalloc byte[512] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(most));
            try
            {
                var length = Encoding.UTF8.GetBytes(text, buffer);
                return Check(raw.sqlite3_bind_text(statement, index, buffer[..length]));
            }
            finally
            {
                if (rented is not null)
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }

        private static bool BindFormatted<T>(sqlite3_stmt statement, int index, T value, string format)
            where T : IUtf8SpanFormattable
        {
            Span<byte> buffer = stackalloc byte[64];
            return value.TryFormat(buffer, out var length, format, CultureInfo.InvariantCulture) && length > 0
                && Check(raw.sqlite3_bind_text(statement, index, buffer[..length]));
        }

        private static bool Check(int rc) => rc == raw.SQLITE_OK
            ? true
            : throw new InvalidOperationException($"SQLite refused a parameter's value (result code {rc}).");

        public void Dispose()
        {
            Statement?.Dispose();
            Command.Dispose();
        }
    }

    /// <summary>What the writer needs to know of an entity type, worked out once per type (the model never changes).</summary>
    /// <param name="Writable">A plain table of its own: no owned or complex parts, no table splitting, no inheritance, at most 64 columns (a bit each in an update's shape).</param>
    /// <param name="Rank">How deep the type sits under the types its foreign keys point at (0: none).</param>
    /// <param name="UniqueIndex">Whether its table has a unique index besides its key.</param>
    /// <param name="Properties">Its properties.</param>
    /// <param name="Generated">Its properties whose values the store may generate.</param>
    private sealed record TypeFacts(bool Writable, int Rank, bool UniqueIndex, IReadOnlyList<IProperty> Properties, IReadOnlyList<IProperty> Generated)
    {
        public static TypeFacts Of(IEntityType type) => new(
            type.GetTableName() is not null && type.BaseType is null && !type.GetDirectlyDerivedTypes().Any() && !type.IsOwned()
                && !type.GetComplexProperties().Any() && !type.GetNavigations().Any(n => n.TargetEntityType.IsOwned()) && type.GetProperties().Count() <= 64,
            RankOf(type, 0),
            type.GetIndexes().Any(i => i.IsUnique),
            type.GetProperties().ToList(),
            type.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.Never).ToList());

        private static int RankOf(IEntityType type, int depth) =>
            depth > 16 ? depth : type.GetForeignKeys().Where(f => f.PrincipalEntityType != type)
                .Select(f => 1 + RankOf(f.PrincipalEntityType, depth + 1)).DefaultIfEmpty(0).Max();
    }

    /// <summary>
    /// One statement's shape, built once from the model with the first context that needs it (a
    /// shape belongs to one model's entity type, so to one provider): its SQL, and the property
    /// and type mapping behind each parameter.
    /// </summary>
    private sealed class Shape
    {
        private Shape(IEntityType type, TypeFacts facts, IReadOnlyList<IProperty> properties, int currentCount, DbContext db, Func<Func<int, string>, string> text)
        {
            Type = type;
            Facts = facts;
            Properties = properties;
            CurrentCount = currentCount;
            var helper = db.GetService<ISqlGenerationHelper>();
            Mappings = [.. properties.Select(p => p.GetRelationalTypeMapping())];
            Names = [.. properties.Select((_, i) => helper.GenerateParameterName($"p{i}"))];
            Sql = text(i => helper.GenerateParameterNamePlaceholder($"p{i}"));
        }

        public IEntityType Type { get; }

        public TypeFacts Facts { get; }

        /// <summary>The property behind each parameter, in parameter order.</summary>
        public IReadOnlyList<IProperty> Properties { get; }

        /// <summary>How many of the parameters take current values; the rest (concurrency tokens) take original ones.</summary>
        public int CurrentCount { get; }

        /// <summary>The statement.</summary>
        public string Sql { get; }

        /// <summary>Its parameters' names as the SQL spells them, in parameter order.</summary>
        public string[] Names { get; }

        /// <summary>Each parameter's type mapping (its store type and value converter), in parameter order.</summary>
        public RelationalTypeMapping[] Mappings { get; }

        /// <summary>
        /// A command for this statement on the connection, with a parameter per property made by
        /// its type mapping, as EF makes a command; interceptors hear it created as EF's would be.
        /// </summary>
        public DbCommand Create(IRelationalConnection connection, DbContext db, IRelationalCommandDiagnosticsLogger logger)
        {
            var commandId = Guid.NewGuid();
            var startTime = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            var log = logger.ShouldLogCommandCreate(startTime);
            var creating = log
                ? logger.CommandCreating(connection, DbCommandMethod.ExecuteNonQuery, db, commandId, connection.ConnectionId, startTime, CommandSource.SaveChanges)
                : default;
            var command = creating.HasResult ? creating.Result : connection.DbConnection.CreateCommand();
            if (log)
            {
                command = logger.CommandCreated(connection, command, DbCommandMethod.ExecuteNonQuery, db, commandId, connection.ConnectionId, startTime,
                    Stopwatch.GetElapsedTime(started), CommandSource.SaveChanges);
            }

            command.CommandText = Sql;
            if (connection.CommandTimeout is { } timeout)
            {
                command.CommandTimeout = timeout;
            }

            for (var i = 0; i < Names.Length; i++)
            {
                command.Parameters.Add(Mappings[i].CreateParameter(command, Names[i], null, Properties[i].IsNullable));
            }

            return log
                ? logger.CommandInitialized(connection, command, DbCommandMethod.ExecuteNonQuery, db, commandId, connection.ConnectionId, startTime,
                    Stopwatch.GetElapsedTime(started), CommandSource.SaveChanges)
                : command;
        }

        /// <summary>Sets the command's parameters to a change's values, converted to the store's as the type mappings convert them.</summary>
        public void Bind(DbCommand command, object?[] values)
        {
            var parameters = command.Parameters;
            for (var i = 0; i < values.Length; i++)
            {
                var value = values[i];
                if (value is not null && Mappings[i].Converter is { } converter)
                {
                    value = converter.ConvertToProvider(value);
                }

                parameters[i].Value = value ?? DBNull.Value;
            }
        }

        public static Shape Insert(DbContext db, IEntityType type, TypeFacts facts)
        {
            var (table, store) = Tables(type);
            var properties = facts.Properties;
            return new Shape(type, facts, properties, properties.Count, db, parameter =>
                $"INSERT INTO {table} ({string.Join(", ", properties.Select(p => Column(p, store)))}) VALUES ({string.Join(", ", properties.Select((_, i) => parameter(i)))});");
        }

        public static Shape Update(DbContext db, IEntityType type, TypeFacts facts, ulong columns)
        {
            var set = facts.Properties.Where((_, i) => (columns & (1UL << i)) != 0).ToList();
            var (table, store) = Tables(type);
            var key = type.FindPrimaryKey()!.Properties;
            var tokens = facts.Properties.Where(p => p.IsConcurrencyToken && !p.IsPrimaryKey()).ToList();
            List<IProperty> properties = [.. set, .. key, .. tokens];
            return new Shape(type, facts, properties, set.Count + key.Count, db, parameter =>
            {
                var assignments = set.Select((p, i) => $"{Column(p, store)} = {parameter(i)}");
                // A nullable concurrency token compares with IS, so a null still matches itself.
                var conditions = properties.Skip(set.Count).Select((p, j) =>
                    $"{Column(p, store)} {(j >= key.Count && p.IsNullable ? "IS" : "=")} {parameter(set.Count + j)}");
                return $"UPDATE {table} SET {string.Join(", ", assignments)} WHERE {string.Join(" AND ", conditions)};";
            });
        }

        // Identifiers in SQLite's quoting, as EF's SQLite provider writes them.
        private static string Column(IProperty property, StoreObjectIdentifier store) => $"\"{property.GetColumnName(store)}\"";

        private static (string Table, StoreObjectIdentifier Store) Tables(IEntityType type) =>
            ($"\"{type.GetTableName()}\"", StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema()));
    }
}
