using System.Globalization;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Deadlines;

/// <summary>An open task in a unit leader's overdue or due-soon list.</summary>
/// <param name="TaskId">Task id.</param>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="ProcedureCode">Procedure code.</param>
/// <param name="ApplicantName">Applicant.</param>
/// <param name="Title">Step title.</param>
/// <param name="UnitCode">Unit.</param>
/// <param name="Role">Role that handles the step.</param>
/// <param name="TimeLimitDays">The step's limit in working days.</param>
/// <param name="StartedAt">When the step started (UTC).</param>
/// <param name="DueAt">When the step's time runs out (UTC).</param>
/// <param name="WarnAt">When the step used the warning share of its time (UTC).</param>
/// <param name="DeadlineStatus">Overdue, Warning or OnTrack as of the request.</param>
/// <param name="WorkingDaysLeft">Office time from now to the due instant, in working days on the current calendar; negative when overdue (how late in working days).</param>
/// <param name="TimeLeft">Wall-clock time from now to the due instant; negative when overdue.</param>
public sealed record UnitTaskItem(
    string TaskId,
    string DossierId,
    string ReceiptCode,
    string ProcedureCode,
    string ApplicantName,
    string Title,
    string UnitCode,
    string Role,
    decimal? TimeLimitDays,
    DateTime StartedAt,
    DateTime DueAt,
    DateTime? WarnAt,
    string DeadlineStatus,
    decimal WorkingDaysLeft,
    TimeSpan TimeLeft);

/// <summary>A page of a unit's overdue or due-soon tasks.</summary>
/// <param name="Unit">Unit code.</param>
/// <param name="AsOf">The instant the list was judged at (UTC).</param>
/// <param name="Until">For due-soon: the end of the window (UTC).</param>
/// <param name="Items">Tasks of the page.</param>
/// <param name="Page">Page number, from 1.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="TotalCount">Tasks in the list.</param>
public sealed record UnitTaskList(string Unit, DateTime AsOf, DateTime? Until, IReadOnlyList<UnitTaskItem> Items, int Page, int PageSize, int TotalCount);

/// <summary>A fired deadline, from the notification outbox.</summary>
/// <param name="Id">Notification id.</param>
/// <param name="Kind">Warning (the step used the warning share of its time) or Overdue (its due instant passed).</param>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="TaskId">Task id.</param>
/// <param name="UnitCode">Unit that handles the task.</param>
/// <param name="Title">Step title.</param>
/// <param name="FireAt">The instant the deadline was due to fire (UTC).</param>
/// <param name="CreatedAt">When it fired (UTC).</param>
/// <param name="DeliveredAt">When a delivery channel took it, if one did.</param>
public sealed record NotificationItem(
    string Id,
    string Kind,
    string DossierId,
    string ReceiptCode,
    string TaskId,
    string UnitCode,
    string Title,
    DateTime FireAt,
    DateTime CreatedAt,
    DateTime? DeliveredAt);

/// <summary>A page of the notification feed, oldest first.</summary>
/// <param name="Items">Notifications, by CreatedAt then Id.</param>
/// <param name="NextCursor">Pass as cursor to read on; null when this page is the last one for now.</param>
public sealed record NotificationFeed(IReadOnlyList<NotificationItem> Items, string? NextCursor);

