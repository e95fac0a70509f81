using System.Collections.Concurrent;
using System.Data;
using System.Linq.Expressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Persistence;

/// <summary>
/// Reads the rows a change of a dossier works on (the dossier, its open tasks, its deadlines not
/// cancelled: what <see cref="WritePathQueries.DossierByRef"/>, <see cref="WritePathQueries.OpenTasksAsync"/>
/// and <see cref="WritePathQueries.DeadlinesAsync"/> return) on the write path's SQLite connection,
/// without EF's query pipeline, as untracked entities for the caller to attach. EF makes a new
/// command for every execution of a compiled query, so SQLite parses its SQL again each time, and
/// materialises through its shaper with identity resolution: the three reads were a third of a
/// one-clerk completion's time in its batch whenever the dossier's rows were not kept from its last
/// change (BENCHMARKS.md). Here each statement is prepared once per open connection (the group
/// commit's writer stays open) and each column is read and converted as EF reads it: the column's
/// type mapping gives the value's store type, its value converter (our UTC one for instants) the
/// property's value.
/// <para>
/// Null (read them through EF) when the store is not SQLite, no transaction is open, or a property
/// has a store type this does not read; <c>RowReaderTests</c> compares every property with what EF reads.
/// </para>
/// </summary>
public static class RowReader
{
    // Each model's statements, built once (null: this model's rows are read through EF).
    private static readonly ConcurrentDictionary<IModel, Statements?> ByModel = new();

    // Each open connection's prepared commands by statement.
    private static readonly PerConnection<Statement, SqliteCommand> Commands = new();

