using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.GetDossier;

/// <summary>GET /api/dossiers/{idOrReceiptCode}.</summary>
public static class GetDossierEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/dossiers/{idOrReceiptCode}", HandleAsync)
            .WithName("GetDossier")
            .WithTags("Dossiers")
            .WithSummary("Get a dossier: status, national status code, current tasks and journal")
            .WithDescription("Accepts the dossier id or its receipt code. The ETag header carries the version to send in If-Match.")
            .Produces<DossierView>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(string idOrReceiptCode, HttpContext http, ProcessServerDbContext db, UnitDirectory units, TimeProvider clock, CancellationToken cancellationToken)
    {
        var dossier = await db.Dossiers.AsNoTracking()
            .SingleOrDefaultAsync(d => d.Id == idOrReceiptCode || d.ReceiptCode == idOrReceiptCode, cancellationToken);
        if (dossier is null)
        {
            return Problems.Result(404, "Dossier not found", $"No dossier has id or receipt code '{idOrReceiptCode}'.");
        }

        if (!await DossierViews.CanSeeAsync(db, Caller.From(http.User), dossier, cancellationToken))
        {
            return Problems.Result(403, "Not your unit", $"Dossier {dossier.ReceiptCode} was not received in or handled by your units.");
        }

        var journal = await db.Journal.AsNoTracking().Where(j => j.DossierId == dossier.Id).ToListAsync(cancellationToken);
        var name = await DossierViews.ProcedureNameAsync(db, dossier.DefinitionVersionId, cancellationToken);
        http.Response.Headers.ETag = DossierViews.ETag(dossier.Version);
        return TypedResults.Ok(DossierViews.Build(dossier, name, journal, clock.GetUtcNow().UtcDateTime, units));
    }
}
