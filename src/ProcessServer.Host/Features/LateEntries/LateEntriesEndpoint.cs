using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.LateEntries;

/// <summary>An act recorded after it happened.</summary>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="ProcedureCode">Procedure.</param>
/// <param name="UnitCode">The unit the act belongs to: the task's unit, or the receiving unit for acts on the dossier.</param>
/// <param name="Type">Journal entry type (TaskCompleted, ResultReady, DossierReceived…).</param>
/// <param name="ActivityId">Step concerned.</param>
/// <param name="ActivityName">Its title.</param>
/// <param name="Outcome">Outcome, or the verdict of a ResultReady.</param>
/// <param name="Actor">Who did the act.</param>
/// <param name="OccurredAt">When it happened (UTC): what verdicts and reports count with.</param>
/// <param name="RecordedAt">When it was written down (UTC).</param>
/// <param name="RecordedBy">Who wrote it down.</param>
/// <param name="DelayHours">Hours between the two.</param>
/// <param name="Verdict">For a completion or result: early, on time or late, as judged at the occurred-at time.</param>
public sealed record LateEntryItem(
    string DossierId,
    string ReceiptCode,
    string ProcedureCode,
    string UnitCode,
    string Type,
    string? ActivityId,
    string? ActivityName,
    string? Outcome,
    string Actor,
    DateTime OccurredAt,
    DateTime RecordedAt,
    string? RecordedBy,
    double DelayHours,
    string? Verdict);

/// <summary>A page of late entries of one unit and period, with how many there are per unit.</summary>
/// <param name="Unit">Unit code, or null for every unit the caller leads.</param>
/// <param name="From">First day (local).</param>
/// <param name="To">Last day (local).</param>
/// <param name="PerUnit">Late acts per unit in the period.</param>
/// <param name="Items">Acts of the page, by occurred-at.</param>
/// <param name="Page">Page number, from 1.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="TotalCount">Acts in the list.</param>
public sealed record LateEntryList(string? Unit, DateOnly From, DateOnly To, IReadOnlyDictionary<string, int> PerUnit,
    IReadOnlyList<LateEntryItem> Items, int Page, int PageSize, int TotalCount);

/// <summary>
/// GET /api/late-entries: the leaders' list of acts recorded after they happened (paper intake, late
/// data entry), per unit and period of occurrence. Late entries move the on-time rate of a period
/// already past, so they are shown rather than forbidden (DOMAIN §7 pain point 4).
/// </summary>
public static class LateEntriesEndpoint
{
    /// <summary>Journal entries that stand for an act (the task rows and clock entries they bring are left out).</summary>
    private static readonly string[] ActTypes =
    [
        JournalEventTypes.DossierReceived, JournalEventTypes.DossierRefused, JournalEventTypes.TaskCompleted, JournalEventTypes.SupplementRequested,
        JournalEventTypes.SupplementReceived, JournalEventTypes.ResultReady, JournalEventTypes.ResultReturned, JournalEventTypes.WithdrawalRequested,
        JournalEventTypes.DossierStopped, JournalEventTypes.CompletionForced,
    ];

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/late-entries", HandleAsync)
            .WithName("ListLateEntries")
            .WithTags("Dossiers off the happy path")
            .WithSummary("Acts recorded after they happened, per unit and period (leaders)")
            .WithDescription("?unit=&from=yyyy-MM-dd&to=yyyy-MM-dd&page=&pageSize=: back-dated acts whose occurred-at lies in the period (local days; default the current month), with occurred-at, recorded-at, who recorded them, the delay and the verdict they produced. Leaders see their units, administrators every unit.")
            .Produces<LateEntryList>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Leader);

    private static async Task<IResult> HandleAsync(string? unit, string? from, string? to, int? page, int? pageSize, HttpContext http,
        ProcessServerDbContext db, VietnamTime time, TimeProvider clock, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        var today = DateOnly.FromDateTime(time.ToLocal(clock.GetUtcNow().UtcDateTime));
        var errors = new Dictionary<string, string[]>();
        var first = ParseDay(from, "from", new DateOnly(today.Year, today.Month, 1), errors);
        var last = ParseDay(to, "to", today, errors);
        if (errors.Count == 0 && last < first)
        {
            errors["to"] = [$"to ({last:yyyy-MM-dd}) is before from ({first:yyyy-MM-dd})."];
        }

        var size = pageSize ?? 50;
        var number = page ?? 1;
        if (size is < 1 or > 500 || number < 1)
        {
            errors["pageSize"] = ["page starts at 1; pageSize is 1 to 500."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The list cannot be made as asked", errors);
        }

        unit = string.IsNullOrWhiteSpace(unit) ? null : unit.Trim();
        if (unit is not null && !caller.ActsFor(unit))
        {
            return Problems.Result(403, "Not your unit", $"You lead {string.Join(", ", caller.Units)}, not '{unit}'.");
        }

        var start = TimeZoneInfo.ConvertTimeToUtc(first.ToDateTime(TimeOnly.MinValue), time.Zone);
        var end = TimeZoneInfo.ConvertTimeToUtc(last.AddDays(1).ToDateTime(TimeOnly.MinValue), time.Zone);
        var units = unit is not null ? [unit] : caller.IsAdministrator ? null : caller.Units.ToList();
        var query =
            from j in db.Journal.AsNoTracking()
            join d in db.Dossiers.AsNoTracking() on j.DossierId equals d.Id
            where j.EntryMode == EntryModes.BackDated && j.Timestamp >= start && j.Timestamp < end && ActTypes.Contains(j.Type)
            select new { j, d.ReceiptCode, d.ProcedureCode, Unit = j.UnitCode ?? d.ReceivingUnit };
        if (units is not null)
        {
            query = query.Where(x => units.Contains(x.Unit));
        }

        var perUnit = await query.GroupBy(x => x.Unit).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var rows = await query.OrderBy(x => x.j.Timestamp).ThenBy(x => x.j.DossierId).ThenBy(x => x.j.Sequence)
            .Skip((number - 1) * size).Take(size).ToListAsync(ct);
        var items = rows.Select(x => new LateEntryItem(x.j.DossierId, x.ReceiptCode, x.ProcedureCode, x.Unit, x.j.Type, x.j.ActivityId, x.j.ActivityName,
            x.j.Outcome, x.j.Actor, x.j.Timestamp, x.j.RecordedAt, x.j.RecordedBy, Math.Round((x.j.RecordedAt - x.j.Timestamp).TotalHours, 2),
            x.j.DataJson is null ? null : JsonNode.Parse(x.j.DataJson)?["verdict"]?.GetValue<string>())).ToList();
        return TypedResults.Ok(new LateEntryList(unit, first, last, perUnit, items, number, size, perUnit.Values.Sum()));
    }

    private static DateOnly ParseDay(string? text, string field, DateOnly fallback, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return day;
        }

        errors[field] = [$"{field} '{text}' is not a date in the form yyyy-MM-dd."];
        return fallback;
    }
}
