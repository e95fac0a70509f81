using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.MigrateDossiers;

/// <summary>Administrator endpoints: plan, dry run, execute, status.</summary>
public static class MigrateDossiersEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/migrations").WithTags("Dossier migrations").RequireAuthorization(Policies.Administrator);

        group.MapPost("/", async (HttpContext http, DossierMigrationService migrations, CancellationToken ct) =>
            {
                var (_, request, problem) = await JsonBody.ReadAsync<MigrationPlanRequest>(http.Request, ct);
                if (problem is not null)
                {
                    return problem;
                }

                var (plan, errors) = await migrations.CreateAsync(request!, Caller.From(http.User), ct);
                return errors is not null
                    ? Problems.Validation("The migration plan is not valid", errors)
                    : TypedResults.Created($"/api/migrations/{plan!.Id}", plan);
            })
            .WithName("PlanMigration")
            .WithSummary("Plan a migration: source versions, target version, which dossiers, activity mapping, time policy")
            .Accepts<MigrationPlanRequest>("application/json")
            .Produces<MigrationPlanView>(StatusCodes.Status201Created)
            .ProducesValidationProblem();

        group.MapPost("/{id}/dry-run", async (string id, DossierMigrationService migrations, CancellationToken ct) =>
                await migrations.DryRunAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id))
            .WithName("DryRunMigration")
            .WithSummary("Per dossier: \"migrates: task X → Y\" or \"blocked\" with the reason. Changes nothing.")
            .Produces<DryRunView>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        group.MapPost("/{id}/execute", async (string id, HttpContext http, DossierMigrationService migrations, MigrationRunner runner, CancellationToken ct) =>
            {
                var (plan, refusal) = await migrations.StartAsync(id, Caller.From(http.User), ct);
                if (refusal is not null)
                {
                    return refusal.ToHttpResult();
                }

                runner.Wake(id);
                return TypedResults.Accepted($"/api/migrations/{id}", plan);
            })
            .WithName("ExecuteMigration")
            .WithSummary("Start a run in the background: each dossier moves in its own transaction; blocked ones stay on their version; re-running skips dossiers already moved")
            .WithDescription("Answers 202 at once with the plan (status Running, every candidate pending); follow GET /api/migrations/{id} until status is Completed. The run survives the client giving up and a server restart. A second execute while one runs gets 409.")
            .Produces<MigrationPlanView>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        group.MapGet("/{id}", async (string id, DossierMigrationService migrations, CancellationToken ct) =>
                await migrations.ViewAsync(id, ct) is { } view ? TypedResults.Ok(view) : NotFound(id))
            .WithName("GetMigration")
            .WithSummary("A plan's status, progress counts and per-dossier results (readable while it runs)")
            .Produces<MigrationPlanView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static IResult NotFound(string id) => Problems.Result(404, "Migration plan not found", $"No migration plan has id '{id}'.");
}
