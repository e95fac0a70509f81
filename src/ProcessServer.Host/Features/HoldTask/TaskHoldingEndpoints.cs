using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.HoldTask;

/// <summary>Body of a claim (none is needed).</summary>
public sealed record ClaimTaskRequest;

/// <summary>Body of a release.</summary>
/// <param name="Reason">Why, for the journal (optional).</param>
public sealed record ReleaseTaskRequest(string? Reason);

/// <summary>Body of an assignment.</summary>
/// <param name="PersonId">The officer's id (GET /api/units/{unit}/people).</param>
/// <param name="Reason">Why, for the journal (optional).</param>
public sealed record AssignTaskRequest(string? PersonId, string? Reason);

/// <summary>Body of a delegation.</summary>
/// <param name="PersonId">The officer taking the task over.</param>
/// <param name="Reason">Why (required).</param>
public sealed record DelegateTaskRequest(string? PersonId, string? Reason);

/// <summary>Body of a priority change.</summary>
/// <param name="Priority">Low, Normal, High or Urgent.</param>
/// <param name="FollowUpAt">The holder's follow-up date (an instant in the future).</param>
/// <param name="ClearFollowUp">true removes the follow-up date.</param>
public sealed record PrioritiseTaskRequest(string? Priority, DateTimeOffset? FollowUpAt, bool? ClearFollowUp);

/// <summary>POST /api/tasks/{taskId}/claim, /release, /assign, /delegate, /priority.</summary>
public static class TaskHoldingEndpoints
{
    private const string Guarded = " Requires If-Match with the dossier's version (ETag, or dossierVersion in the inbox) and an Idempotency-Key; answers the dossier as it is after the change.";

    public static void Map(IEndpointRouteBuilder app)
    {
        var tasks = app.MapGroup("/api/tasks/{taskId}").WithTags("Tasks").RequireAuthorization(Policies.Clerk);
        Describe(tasks.MapPost("/claim", (string taskId, HttpContext http, TaskHoldingHandler handler, CancellationToken ct) =>
                RunAsync<ClaimTaskRequest>(http, optionalBody: true, (_, caller, version, token) =>
                    handler.ClaimAsync(new ClaimTaskCommand(taskId), caller, version, token, ct), ct)),
            "ClaimTask", "Take a task from your unit's queue",
            "An officer of the task's unit becomes its holder. 409 names the holder when someone else holds it." + Guarded);
        Describe(tasks.MapPost("/release", (string taskId, HttpContext http, TaskHoldingHandler handler, CancellationToken ct) =>
                RunAsync<ReleaseTaskRequest>(http, optionalBody: true, (body, caller, version, token) =>
                    handler.ReleaseAsync(new ReleaseTaskCommand(taskId, body?.Reason), caller, version, token, ct), ct)),
            "ReleaseTask", "Put a task back in its unit's queue",
            "By its holder or the unit's leader; optional {\"reason\"}." + Guarded)
            .Accepts<ReleaseTaskRequest>("application/json");
        Describe(tasks.MapPost("/assign", (string taskId, HttpContext http, TaskHoldingHandler handler, CancellationToken ct) =>
                RunAsync<AssignTaskRequest>(http, optionalBody: false, (body, caller, version, token) =>
                    handler.AssignAsync(new AssignTaskCommand(taskId, body!.PersonId, body.Reason), caller, version, token, ct), ct)),
            "AssignTask", "Assign or reassign a task to an officer of its unit (the unit's leader)",
            "{\"personId\", \"reason\"}: the officer must work for the task's unit. Assigning a held task reassigns it (the journal names both officers)." + Guarded)
            .Accepts<AssignTaskRequest>("application/json");
        Describe(tasks.MapPost("/delegate", (string taskId, HttpContext http, TaskHoldingHandler handler, CancellationToken ct) =>
                RunAsync<DelegateTaskRequest>(http, optionalBody: false, (body, caller, version, token) =>
                    handler.DelegateAsync(new DelegateTaskCommand(taskId, body!.PersonId, body.Reason), caller, version, token, ct), ct)),
            "DelegateTask", "Hand a task you hold to another officer of its unit, with a reason",
            "{\"personId\", \"reason\"}: only the holder delegates; the reason is required and kept in the journal." + Guarded)
            .Accepts<DelegateTaskRequest>("application/json");
        Describe(tasks.MapPost("/priority", (string taskId, HttpContext http, TaskHoldingHandler handler, CancellationToken ct) =>
                RunAsync<PrioritiseTaskRequest>(http, optionalBody: false, (body, caller, version, token) =>
                    handler.PrioritiseAsync(new PrioritiseTaskCommand(taskId, body!.Priority, body.FollowUpAt, body.ClearFollowUp ?? false), caller, version, token, ct), ct)),
            "PrioritiseTask", "Set a task's priority and follow-up date",
            "{\"priority\": \"Low|Normal|High|Urgent\", \"followUpAt\": instant, \"clearFollowUp\": bool}, by the holder or the unit's leader." + Guarded)
            .Accepts<PrioritiseTaskRequest>("application/json");
    }

    private static RouteHandlerBuilder Describe(RouteHandlerBuilder route, string name, string summary, string description) => route
        .WithName(name)
        .WithSummary(summary)
        .WithDescription(description)
        .Produces<DossierView>()
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status403Forbidden)
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status428PreconditionRequired);

    private static async Task<IResult> RunAsync<TBody>(HttpContext http, bool optionalBody,
        Func<TBody?, Caller, int?, IdempotencyToken?, Task<TransitionOutcome>> handle, CancellationToken ct)
        where TBody : class
    {
        string text;
        TBody? body = null;
        if (optionalBody && (http.Request.ContentLength ?? 0) == 0 && http.Request.Headers.TransferEncoding.Count == 0)
        {
            text = string.Empty;
        }
        else
        {
            (text, body, var problem) = await JsonBody.ReadAsync<TBody>(http.Request, ct);
            if (problem is not null && !(optionalBody && string.IsNullOrWhiteSpace(text)))
            {
                return problem;
            }
        }

        var (token, keyProblem) = Idempotency.ReadToken(http.Request, text, required: true);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var (version, versionProblem) = Idempotency.ReadIfMatch(http.Request, required: true);
        if (versionProblem is not null)
        {
            return versionProblem;
        }

        return (await handle(body, Caller.From(http.User), version, token)).ToHttpResult();
    }
}
