using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Apology;

/// <summary>An apology and new appointment (form 04).</summary>
/// <param name="NewDueAt">The new appointment (an instant; a date alone means the end of office hours that day).</param>
/// <param name="Reason">The reason told to the applicant.</param>
public sealed record ApologyRequest(DateTimeOffset? NewDueAt, string? Reason);

/// <summary>POST /api/dossiers/{id}/apology.</summary>
public static class ApologyEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers/{id}/apology", HandleAsync)
            .WithName("IssueApology")
            .WithTags("Dossiers")
            .WithSummary("Issue the apology with a new appointment (form 04): once, before the due date; both dates are kept")
            .Accepts<ApologyRequest>("application/json")
            .Produces<DossierView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(string id, HttpContext http, ProcessServerDbContext db, WriteGate gate, TimeProvider clock, FieldLimits limits, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<ApologyRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (request!.NewDueAt is null)
        {
            errors["newDueAt"] = ["newDueAt is required: the new appointment, e.g. 2025-03-20T10:00:00Z."];
        }

        if (string.IsNullOrWhiteSpace(request.Reason))
        {
            errors["reason"] = ["reason is required: the apology states why the dossier is late."];
        }

        limits.Comment(errors, "reason", request.Reason?.Trim());

        if (errors.Count > 0)
        {
            return Problems.Validation("The apology is incomplete", errors);
        }

        using var pass = await gate.EnterAsync(ct);
        var dossier = await db.Dossiers.SingleOrDefaultAsync(d => d.Id == id || d.ReceiptCode == id, ct);
        if (dossier is null)
        {
            return Problems.Result(404, "Dossier not found", $"No dossier has id or receipt code '{id}'.");
        }

        var caller = Caller.From(http.User);
        var units = caller.Units.ToList();
        if (!caller.IsAdministrator && !await db.Tasks.AnyAsync(t => t.DossierId == dossier.Id && TaskStatuses.Open.Contains(t.Status) && units.Contains(t.UnitCode), ct))
        {
            return Problems.Result(403, "Not your unit", "Only a unit that holds the dossier now can apologise for it.");
        }

        var now = clock.GetUtcNow().UtcDateTime;
        TransitionResult result;
        try
        {
            result = WorkflowInterpreter.Apologize(DossierState.FromJson(dossier.StateJson), caller.Name, request.Reason!.Trim(), request.NewDueAt!.Value.UtcDateTime, now);
        }
        catch (TransitionException ex)
        {
            return Problems.Result(409, "No apology possible", ex.Message);
        }

        var rows = await DossierWriter.LoadRowsAsync(db, dossier.Id, ct);
        var added = DossierWriter.Stage(db, dossier, rows.OpenTasks, rows.Deadlines, rows.NextSequence, result, now);
        await db.SaveChangesAsync(ct);
        http.Response.Headers.ETag = DossierViews.ETag(dossier.Version);
        var name = await DossierViews.ProcedureNameAsync(db, dossier.DefinitionVersionId, ct);
        return TypedResults.Ok(DossierViews.Build(dossier, name, rows.Journal.Concat(added), now));
    }
}
