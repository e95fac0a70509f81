using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Features.Deadlines;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Inbox;

/// <summary>A task in an inbox.</summary>
/// <param name="TaskId">Task id (complete it with POST /api/tasks/{taskId}/complete).</param>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="ProcedureCode">Procedure code.</param>
/// <param name="DefinitionVersion">Procedure version the dossier runs on.</param>
/// <param name="DossierVersion">Dossier version to send in If-Match.</param>
/// <param name="Title">Step title.</param>
/// <param name="UnitCode">Unit.</param>
/// <param name="Role">Role.</param>
/// <param name="Kind">Step, Payment or ReturnResult.</param>
/// <param name="Status">Pending or AwaitingSupplement.</param>
/// <param name="TimeLimitDays">Budget in working days.</param>
/// <param name="StartedAt">When the step started (UTC).</param>
/// <param name="ApplicantName">Applicant.</param>
/// <param name="DueAt">When the step's time runs out (UTC); null without a counted limit.</param>
/// <param name="WarnAt">When the step has used the warning share of its time (UTC).</param>
/// <param name="DeadlineStatus">As of the request: Overdue, Warning, OnTrack, Paused (waiting for a supplement) or NoLimit.</param>
/// <param name="Assignee">The officer holding the task; null while it waits in the unit's queue.</param>
/// <param name="QueuedSince">Since when it waits in the queue (UTC); null while held.</param>
/// <param name="Priority">Low, Normal, High or Urgent.</param>
/// <param name="FollowUpAt">The holder's follow-up date (UTC).</param>
public sealed record InboxItem(
    string TaskId,
    string DossierId,
    string ReceiptCode,
    string ProcedureCode,
    int DefinitionVersion,
    int DossierVersion,
    string Title,
    string UnitCode,
    string Role,
    string Kind,
    string Status,
    decimal? TimeLimitDays,
    DateTime StartedAt,
    string ApplicantName,
    DateTime? DueAt,
    DateTime? WarnAt,
    string DeadlineStatus,
    PersonView? Assignee,
    DateTime? QueuedSince,
    string Priority,
    DateTime? FollowUpAt);

/// <summary>A page of an inbox.</summary>
/// <param name="Items">The tasks of the page.</param>
/// <param name="Page">Page number, from 1.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="TotalCount">Tasks matching the query.</param>
/// <param name="Sort">oldest or urgency.</param>
/// <param name="AsOf">The instant deadline statuses were judged at (UTC).</param>
/// <param name="View">all, mine or queue.</param>
public sealed record InboxPage(IReadOnlyList<InboxItem> Items, int Page, int PageSize, int TotalCount, string Sort, DateTime AsOf, string View);

