using System.Text.Json.Nodes;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.CompleteTask;

/// <summary>Completion of a task.</summary>
/// <param name="Outcome">One of the task's allowed outcomes (Done, ReturnForRework, RequestSupplement, SupplementReceived, Reject, Paid…).</param>
/// <param name="Comment">Handler's note, kept in the journal.</param>
/// <param name="Data">Values for dossier variables (e.g. {"hasFinancialObligation": false}).</param>
/// <param name="OccurredAt">When the step was really completed, for a paper or late entry (Leader and Administrator, within the late-entry window, not before the dossier's previous event, not in the future); leave out for now.</param>
public sealed record CompleteTaskRequest(string? Outcome, string? Comment, Dictionary<string, JsonNode?>? Data, DateTimeOffset? OccurredAt = null);

/// <summary>POST /api/tasks/{taskId}/complete.</summary>
public static class CompleteTaskEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/tasks/{taskId}/complete", HandleAsync)
            .WithName("CompleteTask")
            .WithTags("Tasks")
            .WithSummary("Complete a task with an outcome")
            .WithDescription("Requires If-Match with the dossier's version (ETag) and an Idempotency-Key. A stale version gets 409; a repeated key returns the first response; an outcome the step does not allow gets 422. occurredAt records a step completed earlier (on paper): its verdict and the dossier's follow its real time; a time before the dossier's previous event, in the future or outside the late-entry window gets 400, a role that may not back-date gets 403.")
            .Accepts<CompleteTaskRequest>("application/json")
            .Produces<DossierView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status428PreconditionRequired)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(string taskId, HttpContext http, CompleteTaskHandler handler, CancellationToken cancellationToken)
    {
        var (body, request, bodyProblem) = await JsonBody.ReadAsync<CompleteTaskRequest>(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var (token, keyProblem) = Idempotency.ReadToken(http.Request, body, required: true);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var (version, versionProblem) = Idempotency.ReadIfMatch(http.Request, required: true);
        if (versionProblem is not null)
        {
            return versionProblem;
        }

        var outcome = await handler.HandleAsync(new CompleteTaskCommand(taskId, request!.Outcome, request.Comment, request.Data, request.OccurredAt),
            Caller.From(http.User), version, token, cancellationToken);
        return outcome.ToHttpResult();
    }
}
