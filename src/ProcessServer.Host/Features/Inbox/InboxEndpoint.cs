using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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
/// <param name="TotalCount">
/// Tasks matching the query (on a page reached with after: as counted for the first page). Counted
/// exactly up to <c>ProcessServer:Tasks:InboxExactCountUpTo</c> (10,000); beyond that it is that
/// number and <paramref name="TotalCountIsExact"/> is false, unless the request asked exactCount=true.
/// </param>
/// <param name="Sort">oldest or urgency.</param>
/// <param name="AsOf">The instant deadline statuses were judged at (UTC).</param>
/// <param name="View">all, mine or queue.</param>
/// <param name="NextCursor">Pass as <c>after</c> for the next page (sort=oldest); null on the last page or for the other sorts.</param>
/// <param name="TotalCountIsExact">False when <paramref name="TotalCount"/> is a lower bound ("at least").</param>
public sealed record InboxPage(IReadOnlyList<InboxItem> Items, int Page, int PageSize, int TotalCount, string Sort, DateTime AsOf, string View,
    string? NextCursor = null, bool TotalCountIsExact = true);

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
                + "as of the request, and who holds it. With sort=oldest each page carries nextCursor: pass it as after= for the next page, which costs "
                + "the same however many tasks the unit has (page= still works, but skips rows). totalCount is exact up to 10,000 tasks "
                + "(ProcessServer:Tasks:InboxExactCountUpTo); beyond that it says 'at least' (totalCountIsExact false) unless exactCount=true, "
                + "whose cost grows with the inbox.")
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
        string? after,
        bool? exactCount,
        TimeProvider clock,
        IOptions<ServerOptions> options,
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

        var cursor = (Key: (DateTime?)null, Id: (string?)null, Page: 1, Total: 0, Exact: true);
        if (!string.IsNullOrWhiteSpace(after))
        {
            if (order != Oldest || scope == Queue || (unit is null && caller.IsAdministrator))
            {
                errors["after"] = ["after pages sort=oldest of view=all or view=mine within your units (or one unit); use page for the other orders."];
            }
            else if (page is not null)
            {
                errors["after"] = ["Send either after (the nextCursor of the previous page) or page, not both."];
            }
            else if (Cursor.TryRead(after, out var key, out var id, out var previousPage, out var counted, out var exact))
            {
                cursor = (key, id, previousPage + 1, counted, exact);
            }
            else
            {
                errors["after"] = ["after must be the nextCursor of a previous inbox page, unchanged."];
            }
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
        var countUpTo = exactCount == true ? int.MaxValue : Math.Max(1, options.Value.Tasks.InboxExactCountUpTo);
        List<string>? scopedUnits = unit is not null ? [unit] : caller.IsAdministrator ? null : [.. caller.Units];
        if (order == Oldest && scope != Queue && scopedUnits is not null && (cursor.Key is not null || number == 1))
        {
            // The count is taken on the first page and carried in the cursor, so following pages
            // do not count the whole inbox again.
            var (counted, exact) = cursor.Key is null ? await CountAsync(query, countUpTo, cancellationToken) : (cursor.Total, cursor.Exact);
            var (keyed, next) = await OldestFirstAsync(db, query, scopedUnits, cursor.Key, cursor.Id, size, cancellationToken);
            return TypedResults.Ok(new InboxPage(Items(keyed, now), cursor.Page, size, counted, order!, now, scope!,
                next is null ? null : Cursor.Write(next.CreatedAt, next.Id, cursor.Page, counted, exact), exact));
        }

        var (total, totalIsExact) = await CountAsync(query, countUpTo, cancellationToken);

        var joined = query.Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new Joined { T = t, D = d });
        var ordered = order switch
        {
            Urgency => joined
                .OrderBy(x => x.T.DueAt == null ? 2 : x.T.Status == TaskStatuses.AwaitingSupplement ? 1 : 0)
                .ThenBy(x => x.T.DueAt).ThenBy(x => x.T.CreatedAt).ThenBy(x => x.T.Id),
            PriorityOrder => joined
                .OrderBy(x => x.T.Priority == "Urgent" ? 0 : x.T.Priority == "High" ? 1 : x.T.Priority == "Normal" ? 2 : 3)
                .ThenBy(x => x.T.DueAt == null ? 2 : x.T.Status == TaskStatuses.AwaitingSupplement ? 1 : 0)
                .ThenBy(x => x.T.DueAt).ThenBy(x => x.T.CreatedAt).ThenBy(x => x.T.Id),
            _ when scope == Queue => joined.OrderBy(x => x.T.QueuedSince).ThenBy(x => x.T.Id),
            _ => joined.OrderBy(x => x.T.CreatedAt).ThenBy(x => x.T.Id),
        };
        var rows = await Project(ordered.Skip((number - 1) * size).Take(size)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new InboxPage(Items(rows, now), number, size, total, order!, now, scope!, TotalCountIsExact: totalIsExact));
    }

    /// <summary>
    /// Counts the matching tasks, but reads at most <paramref name="upTo"/> + 1 index entries: an
    /// exact count walks every open task of the unit (about 12 ms for 50,000 on SQLite, on every
    /// first page), while a clerk's screen only needs "at least 10,000".
    /// </summary>
    private static async Task<(int Count, bool Exact)> CountAsync(IQueryable<DossierTask> query, int upTo, CancellationToken cancellationToken)
    {
        if (upTo == int.MaxValue)
        {
            return (await query.CountAsync(cancellationToken), true);
        }

        var counted = await query.Take(upTo + 1).CountAsync(cancellationToken);
        return counted > upTo ? (upTo, false) : (counted, true);
    }

    /// <summary>
    /// Oldest first without sorting the unit's whole inbox: one query per unit and open status, each
    /// an equality prefix of the index Tasks (UnitCode, Status, CreatedAt) whose next column is the
    /// sort key, starting after the cursor and reading only as many rows as the page needs; the few
    /// streams are merged here. Any page reached by cursor costs what the first one does, however
    /// many open tasks the unit has. (page=N beyond the first keeps the OFFSET query.)
    /// </summary>
    /// <returns>The page, and its last row when another page follows.</returns>
    private static async Task<(List<Row> Rows, Row? Last)> OldestFirstAsync(
        ProcessServerDbContext db, IQueryable<DossierTask> query, List<string> units, DateTime? afterKey, string? afterId,
        int size, CancellationToken cancellationToken)
    {
        var merged = new List<Row>();
        foreach (var unitCode in units)
        {
            foreach (var status in TaskStatuses.Open)
            {
                var stream = query.Where(t => t.UnitCode == unitCode && t.Status == status);
                if (afterKey is { } key)
                {
                    // A range plus a tie-break, so the index range starts at the cursor. EF turns
                    // string.Compare into the column's own SQL comparison, as ORDER BY Id uses it.
#pragma warning disable CA1309, CA1310
                    stream = stream.Where(t => t.CreatedAt >= key && (t.CreatedAt > key || string.Compare(t.Id, afterId) > 0));
#pragma warning restore CA1309, CA1310
                }

                var joined = stream.OrderBy(t => t.CreatedAt).ThenBy(t => t.Id).Take(size + 1)
                    .Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new Joined { T = t, D = d });
                merged.AddRange(await Project(joined).ToListAsync(cancellationToken));
            }
        }

        var page = merged.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).Take(size + 1).ToList();
        if (page.Count <= size)
        {
            return (page, null);
        }

        page.RemoveAt(size);
        return (page, page[^1]);
    }

    private static IQueryable<Row> Project(IQueryable<Joined> joined) => joined.Select(x => new Row(
        x.T.Id, x.D.Id, x.D.ReceiptCode, x.D.ProcedureCode, x.D.DefinitionVersion, x.D.Version, x.T.Title,
        x.T.UnitCode, x.T.Role, x.T.Kind, x.T.Status, x.T.TimeLimitDays, x.T.CreatedAt, x.D.ApplicantName, x.T.DueAt, x.T.WarnAt,
        x.T.AssigneeId, x.T.AssigneeName, x.T.QueuedSince, x.T.Priority, x.T.FollowUpAt));

    private static List<InboxItem> Items(List<Row> rows, DateTime now) => rows.Select(r => new InboxItem(
            r.Id, r.DossierId, r.ReceiptCode, r.ProcedureCode, r.DefinitionVersion, r.DossierVersion, r.Title, r.UnitCode,
            r.Role, r.Kind, r.Status, r.TimeLimitDays, r.CreatedAt, r.ApplicantName, r.DueAt, r.WarnAt,
            TaskUrgency.Of(r.Status, r.DueAt, r.WarnAt, now),
            r.AssigneeId is null ? null : new PersonView(r.AssigneeId, r.AssigneeName ?? r.AssigneeId), r.QueuedSince, r.Priority, r.FollowUpAt))
        .ToList();

    private sealed class Joined
    {
        public required DossierTask T { get; init; }

        public required Dossier D { get; init; }
    }

    private sealed record Row(
        string Id, string DossierId, string ReceiptCode, string ProcedureCode, int DefinitionVersion, int DossierVersion, string Title,
        string UnitCode, string Role, string Kind, string Status, decimal? TimeLimitDays, DateTime CreatedAt, string ApplicantName,
        DateTime? DueAt, DateTime? WarnAt, string? AssigneeId, string? AssigneeName, DateTime? QueuedSince, string Priority, DateTime? FollowUpAt);
}

