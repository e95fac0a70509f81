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

    /// <summary>Takes the next number of the unit's day counter (saved with the dossier) and returns the code.</summary>
    public static async Task<string> NextAsync(ProcessServerDbContext db, string unit, DateTime localReceipt, CancellationToken cancellationToken)
    {
        var day = localReceipt.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        // The local view first: the importer numbers many dossiers of one day before it commits.
        var counter = db.ReceiptCounters.Local.FirstOrDefault(c => c.UnitCode == unit && c.Day == day)
            ?? await db.ReceiptCounters.SingleOrDefaultAsync(c => c.UnitCode == unit && c.Day == day, cancellationToken);
        if (counter is null)
        {
            counter = new ReceiptCounter { UnitCode = unit, Day = day, LastNumber = 0 };
            db.ReceiptCounters.Add(counter);
        }

        counter.LastNumber++;
        return Format(unit, DateOnly.FromDateTime(localReceipt), counter.LastNumber);
    }
}
