using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Reports;

/// <summary>Reads a report request (period, settings, the caller's units) and runs the report.</summary>
public sealed class ReportRequests(PeriodReportService reports, IOptionsMonitor<ReportSettings> defaults, IOptions<ServerOptions> server, FieldLimits limits,
    AuditTrail audit, TimeProvider clock)
{
    /// <summary>The query parameters naming the period.</summary>
    public const string FromParameter = "from";

    /// <summary>Last day of the period.</summary>
    public const string ToParameter = "to";

    /// <summary>Runs the report for the feed: the period given (function parameters) or read from the query; recorded in the audit trail.</summary>
    /// <exception cref="ArgumentException">The period or a setting is not valid.</exception>
    public async Task<PeriodReportResult> ComputeAsync(ProcessServerDbContext db, Caller caller, IReadOnlyCollection<string>? units, (DateOnly From, DateOnly To)? period,
        Func<string, string?> query, CancellationToken cancellationToken)
    {
        var (from, to) = period ?? Period(query);
        CheckPeriod(from, to);
        var settings = defaults.CurrentValue.With(query);
        await RecordAsync(db, caller, (from, to), units, "odata", cancellationToken);
        return await reports.ComputeAsync(db, from, to, settings, units, cancellationToken);
    }

    /// <summary>Every report request is in the audit trail: who, for which unit, which period and scope.</summary>
    private Task RecordAsync(ProcessServerDbContext db, Caller caller, (DateOnly From, DateOnly To) period, IReadOnlyCollection<string>? units, string channel,
        CancellationToken cancellationToken) =>
        audit.RecordAsync(db, caller, AuditActions.ReportRequested, $"PeriodReport {period.From:yyyy-MM-dd}..{period.To:yyyy-MM-dd}", null,
            new System.Text.Json.Nodes.JsonObject
            {
                ["from"] = period.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["to"] = period.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["units"] = units is null ? null : AuditTrail.Json(units),
                ["channel"] = channel,
            }, cancellationToken);

    /// <summary>The period from the query: from/to as yyyy-MM-dd; by default the current year up to today (local).</summary>
    /// <exception cref="ArgumentException">A date is malformed or the period is reversed.</exception>
    public (DateOnly From, DateOnly To) Period(Func<string, string?> query)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(server.Value.TimeZone);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(clock.GetUtcNow().UtcDateTime, zone));
        var to = Date(query(ToParameter), ToParameter) ?? today;
        var from = Date(query(FromParameter), FromParameter) ?? new DateOnly(to.Year, 1, 1);
        CheckPeriod(from, to);
        return (from, to);
    }

    /// <summary>
    /// Every period, however it was given (query parameters or the OData function's parameters):
    /// in order, at most ten years, and within the dates the server accepts (a cut-off at the end
    /// of 9999-12-31 or a start in year 1 cannot be computed).
    /// </summary>
    /// <exception cref="ArgumentException">The period cannot be reported.</exception>
    public void CheckPeriod(DateOnly from, DateOnly to)
    {
        var errors = new Dictionary<string, string[]>();
        limits.Date(errors, FromParameter, from);
        limits.Date(errors, ToParameter, to);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors.SelectMany(e => e.Value)));
        }

        if (to < from)
        {
            throw new ArgumentException($"the period ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd})");
        }

        if (to.DayNumber - from.DayNumber > 3660)
        {
            throw new ArgumentException("a report period may span at most ten years");
        }
    }

    /// <summary>Runs the report for a plain HTTP request (the CSV download).</summary>
    public async Task<PeriodReportResult> ComputeAsync(ProcessServerDbContext db, Caller caller, IQueryCollection query, CancellationToken cancellationToken)
    {
        var read = (string name) => query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;
        var (from, to) = Period(read);
        var settings = defaults.CurrentValue.With(read);
        var units = caller.IsAdministrator || caller.Units.Count == 0 ? null : caller.Units.ToList();
        await RecordAsync(db, caller, (from, to), units, "csv", cancellationToken);
        return await reports.ComputeAsync(db, from, to, settings, units, cancellationToken);
    }

    private static DateOnly? Date(string? text, string name) =>
        text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
        : throw new ArgumentException($"{name} must be a date written yyyy-MM-dd, e.g. 2026-06-30");

    /// <summary>
    /// The table as CSV (UTF-8 with BOM so Excel reads Vietnamese names) in the printed layout: each
    /// level's subtotal, each unit's total before its field rows, the total row last (column Kind says which).
    /// </summary>
    public static string Csv(PeriodReportResult report)
    {
        var csv = new StringBuilder();
        string[] header =
        [
            "RowNumber", "Level", "UnitCode", "UnitName", "FieldCode", "FieldName", "PeriodFrom", "PeriodTo",
            "Received", "NewOnline", "NewDirectPostal", "CarriedOver", "Resolved", "Early", "OnTime", "Late",
            "InProgress", "WithinLimit", "Overdue", "WithdrawnReturned", "NewDirect", "NewPostal", "InProgressPaused",
            "OnTimeRate", "RateNumerator", "RateDenominator", "RateDefinition", "WithdrawnPlacement", "CalendarVersion", "Balanced",
            "Withdrawn", "ReturnedWithoutResolution", "RefusedAtCounter",
            "Rated", "Satisfied", "NotSatisfied", "SatisfactionRate", "Kind",
        ];
        csv.AppendLine(string.Join(',', header));
        foreach (var row in report.Layout())
        {
            object?[] values =
            [
                row.RowNumber == 0 ? "" : row.RowNumber, row.Level, row.UnitCode, row.UnitName, row.FieldCode, row.FieldName,
                report.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                row.Received, row.NewOnline, row.NewDirectPostal, row.CarriedOver, row.Resolved, row.Early, row.OnTime, row.Late,
                row.InProgress, row.WithinLimit, row.Overdue, row.WithdrawnReturned, row.NewDirect, row.NewPostal, row.InProgressPaused,
                row.OnTimeRate?.ToString("0.##########", CultureInfo.InvariantCulture), row.RateNumerator, row.RateDenominator,
                row.RateDefinition, row.WithdrawnPlacement, row.CalendarVersion, row.Balanced ? "true" : "false",
                row.Withdrawn, row.ReturnedWithoutResolution, row.RefusedAtCounter,
                row.Rated, row.Satisfied, row.NotSatisfied, row.SatisfactionRate?.ToString("0.##########", CultureInfo.InvariantCulture), row.Kind,
            ];
            csv.AppendLine(string.Join(',', values.Select(Field)));
        }

        return csv.ToString();
    }

    private static string Field(object? value)
    {
        var text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
        return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }
}
