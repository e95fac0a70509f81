using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ReceiveDossier;

/// <summary>
/// Receipt codes (mã hồ sơ) as printed on the receipt: <c>{unit}-{yyMMdd}-{nnnn}</c>, numbered per
/// unit and local day. A two-digit year repeats every century, so a day outside 2000–2099 is
/// written with its four-digit year (<c>{unit}-{yyyyMMdd}-{nnnn}</c>): codes stay the short ones
/// clerks know and are unique forever. The date and the number hold no hyphen, so reading a code
/// from the right gives back one unit, one day and one number.
/// </summary>
public static class ReceiptCodes
{
    /// <summary>The code of the <paramref name="number"/>th dossier of <paramref name="unit"/> on local day <paramref name="day"/>.</summary>
    public static string Format(string unit, DateOnly day, int number)
    {
        var date = day.Year is >= 2000 and <= 2099
            ? day.ToString("yyMMdd", CultureInfo.InvariantCulture)
            : day.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        return $"{unit}-{date}-{number.ToString("0000", CultureInfo.InvariantCulture)}";
    }

    /// <summary>Takes the next number of the unit's day counter (on SQLite saved with the dossier) and returns the code.</summary>
    public static async Task<string> NextAsync(ProcessServerDbContext db, string unit, DateTime localReceipt, CancellationToken cancellationToken)
    {
        var day = localReceipt.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        if (db.Database.IsNpgsql())
        {
            // Several server processes (and, without SQLite's single writer, every request of one)
            // receive at once on PostgreSQL: read-increment-save made all but one of them fail on the
            // counter's concurrency token and, after a few retries, answer 500 under a busy counter.
            // One atomic upsert takes the next number instead. It commits on its own, so a receipt that
            // fails after numbering leaves a gap in that day's numbers; codes stay unique and rising.
            var taken = await db.Database.SqlQuery<int>($"""
                INSERT INTO "ReceiptCounters" ("UnitCode", "Day", "LastNumber") VALUES ({unit}, {day}, 1)
                ON CONFLICT ("UnitCode", "Day") DO UPDATE SET "LastNumber" = "ReceiptCounters"."LastNumber" + 1
                RETURNING "LastNumber" AS "Value"
                """).ToListAsync(cancellationToken);
            return Format(unit, DateOnly.FromDateTime(localReceipt), taken.Single());
        }

        // The local view first: the importer numbers many dossiers of one day before it commits.
        var counter = db.ReceiptCounters.Local.FirstOrDefault(c => c.UnitCode == unit && c.Day == day)
            ?? await WritePathQueries.ReceiptCounter(db, unit, day, cancellationToken);
        if (counter is null)
        {
            counter = new ReceiptCounter { UnitCode = unit, Day = day, LastNumber = 0 };
            db.ReceiptCounters.Add(counter);
        }

        counter.LastNumber++;
        return Format(unit, DateOnly.FromDateTime(localReceipt), counter.LastNumber);
    }
}
