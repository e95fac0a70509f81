using System.Globalization;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Inbox;

/// <summary>An open task a unit's leader should look at, and why.</summary>
/// <param name="TaskId">Task id.</param>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="ProcedureCode">Procedure code.</param>
/// <param name="DossierVersion">Dossier version to send in If-Match (e.g. to assign the task).</param>
/// <param name="Title">Step title.</param>
/// <param name="Role">Role that handles the step.</param>
/// <param name="Status">Pending or AwaitingSupplement.</param>
/// <param name="DueAt">When the step's time runs out (UTC).</param>
/// <param name="DeadlineStatus">Overdue, Warning, OnTrack, Paused or NoLimit.</param>
/// <param name="Assignee">Who holds it; null while it waits in the queue.</param>
/// <param name="QueuedSince">Since when it waits in the queue (UTC).</param>
/// <param name="Priority">Low, Normal, High or Urgent.</param>
/// <param name="Reasons">Overdue, DueSoon, Unassigned (in the queue longer than the threshold).</param>
public sealed record AttentionItem(
    string TaskId,
    string DossierId,
    string ReceiptCode,
    string ProcedureCode,
    int DossierVersion,
    string Title,
    string Role,
    string Status,
    DateTime? DueAt,
    string DeadlineStatus,
    PersonView? Assignee,
    DateTime? QueuedSince,
    string Priority,
    IReadOnlyList<string> Reasons);

/// <summary>A page of a unit's "needs attention" list.</summary>
/// <param name="Unit">Unit code.</param>
/// <param name="AsOf">When it was judged (UTC).</param>
/// <param name="DueSoonUntil">Tasks due before this are due soon (UTC).</param>
/// <param name="UnassignedSince">Tasks waiting in the queue since before this are flagged (UTC).</param>
/// <param name="Items">The tasks: overdue first (most overdue first), then due soon, then unassigned longest waiting first.</param>
/// <param name="Page">Page, from 1.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="TotalCount">Tasks in the list.</param>
public sealed record AttentionList(string Unit, DateTime AsOf, DateTime DueSoonUntil, DateTime UnassignedSince, IReadOnlyList<AttentionItem> Items,
    int Page, int PageSize, int TotalCount);

/// <summary>GET /api/units/{unit}/needs-attention: a unit leader's list of overdue, due-soon and long-unassigned tasks.</summary>
public static class NeedsAttentionEndpoint
{
    /// <summary>Reason: past the due instant.</summary>
    public const string Overdue = "Overdue";

    /// <summary>Reason: due within the window.</summary>
    public const string DueSoon = "DueSoon";

    /// <summary>Reason: nobody has held it for longer than the threshold.</summary>
    public const string Unassigned = "Unassigned";

    private const int MaxPageSize = 200;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/units/{unit}/needs-attention", HandleAsync)
            .WithName("NeedsAttention")
            .WithTags("Tasks")
            .WithSummary("For the unit's leader: open tasks that are overdue, due soon, or unassigned for too long")
            .WithDescription("within (ISO 8601 duration, default ProcessServer:Tasks:DueSoonWithin = P1D) is the due-soon window; unassignedFor (default "
                + "ProcessServer:Tasks:UnassignedAlertAfter = PT4H) flags tasks waiting in the queue longer than that. Each item lists its reasons. "
                + "Leaders of the unit and administrators only (403 for other clerks).")
            .Produces<AttentionList>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(
        string unit, string? within, string? unassignedFor, int? page, int? pageSize, HttpContext http, ProcessServerDbContext db,
        UnitDirectory units, IOptionsMonitor<ServerOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var settings = options.CurrentValue.Tasks;
        var errors = new Dictionary<string, string[]>();
        var window = Duration(within, settings.DueSoonWithin, "within", errors);
        var threshold = Duration(unassignedFor, settings.UnassignedAlertAfter, "unassignedFor", errors);
        if (page is < 1)
        {
            errors["page"] = ["page starts at 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The needs-attention query is not valid", errors);
        }

        if (units.Find(unit) is null)
        {
            return Problems.Result(404, "Unknown unit", $"There is no unit '{unit}'; GET /api/units lists them.");
        }

        var caller = Caller.From(http.User);
        if (!units.Leads(caller, unit))
        {
            return Problems.Result(403, "Only the unit's leader",
                $"The needs-attention list of {unit} is for its leaders; your inbox (GET /api/inbox?view=mine or view=queue) shows your own work.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + window;
        var since = now - threshold;
        var query = db.Tasks.AsNoTracking().Where(t => t.UnitCode == unit && TaskStatuses.Open.Contains(t.Status)
            && ((t.Status == TaskStatuses.Pending && t.DueAt != null && t.DueAt <= until) || (t.AssigneeId == null && t.QueuedSince <= since)));
        var total = await query.CountAsync(ct);
        var number = page ?? 1;
        var size = pageSize ?? 50;
        var rows = await query
            .OrderBy(t => t.Status == TaskStatuses.Pending && t.DueAt != null && t.DueAt <= until ? 0 : 1)
            .ThenBy(t => t.DueAt).ThenBy(t => t.QueuedSince).ThenBy(t => t.Id)
            .Skip((number - 1) * size).Take(size)
            .Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new { t, d.ReceiptCode, d.ProcedureCode, DossierVersion = d.Version })
            .ToListAsync(ct);
        var items = rows.Select(r =>
        {
            var t = r.t;
            var reasons = new List<string>();
            if (t.Status == TaskStatuses.Pending && t.DueAt is { } due)
            {
                reasons.Add(due < now ? Overdue : due <= until ? DueSoon : string.Empty);
            }

            if (t.AssigneeId is null && t.QueuedSince <= since)
            {
                reasons.Add(Unassigned);
            }

            return new AttentionItem(t.Id, t.DossierId, r.ReceiptCode, r.ProcedureCode, r.DossierVersion, t.Title, t.Role, t.Status, t.DueAt,
                TaskUrgency.Of(t.Status, t.DueAt, t.WarnAt, now), t.AssigneeId is null ? null : new PersonView(t.AssigneeId, t.AssigneeName ?? t.AssigneeId),
                t.QueuedSince, t.Priority, [.. reasons.Where(x => x.Length > 0)]);
        }).ToList();
        return TypedResults.Ok(new AttentionList(unit, now, until, since, items, number, size, total));
    }

    private static TimeSpan Duration(string? text, TimeSpan fallback, string field, Dictionary<string, string[]> errors)
    {
        if (text is null)
        {
            return fallback;
        }

        try
        {
            var value = text.StartsWith('P') ? XmlConvert.ToTimeSpan(text) : TimeSpan.Parse(text, CultureInfo.InvariantCulture);
            if (value > TimeSpan.Zero && value <= TimeSpan.FromDays(366))
            {
                return value;
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            // Reported below.
        }

        errors[field] = [$"{field} must be a duration such as PT4H or P2D, longer than zero and at most 366 days; '{text}' is not."];
        return fallback;
    }
}
