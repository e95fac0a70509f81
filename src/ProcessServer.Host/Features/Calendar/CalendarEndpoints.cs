using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Time;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Calendar;

/// <summary>A stored calendar version.</summary>
/// <param name="Version">Version number.</param>
/// <param name="CreatedAt">When it was stored (UTC).</param>
/// <param name="CreatedBy">Who stored it.</param>
/// <param name="Comment">Why.</param>
/// <param name="Calendar">The calendar: time zone, office hours, weekend, days off, working days, same-day cut-off.</param>
public sealed record CalendarView(int Version, DateTime CreatedAt, string CreatedBy, string? Comment, JsonNode Calendar);

/// <summary>A date to add to the calendar.</summary>
/// <param name="Date">Local date, yyyy-MM-dd.</param>
/// <param name="Name">What it is, e.g. "Nghỉ bù Quốc khánh".</param>
/// <param name="Comment">Why the calendar changed (the notice that decided it).</param>
public sealed record CalendarDayRequest(string? Date, string? Name, string? Comment);

/// <summary>Historical holiday calendars loaded in one call.</summary>
/// <param name="DaysOff">Days off to add: {date: yyyy-MM-dd, name}.</param>
/// <param name="WorkingDays">Make-up working Saturdays or Sundays to add.</param>
/// <param name="Comment">Why (the notices that decided them).</param>
public sealed record CalendarDaysRequest(List<CalendarDayRequest>? DaysOff, List<CalendarDayRequest>? WorkingDays, string? Comment);

/// <summary>A due date computed on the current calendar.</summary>
public sealed record DueView(DateTime ReceivedAt, DateTime StartOfCounting, DateTime DueAt, string DueLocal, int CalendarVersion);