/// <summary>GET /api/inbox.</summary>
public static class InboxEndpoint
{
    private const int MaxPageSize = 200;
    private const string Oldest = "oldest";
    private const string Urgency = "urgency";
    private const string PriorityOrder = "priority";
    private const string All = "all";
    private const string Mine = "mine";
    private const string Queue = "queue";

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/inbox", HandleAsync)
            .WithName("Inbox")
            .WithTags("Tasks")
            .WithSummary("Pending tasks of a unit and role: all of them, the caller's own, or the unit's unassigned queue")
            .WithDescription("view=all (default) lists every open task; view=mine the tasks the caller holds; view=queue the tasks nobody holds, "
                + "longest waiting first by default. unit defaults to every unit of the caller; role filters by job role; page starts at 1; pageSize at most 200. "
                + "sort=oldest (default) orders by when the step started (for the queue: since when it waits); sort=urgency puts overdue tasks first "
                + "(most overdue first), then the nearest due, then tasks paused for a supplement, and tasks without a limit last; sort=priority puts "
                + "Urgent, High, Normal, Low, then by urgency. Each item carries dueAt, warnAt and deadlineStatus (Overdue, Warning, OnTrack, Paused, NoLimit) "
                + "as of the request, and who holds it.")
            .Produces<InboxPage>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(
        HttpContext http,
        ProcessServerDbContext db,
        string? unit,
        string? role,
        int? page,
        int? pageSize,
        string? sort,
        string? view,
        TimeProvider clock,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var errors = new Dictionary<string, string[]>();
        if (page is < 1)
        {
            errors["page"] = ["page starts at 1."];
        }

        if (pageSize is < 1 or > MaxPageSize)
        {
            errors["pageSize"] = [$"pageSize must be between 1 and {MaxPageSize}."];
        }

        var order = string.IsNullOrWhiteSpace(sort) || string.Equals(sort.Trim(), Oldest, StringComparison.OrdinalIgnoreCase) ? Oldest
            : string.Equals(sort.Trim(), Urgency, StringComparison.OrdinalIgnoreCase) ? Urgency
            : string.Equals(sort.Trim(), PriorityOrder, StringComparison.OrdinalIgnoreCase) ? PriorityOrder
            : null;
        if (order is null)
        {
            errors["sort"] = [$"sort must be '{Oldest}' (the default), '{Urgency}' or '{PriorityOrder}', not '{sort}'."];
        }

        var scope = string.IsNullOrWhiteSpace(view) ? All : new[] { All, Mine, Queue }.FirstOrDefault(v => string.Equals(v, view.Trim(), StringComparison.OrdinalIgnoreCase));
        if (scope is null)
        {
            errors["view"] = [$"view must be '{All}' (the default), '{Mine}' or '{Queue}', not '{view}'."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The inbox query is not valid", errors);
        }

        if (unit is not null && !caller.ActsFor(unit))
        {
            return Problems.Result(403, "Not your unit", $"You work for {string.Join(", ", caller.Units)}, not for '{unit}'.");
        }

        var number = page ?? 1;
        var size = pageSize ?? 50;
        var query = db.Tasks.AsNoTracking().Where(t => TaskStatuses.Open.Contains(t.Status));
        if (unit is not null)
        {
            query = query.Where(t => t.UnitCode == unit);
        }
        else if (!caller.IsAdministrator)
        {
            var units = caller.Units.ToList();
            query = query.Where(t => units.Contains(t.UnitCode));
        }

        if (!string.IsNullOrWhiteSpace(role))
        {
            query = query.Where(t => t.Role == role);
        }

        if (scope == Mine)
        {
            query = query.Where(t => t.AssigneeId == caller.Id);
        }
        else if (scope == Queue)
        {
            query = query.Where(t => t.AssigneeId == null);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var total = await query.CountAsync(cancellationToken);
        var joined = query.Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new { t, d });
        var ordered = order switch
        {
            Urgency => joined
                .OrderBy(x => x.t.DueAt == null ? 2 : x.t.Status == TaskStatuses.AwaitingSupplement ? 1 : 0)
                .ThenBy(x => x.t.DueAt).ThenBy(x => x.t.CreatedAt).ThenBy(x => x.t.Id),
            PriorityOrder => joined
                .OrderBy(x => x.t.Priority == "Urgent" ? 0 : x.t.Priority == "High" ? 1 : x.t.Priority == "Normal" ? 2 : 3)
                .ThenBy(x => x.t.DueAt == null ? 2 : x.t.Status == TaskStatuses.AwaitingSupplement ? 1 : 0)
                .ThenBy(x => x.t.DueAt).ThenBy(x => x.t.CreatedAt).ThenBy(x => x.t.Id),
            _ when scope == Queue => joined.OrderBy(x => x.t.QueuedSince).ThenBy(x => x.t.Id),
            _ => joined.OrderBy(x => x.t.CreatedAt).ThenBy(x => x.t.Id),
        };
        var rows = await ordered
            .Skip((number - 1) * size).Take(size)
            .Select(x => new
            {
                x.t.Id, DossierId = x.d.Id, x.d.ReceiptCode, x.d.ProcedureCode, x.d.DefinitionVersion, DossierVersion = x.d.Version, x.t.Title,
                x.t.UnitCode, x.t.Role, x.t.Kind, x.t.Status, x.t.TimeLimitDays, x.t.CreatedAt, x.d.ApplicantName, x.t.DueAt, x.t.WarnAt,
                x.t.AssigneeId, x.t.AssigneeName, x.t.QueuedSince, x.t.Priority, x.t.FollowUpAt,
            })
            .ToListAsync(cancellationToken);
        var items = rows.Select(r => new InboxItem(
                r.Id, r.DossierId, r.ReceiptCode, r.ProcedureCode, r.DefinitionVersion, r.DossierVersion, r.Title, r.UnitCode,
                r.Role, r.Kind, r.Status, r.TimeLimitDays, r.CreatedAt, r.ApplicantName, r.DueAt, r.WarnAt,
                TaskUrgency.Of(r.Status, r.DueAt, r.WarnAt, now),
                r.AssigneeId is null ? null : new PersonView(r.AssigneeId, r.AssigneeName ?? r.AssigneeId), r.QueuedSince, r.Priority, r.FollowUpAt))
            .ToList();
        return TypedResults.Ok(new InboxPage(items, number, size, total, order!, now, scope!));
    }
}
