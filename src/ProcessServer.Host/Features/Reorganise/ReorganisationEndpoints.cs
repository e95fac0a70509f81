using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.Reorganise;

/// <summary>POST /api/reorganisations/dry-run and POST /api/reorganisations.</summary>
public static class ReorganisationEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/reorganisations").WithTags("Units").RequireAuthorization(Policies.Administrator);
        group.MapPost("/dry-run", (HttpContext http, ReorganisationService service, CancellationToken ct) =>
                RunAsync(http, service, dryRun: true, ct))
            .WithName("ReorganisationDryRun")
            .WithSummary("(Administrator) list what moving a unit's work to its successor would move, changing nothing")
            .Accepts<ReorganisationRequest>("application/json")
            .Produces<ReorganisationView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost(string.Empty, (HttpContext http, ReorganisationService service, CancellationToken ct) =>
                RunAsync(http, service, dryRun: false, ct))
            .WithName("Reorganise")
            .WithSummary("(Administrator) retire a unit and move all its open work to its successor")
            .WithDescription("{\"fromUnit\", \"toUnit\", \"releaseHeld\", \"effectiveAt\"}: the unit gets its successor and end of validity, then every "
                + "running dossier's open tasks in it (holders kept unless releaseHeld), their deadlines and the unit its later steps start in move to the "
                + "successor, each dossier in its own transaction with a UnitReorganised journal entry. Dossiers keep their procedure version; history "
                + "stays under the old unit. Running it again moves only what is left (idempotent); one audit entry records each run.")
            .Accepts<ReorganisationRequest>("application/json")
            .Produces<ReorganisationView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> RunAsync(HttpContext http, ReorganisationService service, bool dryRun, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<ReorganisationRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (errors, conflict) = service.Validate(request!);
        if (errors.Count > 0)
        {
            return Problems.Validation("The reorganisation is not valid", errors);
        }

        if (conflict is not null)
        {
            return Problems.Result(409, "The reorganisation is not possible", conflict);
        }

        return TypedResults.Ok(dryRun
            ? await service.DryRunAsync(request!, ct)
            : await service.ExecuteAsync(request!, Caller.From(http.User), ct));
    }
}
