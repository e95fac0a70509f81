using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 14: the write path reads a dossier's rows on SQLite with its own prepared statements
/// (<see cref="RowReader"/>); they must be the rows EF's queries return, property for property.
/// </summary>
public sealed class RowReaderTests : ServerTest
{
    [Fact]
    public async Task The_rows_read_by_prepared_statements_equal_what_EF_reads_for_every_property_of_every_row()
    {
        // Dossiers at a few stages: just received, a step done (tasks completed, deadlines cancelled
        // and new), one with a deadline fired, so nullable columns are both set and not.
        var fresh = await ReceiveAsync(App, "land-first-certificate");
        var advanced = await ReceiveAsync(App, "land-first-certificate");
        advanced = await CompleteAsync(App, advanced, "check", "Done", Keys.Land);
        var birth = await ReceiveAsync(App, "birth-registration");
        var ids = new[] { fresh, advanced, birth }.Select(d => d["id"]!.GetValue<string>()).ToList();
        await using (var store = App.OpenStore())
        {
            var pending = await store.Deadlines.FirstAsync(x => x.DossierId == ids[2] && x.Status == Deadlines.Pending);
            pending.Status = Deadlines.Fired;
            pending.FiredAt = new DateTime(2026, 12, 1, 1, 2, 3, DateTimeKind.Utc).AddTicks(4567);
            await store.SaveChangesAsync();
        }

        foreach (var id in ids.Append("no-such-dossier"))
        {
            await using var store = App.OpenStore();
            await store.Database.OpenConnectionAsync();
            await using var transaction = await store.Database.BeginTransactionAsync();
            var read = await RowReader.ReadAsync(store, id, CancellationToken.None);
            read.Should().NotBeNull("the store is SQLite and a transaction is open");
            var (dossier, tasks, deadlines) = read!.Value;

            var expected = await store.Dossiers.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id);
            if (expected is null)
            {
                dossier.Should().BeNull();
                tasks.Should().BeEmpty();
                deadlines.Should().BeEmpty();
                continue;
            }

            dossier.Should().BeEquivalentTo(expected, o => o.RespectingRuntimeTypes());
            KindsOf(dossier!).Should().Equal(KindsOf(expected));
            var expectedTasks = await store.Tasks.AsNoTracking().Where(t => t.DossierId == id && TaskStatuses.Open.Contains(t.Status)).ToListAsync();
            expectedTasks.Should().NotBeEmpty();
            tasks.Should().BeEquivalentTo(expectedTasks);
            tasks.SelectMany(KindsOf).Should().Equal(expectedTasks.OrderBy(t => tasks.FindIndex(x => x.Id == t.Id)).SelectMany(KindsOf));
            var expectedDeadlines = await store.Deadlines.AsNoTracking().Where(x => x.DossierId == id && x.Status != Deadlines.Cancelled).ToListAsync();
            expectedDeadlines.Should().NotBeEmpty();
            deadlines.Should().BeEquivalentTo(expectedDeadlines);
            deadlines.SelectMany(KindsOf).Should().Equal(expectedDeadlines.OrderBy(d => deadlines.FindIndex(x => x.Id == d.Id)).SelectMany(KindsOf));
        }

        // The stored answers every change looks for on the write path.
        await using (var store = App.OpenStore())
        {
            await store.Database.OpenConnectionAsync();
            await using var transaction = await store.Database.BeginTransactionAsync();
            var records = await store.IdempotencyRecords.AsNoTracking().ToListAsync();
            records.Should().NotBeEmpty("the completion was sent with a key");
            foreach (var expected in records)
            {
                var (read, record) = await RowReader.IdempotencyRecordAsync(store, expected.Scope, expected.Key, CancellationToken.None);
                read.Should().BeTrue();
                record.Should().BeEquivalentTo(expected);
                KindsOf(record!).Should().Equal(KindsOf(expected));
            }

            (await RowReader.IdempotencyRecordAsync(store, records[0].Scope, "no-such-key", CancellationToken.None)).Should().Be((true, (IdempotencyRecord?)null));
        }