/// <summary>Calendar CRUD: every change becomes a new version; reading is open to every role.</summary>
public static class CalendarEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/calendar").WithTags("Calendar");

        group.MapGet("/", async (ProcessServerDbContext db, CancellationToken ct) =>
                TypedResults.Ok(View(await db.CalendarVersions.AsNoTracking().OrderByDescending(c => c.Version).FirstAsync(ct))))
            .WithName("GetCalendar")
            .WithSummary("The current working-day calendar")
            .Produces<CalendarView>()
            .RequireAuthorization(Policies.AnyRole);

        group.MapGet("/versions", async (ProcessServerDbContext db, CancellationToken ct) =>
                TypedResults.Ok(await db.CalendarVersions.AsNoTracking().OrderByDescending(c => c.Version)
                    .Select(c => new { c.Version, c.CreatedAt, c.CreatedBy, c.Comment }).ToListAsync(ct)))
            .WithName("ListCalendarVersions")
            .WithSummary("Every stored version of the calendar, newest first")
            .RequireAuthorization(Policies.AnyRole);

        group.MapGet("/versions/{version:int}", async (int version, ProcessServerDbContext db, CancellationToken ct) =>
                await CalendarStore.VersionAsync(db, version, ct) is { } found
                    ? TypedResults.Ok(View(found.Row))
                    : Problems.Result(404, "Calendar version not found", $"There is no calendar version {version}."))
            .WithName("GetCalendarVersion")
            .WithSummary("One stored version of the calendar, to recompute with the calendar as it stood")
            .Produces<CalendarView>()
            .RequireAuthorization(Policies.AnyRole);

        group.MapGet("/due", async (string? receivedAt, string? days, bool? sameDay, ProcessServerDbContext db, CalendarStore calendars, FieldLimits limits, TimeProvider clock, CancellationToken ct) =>
            {
                // Read as text so a malformed or out-of-range value gets a message naming it, not the binder's bare 400.
                var (received, limit, errors) = ReadDueQuery(receivedAt, days, sameDay, limits, clock);
                if (errors.Count > 0)
                {
                    return Problems.Validation("The due-date query is not valid", errors);
                }

                var context = await calendars.CurrentAsync(db, ct);
                var due = sameDay == true ? context.Time.SameDayDue(received) : context.Time.AddWorkingDays(received, limit!.Value);
                return TypedResults.Ok(new DueView(received, context.Time.StartOfCounting(received), due,
                    context.Time.ToLocalTime(due).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture), context.CalendarVersion));
            })
            .WithName("ComputeDue")
            .WithSummary("The due instant of a limit in working days (or same-day) for a receipt instant, on the current calendar")
            .Produces<DueView>()
            .RequireAuthorization(Policies.AnyRole);

        group.MapPut("/", async (HttpContext http, string? comment, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, CancellationToken ct) =>
            {
                using var reader = new StreamReader(http.Request.Body);
                WorkingCalendar calendar;
                try
                {
                    calendar = WorkingCalendar.FromJson(await reader.ReadToEndAsync(ct));
                }
                catch (FormatException ex)
                {
                    return Problems.Result(400, "The calendar is not valid", ex.Message);
                }

                return TypedResults.Ok(View(await calendars.SaveAsync(db, gate, calendar, Caller.From(http.User).Name, comment, ct)));
            })
            .WithName("ReplaceCalendar")
            .WithSummary("Store a whole new calendar as the next version")
            .Accepts<JsonObject>("application/json")
            .Produces<CalendarView>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .RequireAuthorization(Policies.Administrator);

        group.MapPost("/days-off", (HttpContext http, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, CancellationToken ct) =>
                AddDayAsync(http, db, gate, calendars, workingDay: false, ct))
            .WithName("AddDayOff")
            .WithSummary("Add a holiday, compensatory or swapped day off (a new calendar version)")
            .Accepts<CalendarDayRequest>("application/json")
            .Produces<CalendarView>()
            .ProducesValidationProblem()
            .RequireAuthorization(Policies.Administrator);

        group.MapPost("/working-days", (HttpContext http, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, CancellationToken ct) =>
                AddDayAsync(http, db, gate, calendars, workingDay: true, ct))
            .WithName("AddWorkingDay")
            .WithSummary("Add a make-up working Saturday or Sunday (a new calendar version)")
            .Accepts<CalendarDayRequest>("application/json")
            .Produces<CalendarView>()
            .ProducesValidationProblem()
            .RequireAuthorization(Policies.Administrator);

        group.MapPost("/days", AddDaysAsync)
            .WithName("AddCalendarDays")
            .WithSummary("Load many days off and working days in one call (a historical year's holiday calendar), as one new calendar version")
            .WithDescription("Body {daysOff: [{date, name}], workingDays: [{date, name}], comment}. A date already listed the same way is kept; a date listed the other way, or twice, is refused with 400 naming it. Nothing is stored unless every date is valid.")
            .Accepts<CalendarDaysRequest>("application/json")
            .Produces<CalendarView>()
            .ProducesValidationProblem()
            .RequireAuthorization(Policies.Administrator);

        group.MapDelete("/days/{date}", async (string date, string? comment, HttpContext http, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, CancellationToken ct) =>
            {
                if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                {
                    return Problems.Validation("Date not understood", new Dictionary<string, string[]> { ["date"] = [$"'{date}' is not a date in the form yyyy-MM-dd."] });
                }

                var current = await CurrentCalendarAsync(db, ct);
                if (current.DaysOff.All(d => d.Date != day) && current.WorkingDays.All(d => d.Date != day))
                {
                    return Problems.Result(404, "Date not in the calendar", $"{date} is neither a listed day off nor a listed working day.");
                }

                var changed = new WorkingCalendar(current.TimeZoneId, current.OfficeHours, current.WeekendDays,
                    current.DaysOff.Where(d => d.Date != day), current.WorkingDays.Where(d => d.Date != day), current.SameDayCutOff, current.Description);
                return TypedResults.Ok(View(await calendars.SaveAsync(db, gate, changed, Caller.From(http.User).Name, comment ?? $"removed {date}", ct)));
            })
            .WithName("RemoveCalendarDay")
            .WithSummary("Remove a listed day off or working day (a new calendar version)")
            .Produces<CalendarView>()
            .RequireAuthorization(Policies.Administrator);
    }

    private static (DateTime Received, decimal? Days, Dictionary<string, string[]> Errors) ReadDueQuery(
        string? receivedAt, string? days, bool? sameDay, FieldLimits limits, TimeProvider clock)
    {
        var errors = new Dictionary<string, string[]>();
        DateTimeOffset? received = null;
        if (!string.IsNullOrWhiteSpace(receivedAt))
        {
            if (DateTimeOffset.TryParse(receivedAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                received = parsed;
            }
            else
            {
                errors["receivedAt"] = [$"receivedAt '{receivedAt}' is not an instant; write it as 2025-03-03T08:00:00+07:00."];
            }
        }

        limits.Instant(errors, "receivedAt", received);
        decimal? limit = null;
        if (!string.IsNullOrWhiteSpace(days))
        {
            if (decimal.TryParse(days, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
            {
                limit = parsed;
                limits.WorkingDays(errors, "days", parsed);
            }
            else
            {
                errors["days"] = [$"days '{days}' is not a number of working days; write it as 5 or 0.5."];
            }
        }
        else if (sameDay != true)
        {
            errors["days"] = ["Give days (working days, fractions allowed) or sameDay=true."];
        }

        return (received?.UtcDateTime ?? clock.GetUtcNow().UtcDateTime, limit, errors);
    }

    private static async Task<IResult> AddDayAsync(HttpContext http, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, bool workingDay, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<CalendarDayRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (!DateOnly.TryParseExact(request!.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return Problems.Validation("Date not understood", new Dictionary<string, string[]> { ["date"] = ["date is required in the form yyyy-MM-dd, e.g. 2026-11-24."] });
        }

        var errors = new Dictionary<string, string[]>();
        var limits = http.RequestServices.GetRequiredService<FieldLimits>();
        limits.Date(errors, "date", day);
        limits.Name(errors, "name", request.Name?.Trim());
        limits.Comment(errors, "comment", request.Comment);
        if (errors.Count > 0)
        {
            return Problems.Validation("The calendar day is not valid", errors);
        }

        var name = string.IsNullOrWhiteSpace(request.Name) ? (workingDay ? "Make-up working day" : "Day off") : request.Name.Trim();
        var current = await CurrentCalendarAsync(db, ct);
        WorkingCalendar changed;
        try
        {
            changed = new WorkingCalendar(current.TimeZoneId, current.OfficeHours, current.WeekendDays,
                workingDay ? current.DaysOff : current.DaysOff.Append(new NamedDate(day, name)),
                workingDay ? current.WorkingDays.Append(new NamedDate(day, name)) : current.WorkingDays,
                current.SameDayCutOff, current.Description);
        }
        catch (ArgumentException ex)
        {
            return Problems.Validation("The calendar would not be valid", new Dictionary<string, string[]> { ["date"] = [ex.Message] });
        }

        var comment = request.Comment ?? $"{(workingDay ? "working day" : "day off")} {request.Date}: {name}";
        return TypedResults.Ok(View(await calendars.SaveAsync(db, gate, changed, Caller.From(http.User).Name, comment, ct)));
    }

    private static async Task<IResult> AddDaysAsync(HttpContext http, ProcessServerDbContext db, WriteGate gate, CalendarStore calendars, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<CalendarDaysRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        List<NamedDate> Read(List<CalendarDayRequest>? days, string field, string fallbackName)
        {
            var read = new List<NamedDate>();
            for (var i = 0; i < (days?.Count ?? 0); i++)
            {
                var day = days![i];
                if (!DateOnly.TryParseExact(day.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    errors[$"{field}[{i}].date"] = [$"'{day.Date}' is not a date in the form yyyy-MM-dd."];
                    continue;
                }

                read.Add(new NamedDate(date, string.IsNullOrWhiteSpace(day.Name) ? fallbackName : day.Name.Trim()));
            }

            return read;
        }

        var daysOff = Read(request!.DaysOff, "daysOff", "Day off");
        var workingDays = Read(request.WorkingDays, "workingDays", "Make-up working day");
        if (daysOff.Count + workingDays.Count == 0 && errors.Count == 0)
        {
            errors["daysOff"] = ["Give at least one day in daysOff or workingDays."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The days cannot be loaded as sent", errors);
        }

        var current = await CurrentCalendarAsync(db, ct);
        WorkingCalendar changed;
        try
        {
            // A day already listed the same way is kept as it is, so loading a year twice changes nothing twice.
            changed = new WorkingCalendar(current.TimeZoneId, current.OfficeHours, current.WeekendDays,
                current.DaysOff.Concat(daysOff.Where(d => current.DaysOff.All(c => c.Date != d.Date))),
                current.WorkingDays.Concat(workingDays.Where(d => current.WorkingDays.All(c => c.Date != d.Date))),
                current.SameDayCutOff, current.Description);
        }
        catch (ArgumentException ex)
        {
            return Problems.Validation("The calendar would not be valid", new Dictionary<string, string[]> { ["daysOff"] = [ex.Message] });
        }

        var comment = request.Comment ?? $"{daysOff.Count} day(s) off and {workingDays.Count} working day(s) loaded";
        return TypedResults.Ok(View(await calendars.SaveAsync(db, gate, changed, Caller.From(http.User).Name, comment, ct)));
    }

    private static async Task<WorkingCalendar> CurrentCalendarAsync(ProcessServerDbContext db, CancellationToken ct) =>
        WorkingCalendar.FromJson((await db.CalendarVersions.AsNoTracking().OrderByDescending(c => c.Version).FirstAsync(ct)).Json);

    private static CalendarView View(Persistence.Entities.CalendarVersion row) =>
        new(row.Version, row.CreatedAt, row.CreatedBy, row.Comment, JsonNode.Parse(row.Json)!);
}