    /// <summary>The dossier with id <paramref name="dossierId"/>, its open tasks and its deadlines not cancelled, untracked; null when they must be read through EF.</summary>
    /// <param name="db">The change's context, inside the write path's transaction.</param>
    /// <param name="dossierId">The dossier's id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<(Dossier? Dossier, List<DossierTask> OpenTasks, List<Deadline> Deadlines)?> ReadAsync(
        ProcessServerDbContext db, string dossierId, CancellationToken cancellationToken)
    {
        if (WritePath(db) is not var (connection, transaction, statements))
        {
            return null;
        }

        var dossier = await ReadAsync<Dossier>(connection, transaction, statements.Dossier, dossierId, null, cancellationToken);
        if (dossier.Count == 0)
        {
            return (null, [], []);
        }

        return (dossier[0],
            await ReadAsync<DossierTask>(connection, transaction, statements.OpenTasks, dossierId, null, cancellationToken),
            await ReadAsync<Deadline>(connection, transaction, statements.Deadlines, dossierId, null, cancellationToken));
    }

    /// <summary>
    /// The stored answer under <paramref name="scope"/> and <paramref name="key"/> as
    /// <see cref="WritePathQueries.IdempotencyRecord"/> returns it (Read false: read it through EF).
    /// Every change on the write path looks for one, and almost never finds it.
    /// </summary>
    /// <param name="db">The change's context, inside the write path's transaction.</param>
    /// <param name="scope">The caller's scope.</param>
    /// <param name="key">The Idempotency-Key.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<(bool Read, IdempotencyRecord? Record)> IdempotencyRecordAsync(ProcessServerDbContext db, string scope, string key,
        CancellationToken cancellationToken)
    {
        if (WritePath(db) is not var (connection, transaction, statements))
        {
            return (false, null);
        }

        var found = await ReadAsync<IdempotencyRecord>(connection, transaction, statements.IdempotencyRecord, scope, key, cancellationToken);
        return (true, found.Count == 0 ? null : found[0]);
    }

    /// <summary>
    /// The dossier's journal entries after sequence <paramref name="after"/>, in order, as
    /// <see cref="WritePathQueries.StoredViewsAfterAsync"/> returns them; null when they must be read
    /// through EF. Unlike the other reads this one also runs before the write path, on a connection
    /// opened for it with no transaction. It is the longest read a change makes: the first change of a
    /// dossier whose journal this process has not seen (after a restart, or another process's change)
    /// reads every entry, and through EF each run of the compiled query built its command and reader
    /// anew and each entry's instant was parsed by <see cref="DateTime.Parse(string, IFormatProvider)"/>
    /// (BENCHMARKS.md, "The journal's first read").
    /// </summary>
    /// <param name="db">The change's context, its connection open.</param>
    /// <param name="dossierId">The dossier's id.</param>
    /// <param name="after">The last sequence number already known.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public static async Task<List<StoredJournalView>?> StoredViewsAfterAsync(ProcessServerDbContext db, string dossierId, int after,
        CancellationToken cancellationToken)
    {
        if (Open(db) is not var (connection, transaction, statements) || statements.Journal is not { } journal)
        {
            return null;
        }

        var command = Prepared(connection, journal.Statement);
        command.Transaction = transaction;
        command.Parameters[0].Value = dossierId;
        command.Parameters[1].Value = after;
        var views = new List<StoredJournalView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            views.Add(new StoredJournalView(reader.GetInt32(0), journal.Timestamp(reader, 1), reader.IsDBNull(2) ? null : reader.GetFieldValue<byte[]>(2)));
        }

        return views;
    }

    /// <summary>The write path's open SQLite connection and transaction with the model's statements; null when EF must read.</summary>
    private static (SqliteConnection Connection, SqliteTransaction Transaction, Statements Statements)? WritePath(DbContext db) =>
        Open(db) is var (connection, transaction, statements) && transaction is not null ? (connection, transaction, statements) : null;

    /// <summary>The context's open SQLite connection, its transaction if one is open, and the model's statements; null when EF must read.</summary>
    /// <remarks>The connection's type says the store is SQLite (IsSqlite() names the provider's assembly by reflection on every call).</remarks>
    private static (SqliteConnection Connection, SqliteTransaction? Transaction, Statements Statements)? Open(DbContext db) =>
        db.Database.GetDbConnection() is SqliteConnection { State: ConnectionState.Open } connection
            && db.Database.CurrentTransaction?.GetDbTransaction() is var current && (current is null || current is SqliteTransaction)
            && ByModel.GetOrAdd(db.Model, static (_, db) => Statements.For(db), db) is { } statements
            ? (connection, current as SqliteTransaction, statements)
            : null;

    private static async Task<List<T>> ReadAsync<T>(SqliteConnection connection, SqliteTransaction transaction, Statement statement, string id,
        string? key, CancellationToken cancellationToken)
        where T : class
    {
        var command = Prepared(connection, statement);
        command.Transaction = transaction;
        command.Parameters[0].Value = id;
        if (key is not null)
        {
            command.Parameters[1].Value = key;
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((T)statement.Rows!.Read(reader));
        }

        return rows;
    }

    private static SqliteCommand Prepared(SqliteConnection connection, Statement statement)
    {
        var commands = Commands.Of(connection);
        if (!commands.TryGetValue(statement, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = statement.Sql;
            command.Parameters.Add("$id", SqliteType.Text);
            if (statement.Second is var (name, type))
            {
                command.Parameters.Add(name, type);
            }

            commands[statement] = command;
        }

        return command;
    }

    /// <summary>One statement: its SQL (parameter <c>$id</c>, then <c>$key</c> or <c>$after</c> when it has a second) and how its rows are read. Compared by reference, so finding its command hashes no SQL text.</summary>
    private sealed class Statement(string sql, Materializer? rows, (string Name, SqliteType Type)? second = null)
    {
        public string Sql { get; } = sql;

        /// <summary>How its rows become entities; null for the journal's, read column by column.</summary>
        public Materializer? Rows { get; } = rows;

        public (string Name, SqliteType Type)? Second { get; } = second;
    }

    /// <summary>The model's statements, with the same conditions as <see cref="WritePathQueries"/>' queries.</summary>
    private sealed record Statements(Statement Dossier, Statement OpenTasks, Statement Deadlines, Statement IdempotencyRecord, JournalViews? Journal)
    {
        public static Statements? For(DbContext db)
        {
            if (Materializer.For(db, typeof(Dossier)) is not { } dossiers || Materializer.For(db, typeof(DossierTask)) is not { } tasks
                || Materializer.For(db, typeof(Deadline)) is not { } deadlines || Materializer.For(db, typeof(IdempotencyRecord)) is not { } records)
            {
                return null;
            }

            var open = string.Join(", ", TaskStatuses.Open.Select(s => $"'{s}'"));
            return new Statements(
                new Statement(dossiers.Select + $" WHERE {dossiers.Column("Id")} = $id", dossiers),
                new Statement(tasks.Select + $" WHERE {tasks.Column("DossierId")} = $id AND {tasks.Column("Status")} IN ({open})", tasks),
                new Statement(deadlines.Select + $" WHERE {deadlines.Column("DossierId")} = $id AND {deadlines.Column("Status")} <> '{Entities.Deadlines.Cancelled}'", deadlines),
                new Statement(records.Select + $" WHERE {records.Column("Scope")} = $id AND {records.Column("Key")} = $key", records, ("$key", SqliteType.Text)),
                JournalViews.For(db));
        }
    }

    /// <summary>
    /// The journal's statement (sequence, instant and stored view of the entries after <c>$after</c>,
    /// in order) and how its instant is read: as EF reads it (the reader's <see cref="SqliteDataReader.GetDateTime"/>,
    /// then the property's value converter), except that text in the one form EF's SQLite provider
    /// writes an instant in is taken apart digit by digit instead of by <see cref="DateTime.Parse(string, IFormatProvider)"/>,
    /// which tries every form a culture knows and was the largest single cost of reading a long
    /// journal. Anything else (text written by another tool, say) goes to the reader's own parse.
    /// </summary>
    private sealed class JournalViews(Statement statement, Func<object?, object?>? convert)
    {
        public Statement Statement { get; } = statement;

        public static JournalViews? For(DbContext db)
        {
            if (db.Model.FindEntityType(typeof(JournalEntry)) is not { } type || type.GetTableName() is not { } table)
            {
                return null;
            }

            var storeObject = StoreObjectIdentifier.Table(table, type.GetSchema());
            var helper = db.GetService<ISqlGenerationHelper>();
            string? Column(string name, Type storeType, out Func<object?, object?>? converter)
            {
                var property = type.FindProperty(name);
                var mapping = property?.GetRelationalTypeMapping();
                converter = mapping?.Converter is { } c ? c.ConvertFromProvider : null;
                var stored = mapping?.Converter?.ProviderClrType ?? mapping?.ClrType;
                return stored is not null && (Nullable.GetUnderlyingType(stored) ?? stored) == storeType && property!.GetColumnName(storeObject) is { } column
                    ? helper.DelimitIdentifier(column)
                    : null;
            }

            if (Column(nameof(JournalEntry.DossierId), typeof(string), out var idConverter) is not { } dossierId
                || Column(nameof(JournalEntry.Sequence), typeof(int), out var sequenceConverter) is not { } sequence
                || Column(nameof(JournalEntry.Timestamp), typeof(DateTime), out var convert) is not { } timestamp
                || Column(nameof(JournalEntry.ViewJson), typeof(byte[]), out var viewConverter) is not { } view
                || idConverter is not null || sequenceConverter is not null || viewConverter is not null)
            {
                return null;
            }

            return new JournalViews(
                new Statement($"SELECT {sequence}, {timestamp}, {view} FROM {helper.DelimitIdentifier(table)} WHERE {dossierId} = $id AND {sequence} > $after ORDER BY {sequence}",
                    null, ("$after", SqliteType.Integer)),
                convert);
        }

        /// <summary>The instant in column <paramref name="ordinal"/> as EF materialises it.</summary>
        public DateTime Timestamp(SqliteDataReader reader, int ordinal)
        {
            var stored = reader.GetFieldType(ordinal) == typeof(string) && TryParseStored(reader.GetString(ordinal), out var parsed) ? parsed : reader.GetDateTime(ordinal);
            return convert is null ? stored : (DateTime)convert(stored)!;
        }
    }

    /// <summary>
    /// Reads text of the form EF's SQLite provider stores an instant in, <c>yyyy-MM-dd HH:mm:ss</c>
    /// with up to seven digits of fraction after a dot (trailing zeros dropped), to the value
    /// <see cref="DateTime.Parse(string, IFormatProvider)"/> gives for it; false for any other text.
    /// </summary>
    internal static bool TryParseStored(ReadOnlySpan<char> text, out DateTime value)
    {
        value = default;
        if (text.Length is < 19 or 20 or > 27 || text[4] != '-' || text[7] != '-' || text[10] != ' ' || text[13] != ':' || text[16] != ':'
            || (text.Length > 19 && text[19] != '.')
            || !Digits(text[..4], out var year) || !Digits(text[5..7], out var month) || !Digits(text[8..10], out var day)
            || !Digits(text[11..13], out var hour) || !Digits(text[14..16], out var minute) || !Digits(text[17..19], out var second)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        long ticks = 0;
        for (var i = 20; i < 27; i++)
        {
            var digit = i < text.Length ? text[i] - '0' : 0;
            if ((uint)digit > 9)
            {
                return false;
            }

            ticks = (ticks * 10) + digit;
        }

        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).AddTicks(ticks);
        return true;

        static bool Digits(ReadOnlySpan<char> digits, out int number) =>
            int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    /// <summary>How one entity type's rows are read: its columns in order and, per column, how the store's value becomes the property's.</summary>
    private sealed class Materializer
    {
        private readonly Func<object> _create;
        private readonly (Func<SqliteDataReader, int, object> Read, Func<object?, object?>? Convert, Action<object, object?> Set)[] _columns;
        private readonly Dictionary<string, string> _columnNames;

        private Materializer(string select, Func<object> create, (Func<SqliteDataReader, int, object>, Func<object?, object?>?, Action<object, object?>)[] columns,
            Dictionary<string, string> columnNames)
        {
            Select = select;
            _create = create;
            _columns = columns;
            _columnNames = columnNames;
        }

        /// <summary>SELECT of every column FROM the table, without a condition.</summary>
        public string Select { get; }

        /// <summary>The delimited column of a property.</summary>
        public string Column(string property) => _columnNames[property];

        public static Materializer? For(DbContext db, Type clrType)
        {
            if (db.Model.FindEntityType(clrType) is not { } type)
            {
                return null;
            }

            var helper = db.GetService<ISqlGenerationHelper>();
            var properties = type.GetProperties().ToList();
            if (type.GetTableName() is not { } table || type.BaseType is not null || type.GetDirectlyDerivedTypes().Any() || type.IsOwned()
                || type.GetComplexProperties().Any() || properties.Any(p => p.IsShadowProperty() || p.PropertyInfo is null)
                || type.ClrType.GetConstructor(Type.EmptyTypes) is not { } constructor)
            {
                return null;
            }

            var storeObject = StoreObjectIdentifier.Table(table, type.GetSchema());
            var columns = new List<(Func<SqliteDataReader, int, object>, Func<object?, object?>?, Action<object, object?>)>();
            var names = new Dictionary<string, string>();
            foreach (var property in properties)
            {
                var mapping = property.GetRelationalTypeMapping();
                var storeType = Nullable.GetUnderlyingType(mapping.Converter?.ProviderClrType ?? mapping.ClrType) ?? mapping.Converter?.ProviderClrType ?? mapping.ClrType;
                if (Reader(storeType) is not { } read || property.GetColumnName(storeObject) is not { } column)
                {
                    return null;
                }

                names[property.Name] = helper.DelimitIdentifier(column);
                columns.Add((read, mapping.Converter is { } converter ? converter.ConvertFromProvider : null, Setter(property.PropertyInfo!)));
            }

            var create = Expression.Lambda<Func<object>>(Expression.New(constructor)).Compile();
            return new Materializer($"SELECT {string.Join(", ", properties.Select(p => names[p.Name]))} FROM {helper.DelimitIdentifier(table)}", create, [.. columns], names);
        }

        public object Read(SqliteDataReader reader)
        {
            var row = _create();
            for (var i = 0; i < _columns.Length; i++)
            {
                var (read, convert, set) = _columns[i];
                object? value = reader.IsDBNull(i) ? null : read(reader, i);
                set(row, convert is null || value is null ? value : convert(value));
            }

            return row;
        }

        // The reader's method for each store type as EF's SQLite type mappings read it.
        private static Func<SqliteDataReader, int, object>? Reader(Type storeType) =>
            storeType == typeof(string) ? static (r, i) => r.GetString(i)
            : storeType == typeof(long) ? static (r, i) => r.GetInt64(i)
            : storeType == typeof(int) ? static (r, i) => r.GetInt32(i)
            : storeType == typeof(bool) ? static (r, i) => r.GetBoolean(i)
            : storeType == typeof(double) ? static (r, i) => r.GetDouble(i)
            : storeType == typeof(decimal) ? static (r, i) => r.GetDecimal(i)
            : storeType == typeof(DateTime) ? static (r, i) => r.GetDateTime(i)
            : storeType == typeof(DateTimeOffset) ? static (r, i) => r.GetDateTimeOffset(i)
            : storeType == typeof(DateOnly) ? static (r, i) => r.GetFieldValue<DateOnly>(i)
            : storeType == typeof(Guid) ? static (r, i) => r.GetGuid(i)
            : storeType == typeof(byte[]) ? static (r, i) => r.GetFieldValue<byte[]>(i)
            : null;

        private static Action<object, object?> Setter(System.Reflection.PropertyInfo property)
        {
            var row = Expression.Parameter(typeof(object));
            var value = Expression.Parameter(typeof(object));
            return Expression.Lambda<Action<object, object?>>(
                Expression.Assign(Expression.Property(Expression.Convert(row, property.DeclaringType!), property), Expression.Convert(value, property.PropertyType)),
                row, value).Compile();
        }
    }
}