        await using var outside = App.OpenStore();
        (await RowReader.ReadAsync(outside, ids[0], CancellationToken.None)).Should().BeNull("outside a transaction EF reads them");
    }

    [Fact]
    public async Task The_journal_read_by_a_prepared_statement_equals_what_EF_reads_for_every_form_an_instant_is_stored_in()
    {
        var dossier = await ReceiveAsync(App, "land-first-certificate");
        dossier = await CompleteAsync(App, dossier, "check", "Done", Keys.Land);
        var id = dossier["id"]!.GetValue<string>();

        // Instants as EF stores them (whole seconds, a fraction with its trailing zeros dropped, all
        // seven digits, the first and last days EF can write), an entry without a stored view, and
        // one whose instant another tool wrote in a form EF does not write but reads.
        await using (var store = App.OpenStore())
        {
            var last = await store.Journal.Where(j => j.DossierId == id).MaxAsync(j => j.Sequence);
            var template = await store.Journal.AsNoTracking().FirstAsync(j => j.DossierId == id);
            DateTime[] instants =
            [
                new(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc),
                new DateTime(2026, 12, 3, 8, 0, 1, DateTimeKind.Utc).AddTicks(5_000_000),
                new DateTime(2026, 12, 31, 23, 59, 59, DateTimeKind.Utc).AddTicks(9_999_999),
                new DateTime(2028, 2, 29, 0, 0, 0, DateTimeKind.Utc).AddTicks(10),
                new(1, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                new DateTime(2026, 12, 3, 8, 0, 2, DateTimeKind.Utc).AddTicks(1_230_000),
            ];
            foreach (var (instant, i) in instants.Select((t, i) => (t, i)))
            {
                store.Journal.Add(new JournalEntry
                {
                    DossierId = id,
                    Sequence = last + i + 1,
                    Timestamp = instant,
                    Type = template.Type,
                    DefinitionVersionId = template.DefinitionVersionId,
                    Actor = template.Actor,
                    RecordedAt = instant,
                    ViewJson = i == 1 ? null : template.ViewJson,
                });
            }

            await store.SaveChangesAsync();
            var stored = await store.Database.SqlQueryRaw<string>($"SELECT \"Timestamp\" AS \"Value\" FROM \"Journal\" WHERE \"DossierId\" = {{0}} AND \"Sequence\" = {{1}}", id, last + 2).SingleAsync();
            stored.Should().Be("2026-12-03 08:00:01.5", "the entries must be stored as EF's SQLite provider writes instants for this to test its form");
            await store.Database.ExecuteSqlRawAsync("UPDATE \"Journal\" SET \"Timestamp\" = '2026-12-03T08:00:03.25' WHERE \"DossierId\" = {0} AND \"Sequence\" = {1}", id, last + 6);
        }

        foreach (var inTransaction in new[] { false, true })
        {
            foreach (var after in new[] { 0, 2 })
            {
                await using var store = App.OpenStore();
                await store.Database.OpenConnectionAsync();
                await using var transaction = inTransaction ? await store.Database.BeginTransactionAsync() : null;
                var read = await RowReader.StoredViewsAfterAsync(store, id, after, CancellationToken.None);
                read.Should().NotBeNull("the store is SQLite and the connection is open");

                var expected = await store.Journal.AsNoTracking().Where(j => j.DossierId == id && j.Sequence > after).OrderBy(j => j.Sequence)
                    .Select(j => new StoredJournalView(j.Sequence, j.Timestamp, j.ViewJson)).ToListAsync();
                expected.Should().HaveCountGreaterThan(6);
                read.Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
                read!.Select(v => (v.Timestamp.Ticks, v.Timestamp.Kind)).Should().Equal(expected.Select(v => (v.Timestamp.Ticks, v.Timestamp.Kind)));
            }
        }

        await using var closed = App.OpenStore();
        (await RowReader.StoredViewsAfterAsync(closed, id, 0, CancellationToken.None)).Should().BeNull("with no connection open EF reads them");
    }

    // Equal instants of different kinds compare equal; what the server writes next depends on the kind too.
    private static IEnumerable<string> KindsOf(object row) =>
        row.GetType().GetProperties().Where(p => p.PropertyType == typeof(DateTime) || p.PropertyType == typeof(DateTime?))
            .Select(p => $"{p.Name}:{(p.GetValue(row) as DateTime?)?.Kind}");
}