/// <summary>
/// The opaque inbox cursor: the sort key and id of the last task of a page, that page's number, and
/// the count taken on the first page (with a trailing + when it is a lower bound).
/// </summary>
internal static class Cursor
{
    public static string Write(DateTime key, string id, int page, int total, bool exact) =>
        Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Encode(System.Text.Encoding.UTF8.GetBytes(string.Create(
            System.Globalization.CultureInfo.InvariantCulture, $"{key.Ticks}|{page}|{total}{(exact ? string.Empty : "+")}|{id}")));

    public static bool TryRead(string cursor, out DateTime key, out string id, out int page, out int total, out bool exact)
    {
        key = default;
        id = string.Empty;
        page = 0;
        total = 0;
        exact = true;
        string[] parts;
        try
        {
            parts = System.Text.Encoding.UTF8.GetString(Microsoft.AspNetCore.WebUtilities.Base64UrlTextEncoder.Decode(cursor.Trim())).Split('|', 4);
        }
        catch (FormatException)
        {
            return false;
        }

        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (parts.Length != 4 || parts[3].Length == 0
            || !long.TryParse(parts[0], System.Globalization.NumberStyles.None, invariant, out var ticks) || ticks > DateTime.MaxValue.Ticks
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, invariant, out page) || page < 1
            || !int.TryParse(parts[2].TrimEnd('+'), System.Globalization.NumberStyles.None, invariant, out total))
        {
            return false;
        }

        exact = !parts[2].EndsWith('+');
        key = new DateTime(ticks, DateTimeKind.Utc);
        id = parts[3];
        return true;
    }
}