/// <summary>
/// Unit leaders' lists (GET /api/units/{unit}/overdue and /due-soon) and the notification outbox as a
/// feed (GET /api/notifications). Clerks see their own units only; administrators see every unit.
/// </summary>
public static class DeadlineEndpoints
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 200;
    private const int DefaultFeedLimit = 100;
    private const int MaxFeedLimit = 1000;
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(1);
    private static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    public static void Map(IEndpointRouteBuilder app)
    {
        var units = app.MapGroup("/api/units/{unit}").WithTags("Deadlines").RequireAuthorization(Policies.Clerk);
        units.MapGet("/overdue", OverdueAsync)
            .WithName("UnitOverdue")
            .WithSummary("Open tasks of a unit past their due instant, most overdue first")
            .WithDescription("For unit leaders. A task waiting for a supplement is not listed (its clock is stopped). "
                + "workingDaysLeft is negative: how late, in working days on the current calendar. page starts at 1; pageSize at most 200.")
            .Produces<UnitTaskList>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);
        units.MapGet("/due-soon", DueSoonAsync)
            .WithName("UnitDueSoon")
            .WithSummary("Open tasks of a unit not yet overdue that fall due within a window, nearest first")
            .WithDescription("within is a wall-clock window from now as an ISO 8601 duration (PT4H, P2D) or d.hh:mm:ss; default P1D, at most 366 days. "
                + "page starts at 1; pageSize at most 200.")
            .Produces<UnitTaskList>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/api/notifications", FeedAsync)
            .WithTags("Deadlines")
            .WithName("Notifications")
            .WithSummary("The notification outbox as a feed: warnings and overdue events as they fired, oldest first")
            .WithDescription("unit defaults to every unit of the caller (every unit for an administrator); since (ISO 8601 instant) "
                + "keeps events fired at or after it; kind is Warning or Overdue; limit at most 1000. To read on, pass the nextCursor "
                + "of a page as cursor with the same filters.")
            .Produces<NotificationFeed>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Clerk);
    }

    private static async Task<IResult> OverdueAsync(
        string unit, int? page, int? pageSize, HttpContext http, ProcessServerDbContext db, UnitDirectory directory,
        CalendarStore calendars, TimeProvider clock, CancellationToken ct)
    {
        var errors = PagingErrors(page, pageSize);
        if (errors.Count > 0)
        {
            return Problems.Validation("The overdue query is not valid", errors);
        }

        if (Refuse(http, directory, unit) is { } refusal)
        {
            return refusal;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var query = db.Tasks.AsNoTracking()
            .Where(t => t.UnitCode == unit && t.Status == TaskStatuses.Pending && t.DueAt != null && t.DueAt < now);
        return await ListAsync(db, calendars, unit, now, null, query, page ?? 1, pageSize ?? DefaultPageSize, ct);
    }

    private static async Task<IResult> DueSoonAsync(
        string unit, string? within, int? page, int? pageSize, HttpContext http, ProcessServerDbContext db, UnitDirectory directory,
        CalendarStore calendars, TimeProvider clock, CancellationToken ct)
    {
        var errors = PagingErrors(page, pageSize);
        var window = DefaultWindow;
        if (within is not null && !TryParseWindow(within, out window))
        {
            errors["within"] = [$"within must be a duration such as PT4H, P2D or 1.00:00:00, longer than zero and at most 366 days; '{within}' is not."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The due-soon query is not valid", errors);
        }

        if (Refuse(http, directory, unit) is { } refusal)
        {
            return refusal;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + window;
        var query = db.Tasks.AsNoTracking()
            .Where(t => t.UnitCode == unit && t.Status == TaskStatuses.Pending && t.DueAt != null && t.DueAt >= now && t.DueAt <= until);
        return await ListAsync(db, calendars, unit, now, until, query, page ?? 1, pageSize ?? DefaultPageSize, ct);
    }

    private static async Task<IResult> FeedAsync(
        string? unit, string? since, string? kind, string? cursor, int? limit, HttpContext http, ProcessServerDbContext db,
        UnitDirectory directory, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        DateTime? from = null;
        if (since is not null)
        {
            if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                from = parsed.UtcDateTime;
            }
            else
            {
                errors["since"] = [$"since must be an instant such as 2025-03-06T17:00:00+07:00; '{since}' is not."];
            }
        }

        if (kind is not null && kind is not (DeadlineKinds.Warning or DeadlineKinds.Overdue))
        {
            errors["kind"] = [$"kind must be {DeadlineKinds.Warning} or {DeadlineKinds.Overdue}, not '{kind}'."];
        }

        (DateTime CreatedAt, string Id)? after = null;
        if (cursor is not null)
        {
            if (TryParseCursor(cursor, out var position))
            {
                after = position;
            }
            else
            {
                errors["cursor"] = ["cursor is not one this server returned; pass the nextCursor of the previous page unchanged."];
            }
        }

        if (limit is < 1 or > MaxFeedLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {MaxFeedLimit}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The notification query is not valid", errors);
        }

        var caller = Caller.From(http.User);
        if (unit is not null && Refuse(http, directory, unit) is { } refusal)
        {
            return refusal;
        }

        var query = db.Notifications.AsNoTracking();
        if (unit is not null)
        {
            query = query.Where(n => n.UnitCode == unit);
        }
        else if (!caller.IsAdministrator)
        {
            var mine = caller.Units.ToList();
            query = query.Where(n => mine.Contains(n.UnitCode));
        }

        if (from is { } instant)
        {
            query = query.Where(n => n.CreatedAt >= instant);
        }

        if (kind is not null)
        {
            query = query.Where(n => n.Kind == kind);
        }

        if (after is { } last)
        {
            // Translated to SQL (binary comparison of the ids); never run in memory.
#pragma warning disable CA1309
            query = query.Where(n => n.CreatedAt > last.CreatedAt || (n.CreatedAt == last.CreatedAt && string.Compare(n.Id, last.Id) > 0));
#pragma warning restore CA1309
        }

        var size = limit ?? DefaultFeedLimit;
        var items = await query
            .OrderBy(n => n.CreatedAt).ThenBy(n => n.Id)
            .Take(size)
            .Join(db.Dossiers, n => n.DossierId, d => d.Id, (n, d) => new NotificationItem(
                n.Id, n.Kind, n.DossierId, d.ReceiptCode, n.TaskId, n.UnitCode, n.Title, n.FireAt, n.CreatedAt, n.DeliveredAt))
            .ToListAsync(ct);
        items = [.. items.OrderBy(n => n.CreatedAt).ThenBy(n => n.Id, StringComparer.Ordinal)];
        var next = items.Count == size ? Cursor(items[^1]) : null;
        return TypedResults.Ok(new NotificationFeed(items, next));
    }

    private static async Task<IResult> ListAsync(
        ProcessServerDbContext db, CalendarStore calendars, string unit, DateTime now, DateTime? until, IQueryable<DossierTask> query,
        int page, int size, CancellationToken ct)
    {
        var total = await query.CountAsync(ct);
        var rows = await query
            .OrderBy(t => t.DueAt).ThenBy(t => t.Id)
            .Skip((page - 1) * size).Take(size)
            .Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new
            {
                t.Id, t.DossierId, d.ReceiptCode, d.ProcedureCode, d.ApplicantName, t.Title, t.UnitCode, t.Role, t.Status, t.TimeLimitDays,
                t.CreatedAt, t.DueAt, t.WarnAt,
            })
            .ToListAsync(ct);
        var time = (await calendars.CurrentAsync(db, ct)).Time;
        var items = rows
            .OrderBy(r => r.DueAt).ThenBy(r => r.Id, StringComparer.Ordinal)
            .Select(r =>
            {
                var due = r.DueAt!.Value;
                var left = due >= now ? time.WorkingTimeBetween(now, due) : -time.WorkingTimeBetween(due, now);
                return new UnitTaskItem(r.Id, r.DossierId, r.ReceiptCode, r.ProcedureCode, r.ApplicantName, r.Title, r.UnitCode, r.Role,
                    r.TimeLimitDays, r.CreatedAt, due, r.WarnAt, TaskUrgency.Of(r.Status, due, r.WarnAt, now),
                    Math.Round(time.TimeToWorkingDays(left), 2, MidpointRounding.AwayFromZero), due - now);
            })
            .ToList();
        return TypedResults.Ok(new UnitTaskList(unit, now, until, items, page, size, total));
    }

    /// <summary>404 for a unit nobody configured, 403 for a clerk of another unit; null when the caller may see it.</summary>
    private static IResult? Refuse(HttpContext http, UnitDirectory directory, string unit)
    {
        if (directory.Find(unit) is null)
        {
            return Problems.Result(404, "Unknown unit", $"There is no unit '{unit}'; the units are {string.Join(", ", directory.All.Select(u => u.Code))}.");
        }

        var caller = Caller.From(http.User);
        return caller.ActsFor(unit)
            ? null
            : Problems.Result(403, "Not your unit", $"You work for {string.Join(", ", caller.Units)}, not for '{unit}'; only its own clerks and administrators see its deadlines.");
    }

    private static Dictionary<string, string[]> PagingErrors(int? page, int? pageSize)
    {
        var errors = new Dictionary<string, string[]>();
        if (page is < 1)
        {
            errors["page"] = ["page starts at 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        return errors;
    }

    private static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = default;
        try
        {
            window = text.StartsWith('P') || text.StartsWith("-P", StringComparison.Ordinal) ? XmlConvert.ToTimeSpan(text) : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            return false;
        }
        catch (OverflowException)
        {
            return false;
        }

        return window > TimeSpan.Zero && window <= MaxWindow;
    }

    private static string Cursor(NotificationItem last) => $"{last.CreatedAt.Ticks.ToString(CultureInfo.InvariantCulture)}.{last.Id}";

    private static bool TryParseCursor(string cursor, out (DateTime CreatedAt, string Id) position)
    {
        position = default;
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot == cursor.Length - 1
            || !long.TryParse(cursor.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        position = (new DateTime(ticks, DateTimeKind.Utc), cursor[(dot + 1)..]);
        return true;
    }
}

/// <summary>The two kinds of deadline event, as the API spells them.</summary>
public static class DeadlineKinds
{
    /// <summary>The step used the warning share of its time.</summary>
    public const string Warning = ProcessServer.Persistence.Entities.Deadlines.Warning;

    /// <summary>The step's due instant passed.</summary>
    public const string Overdue = ProcessServer.Persistence.Entities.Deadlines.Overdue;
}
