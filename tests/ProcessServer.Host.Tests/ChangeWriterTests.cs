using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The change writer writes a state change's rows on SQLite without EF's update pipeline: the rows
/// must be stored exactly as SaveChanges stores them (instants, flags, nulls, Vietnamese text), a
/// row whose concurrency token moved must fail the whole change, and nothing of a failed change may
/// stay in the transaction.
/// </summary>
public sealed class ChangeWriterTests : ServerTest
{
    [Fact]
    public async Task Rows_a_completion_wrote_are_stored_column_for_column_as_SaveChanges_stores_a_copy_of_them()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        dossier = await CompleteAsync(App, dossier, "register", "Done", Keys.Commune);
        var id = dossier["id"]!.GetValue<string>();

        // Copies of the rows the server wrote through the change writer, written again by SaveChanges under new keys.
        await using (var store = App.OpenStore())
        {
            var row = await store.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id);
            var task = await store.Tasks.AsNoTracking().FirstAsync(t => t.DossierId == id && t.CompletedAt != null);
            var entry = await store.Journal.AsNoTracking().Where(j => j.DossierId == id).OrderBy(j => j.Sequence).LastAsync();
            (row.Id, row.ReceiptCode) = ("copy-" + id, "COPY-" + row.ReceiptCode);
            task.Id = "copy-" + task.Id;
            entry.Sequence = 9999;
            store.AddRange(row, task, entry);
            await store.SaveChangesAsync();
        }

        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=false");
        await connection.OpenAsync();
        var written = await RawRowsAsync(connection, "Dossiers", "Id", id, keys: "ReceiptCode");
        written.Should().Contain(("ReceivedAt", "String:2025-03-03 01:00:00"), "an instant is stored in UTC as the text SQLite's EF provider writes");
        (await RawRowsAsync(connection, "Dossiers", "Id", "copy-" + id, keys: "ReceiptCode")).Should().Equal(written);
        var taskId = await ScalarAsync(connection, $"SELECT \"Id\" FROM \"Tasks\" WHERE \"DossierId\" = '{id}' AND \"CompletedAt\" IS NOT NULL LIMIT 1");
        var copied = await RawRowsAsync(connection, "Tasks", "Id", "copy-" + taskId);
        copied.Should().Equal(await RawRowsAsync(connection, "Tasks", "Id", taskId));
        copied.Should().Contain(("CompletedAt", "String:2025-03-03 01:00:00"));
        var last = await ScalarAsync(connection, $"SELECT MAX(\"Sequence\") FROM \"Journal\" WHERE \"DossierId\" = '{id}' AND \"Sequence\" < 9999");
        (await RawRowsAsync(connection, "Journal", "Sequence", "9999", $" AND \"DossierId\" = '{id}'"))
            .Should().Equal(await RawRowsAsync(connection, "Journal", "Sequence", last, $" AND \"DossierId\" = '{id}'"));
    }

    [Fact]
    public async Task Values_bound_straight_to_SQLite_are_stored_as_SaveChanges_stores_them_fractions_decimals_empty_text_and_long_Vietnamese_text()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        await using (var store = App.OpenStore())
        {
            var task = await store.Tasks.AsNoTracking().FirstAsync(t => t.DossierId == id);
            var entry = await store.Journal.AsNoTracking().Where(j => j.DossierId == id).OrderBy(j => j.Sequence).LastAsync();

            // Odd values on both paths: instants with fractions of a second (trailing zeros dropped),
            // decimals with and without fractions, empty text, and text longer than a stack buffer.
            var note = string.Concat(Enumerable.Repeat("Hồ sơ chuyển Phòng Tư pháp — đã kiểm tra; ", 40));
            (task.CreatedAt, task.DueAt, task.Comment, task.Outcome) =
                (new DateTime(2025, 3, 3, 1, 2, 3, DateTimeKind.Utc).AddTicks(1_234_567), new DateTime(2025, 3, 5, 9, 0, 0, 500, DateTimeKind.Utc), note, "");
            (entry.Timestamp, entry.Comment, entry.Outcome, entry.DataJson) = (task.CreatedAt, note, "", $"{{\"note\":\"{note}\"}}");
            var task2 = Copy(task, "raw-" + task.Id, 3m);

            await using (var transaction = await store.Database.BeginTransactionAsync())
            {
                store.AddRange(task2, CopyEntry(entry, 9998));
                await ChangeWriter.SaveAsync(store, CancellationToken.None);
                await transaction.CommitAsync();
            }

            store.ChangeTracker.Clear();
            store.AddRange(Copy(task, "ef-" + task.Id, 3m), CopyEntry(entry, 9999));
            await store.SaveChangesAsync();
        }

        await using var connection = new SqliteConnection($"Data Source={Database.DatabaseFile};Pooling=false");
        await connection.OpenAsync();
        var taskId = await ScalarAsync(connection, $"SELECT \"Id\" FROM \"Tasks\" WHERE \"DossierId\" = '{id}' AND \"Id\" NOT LIKE 'raw-%' AND \"Id\" NOT LIKE 'ef-%' LIMIT 1");
        var raw = await RawRowsAsync(connection, "Tasks", "Id", "raw-" + taskId);
        raw.Should().Equal(await RawRowsAsync(connection, "Tasks", "Id", "ef-" + taskId));
        raw.Should().Contain([("CreatedAt", "String:2025-03-03 01:02:03.1234567"), ("DueAt", "String:2025-03-05 09:00:00.5"), ("TimeLimitDays", "String:3.0"), ("Outcome", "String:")]);
        var journal = await RawRowsAsync(connection, "Journal", "Sequence", "9998", $" AND \"DossierId\" = '{id}'");
        journal.Should().Equal(await RawRowsAsync(connection, "Journal", "Sequence", "9999", $" AND \"DossierId\" = '{id}'"));
        journal.Should().Contain(("Comment", $"String:{string.Concat(Enumerable.Repeat("Hồ sơ chuyển Phòng Tư pháp — đã kiểm tra; ", 40))}"));

        static DossierTask Copy(DossierTask task, string newId, decimal days) => new()
        {
            Id = newId, DossierId = task.DossierId, ActivityId = task.ActivityId, ActivityType = task.ActivityType, Kind = task.Kind, Title = task.Title,
            UnitCode = task.UnitCode, Role = task.Role, Status = task.Status, TimeLimitDays = days, CreatedAt = task.CreatedAt, DueAt = task.DueAt,
            Comment = task.Comment, Outcome = task.Outcome, Priority = task.Priority, QueuedSince = task.QueuedSince,
        };

        static JournalEntry CopyEntry(JournalEntry entry, int sequence) => new()
        {
            DossierId = entry.DossierId, Sequence = sequence, Timestamp = entry.Timestamp, Type = entry.Type, DefinitionVersionId = entry.DefinitionVersionId,
            Actor = entry.Actor, Comment = entry.Comment, Outcome = entry.Outcome, DataJson = entry.DataJson, ViewJson = entry.ViewJson,
            RecordedAt = entry.RecordedAt, ActorId = entry.ActorId, ActorName = entry.ActorName,
        };
    }

    [Fact]
    public async Task A_row_the_store_refuses_fails_the_change_as_SaveChanges_reports_it_with_SQLites_own_error_and_the_transaction_goes_on()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();
        await using var store = App.OpenStore();
        var entry = await store.Journal.AsNoTracking().Where(j => j.DossierId == id).OrderBy(j => j.Sequence).FirstAsync();
        await using var transaction = await store.Database.BeginTransactionAsync();

        // The journal's key (dossier, sequence) is taken.
        store.Journal.Add(new JournalEntry
        {
            DossierId = id, Sequence = entry.Sequence, Timestamp = entry.Timestamp, Type = "NoteAdded", Actor = "test", DefinitionVersionId = entry.DefinitionVersionId,
        });
        var save = () => ChangeWriter.SaveAsync(store, CancellationToken.None);
        var refused = (await save.Should().ThrowAsync<DbUpdateException>()).Which.InnerException.Should().BeOfType<SqliteException>().Subject;
        refused.SqliteErrorCode.Should().Be(19, "SQLITE_CONSTRAINT");
        refused.SqliteExtendedErrorCode.Should().Be(1555, "SQLITE_CONSTRAINT_PRIMARYKEY");
        refused.Message.Should().Contain("UNIQUE constraint failed: Journal.");

        // The statement was reset: the same insert runs again on the next change, under a free key.
        store.ChangeTracker.Clear();
        store.Journal.Add(new JournalEntry
        {
            DossierId = id, Sequence = 777, Timestamp = entry.Timestamp, Type = "NoteAdded", Actor = "test", DefinitionVersionId = entry.DefinitionVersionId,
        });
        await ChangeWriter.SaveAsync(store, CancellationToken.None);
        await transaction.CommitAsync();
        (await store.Journal.AsNoTracking().CountAsync(j => j.DossierId == id && j.Sequence == 777)).Should().Be(1);
    }

    [Fact]
    public async Task A_row_changed_since_it_was_read_fails_the_whole_change_and_leaves_nothing_of_it_in_the_transaction()
    {
        var dossier = await ReceiveAsync(App, "birth-registration");
        var id = dossier["id"]!.GetValue<string>();

        await using var writer = App.OpenStore();
        var row = await writer.Dossiers.SingleAsync(d => d.Id == id);
        var before = (row.Version, row.UpdatedAt, Journal: await writer.Journal.CountAsync(j => j.DossierId == id));

        // Someone else changes the dossier after it was read.
        await using (var other = App.OpenStore())
        {
            await other.Database.ExecuteSqlRawAsync("UPDATE \"Dossiers\" SET \"Version\" = \"Version\" + 1 WHERE \"Id\" = {0}", id);
        }

        await using var transaction = await writer.Database.BeginTransactionAsync();
        row.UpdatedAt = row.UpdatedAt.AddMinutes(5);
        row.Version++;
        writer.Journal.Add(new JournalEntry
        {
            DossierId = id,
            Sequence = 500,
            Timestamp = DateTime.UtcNow,
            Type = "NoteAdded",
            Actor = "test",
            DefinitionVersionId = row.DefinitionVersionId,
            Comment = "ghi chú không được lưu",
        });

        var save = () => ChangeWriter.SaveAsync(writer, CancellationToken.None);
        await save.Should().ThrowAsync<DbUpdateConcurrencyException>();

        // The journal row went in before the dossier's update failed; the savepoint took it back.
        (await writer.Database.SqlQueryRaw<int>("SELECT COUNT(*) AS \"Value\" FROM \"Journal\" WHERE \"DossierId\" = {0}", id).SingleAsync())
            .Should().Be(before.Journal);
        await transaction.CommitAsync();

        await using var check = App.OpenStore();
        var stored = await check.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id);
        stored.Version.Should().Be(before.Version + 1, "only the other change landed");
        stored.UpdatedAt.Should().Be(before.UpdatedAt);
        (await check.Journal.CountAsync(j => j.DossierId == id)).Should().Be(before.Journal);
    }

    /// <summary>A row's columns as SQLite holds them ("type:value", null for NULL), its key columns left out.</summary>
    private static async Task<List<(string Column, string? Value)>> RawRowsAsync(SqliteConnection connection, string table, string keyColumn, string key,
        string extraFilter = "", params string[] keys)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM \"{table}\" WHERE \"{keyColumn}\" = $key{extraFilter}";
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync();
        (await reader.ReadAsync()).Should().BeTrue($"{table} has a row with {keyColumn} {key}");
        var columns = new List<(string, string?)>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var name = reader.GetName(i);
            if (name != keyColumn && !keys.Contains(name))
            {
                columns.Add((name, reader.IsDBNull(i) ? null : $"{reader.GetValue(i).GetType().Name}:{reader.GetValue(i)}"));
            }
        }

        return columns;
    }

    private static async Task<string> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
