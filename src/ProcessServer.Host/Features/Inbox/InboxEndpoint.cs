using Microsoft.EntityFrameworkCore;
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
    string ApplicantName);

/// <summary>A page of an inbox.</summary>
public sealed record InboxPage(IReadOnlyList<InboxItem> Items, int Page, int PageSize, int TotalCount);

/// <summary>GET /api/inbox.</summary>
public static class InboxEndpoint
{
    private const int MaxPageSize = 200;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/inbox", HandleAsync)
            .WithName("Inbox")
            .WithTags("Tasks")
            .WithSummary("Pending tasks of a unit and role, oldest first")
            .WithDescription("unit defaults to every unit of the caller; role filters by job role; page starts at 1; pageSize at most 200.")
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

        var total = await query.CountAsync(cancellationToken);
        var items = await query
            .Join(db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new { t, d })
            .OrderBy(x => x.t.CreatedAt).ThenBy(x => x.t.Id)
            .Skip((number - 1) * size).Take(size)
            .Select(x => new InboxItem(
                x.t.Id, x.d.Id, x.d.ReceiptCode, x.d.ProcedureCode, x.d.DefinitionVersion, x.d.Version, x.t.Title, x.t.UnitCode,
                x.t.Role, x.t.Kind, x.t.Status, x.t.TimeLimitDays, x.t.CreatedAt, x.d.ApplicantName))
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new InboxPage(items, number, size, total));
    }
}
