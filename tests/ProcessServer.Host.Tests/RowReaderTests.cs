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

    // Equal instants of different kinds compare equal; what the server writes next depends on the kind too.
    private static IEnumerable<string> KindsOf(object row) =>
        row.GetType().GetProperties().Where(p => p.PropertyType == typeof(DateTime) || p.PropertyType == typeof(DateTime?))
            .Select(p => $"{p.Name}:{(p.GetValue(row) as DateTime?)?.Kind}");
}
