using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;
using CompleteTaskCommand = ProcessServer.Engine.Execution.CompleteTask;

namespace ProcessServer.Host.Features.CompleteTask;

/// <summary>Completion of a task.</summary>
/// <param name="Outcome">One of the task's allowed outcomes (Done, ReturnForRework, RequestSupplement, SupplementReceived, Reject, Paid…).</param>
/// <param name="Comment">Handler's note, kept in the journal.</param>
/// <param name="Data">Values for dossier variables (e.g. {"hasFinancialObligation": false}).</param>
public sealed record CompleteTaskRequest(string? Outcome, string? Comment, Dictionary<string, JsonNode?>? Data);

/// <summary>POST /api/tasks/{taskId}/complete.</summary>
public static class CompleteTaskEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/tasks/{taskId}/complete", HandleAsync)
            .WithName("CompleteTask")
            .WithTags("Tasks")
            .WithSummary("Complete a task with an outcome")
            .WithDescription("Requires If-Match with the dossier's version (ETag) and an Idempotency-Key. A stale version gets 409; a repeated key returns the first response; an outcome the step does not allow gets 422.")
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

    private static async Task<IResult> HandleAsync(
        string taskId,
        HttpContext http,
        ProcessServerDbContext db,
        WorkflowCache workflows,
        WorkflowInterpreter interpreter,
        WriteGate gate,
        CalendarStore calendars,
        TimeProvider clock,
        FieldLimits limits,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var task = await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, cancellationToken);
        if (task is null)
        {
            return Problems.Result(404, "Task not found", $"No task has id '{taskId}'. Take task ids from GET /api/inbox or the dossier's currentTasks.");
        }

        if (!caller.ActsFor(task.UnitCode))
        {
            return Problems.Result(403, "Not your unit", $"Task '{task.Title}' belongs to unit {task.UnitCode}; you work for {string.Join(", ", caller.Units)}.");
        }

        var (key, keyProblem) = Idempotency.ReadKey(http.Request);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        if (key is null)
        {
            return Problems.Validation("Idempotency-Key required", new Dictionary<string, string[]>
            {
                [Idempotency.Header] = ["Send an Idempotency-Key header (e.g. a new UUID per completion) so a retried request cannot complete the task twice."],
            });
        }

        var (body, request, bodyProblem) = await JsonBody.ReadAsync<CompleteTaskRequest>(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var fingerprint = Idempotency.Fingerprint(http.Request, body);
        if (await Idempotency.TryReplayAsync(db, caller.Name, key, fingerprint, cancellationToken) is { } replay)
        {
            return replay;
        }

        if (string.IsNullOrWhiteSpace(request!.Outcome))
        {
            return Problems.Validation("Outcome required", new Dictionary<string, string[]>
            {
                ["outcome"] = ["outcome is required, e.g. \"Done\"; the task's allowedOutcomes lists the choices."],
            });
        }

        var tooLong = new Dictionary<string, string[]>();
        limits.Comment(tooLong, "comment", request.Comment);
        limits.Variables(tooLong, "data", request.Data);
        if (tooLong.Count > 0)
        {
            return Problems.Validation("The completion is too large", tooLong);
        }

        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return Problems.Result(428, "If-Match required",
                "Send If-Match with the dossier's version (the ETag of GET /api/dossiers/{id}, or dossierVersion in the inbox) so a change made meanwhile is not overwritten.");
        }

        if (!TryParseVersion(ifMatch, out var expectedVersion))
        {
            return Problems.Result(400, "If-Match not understood", $"If-Match '{ifMatch}' is not a dossier version; send the ETag as received, e.g. \"3\".");
        }

        using var pass = await gate.EnterAsync(cancellationToken);
        var dossier = await db.Dossiers.SingleAsync(d => d.Id == task.DossierId, cancellationToken);
        if (dossier.Version != expectedVersion)
        {
            return Stale(dossier);
        }

        var workflow = await workflows.GetAsync(db, dossier.DefinitionVersionId, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        TransitionResult result;
        try
        {
            result = interpreter.Complete(workflow, DossierState.FromJson(dossier.StateJson),
                new CompleteTaskCommand(taskId, request.Outcome.Trim(), caller.Name, request.Comment, request.Data, now,
                    await calendars.CurrentAsync(db, cancellationToken)));
        }
        catch (TransitionException ex)
        {
            return ex.Error switch
            {
                TransitionError.OutcomeNotAllowed or TransitionError.InvalidData => Problems.Result(422, "Not allowed for this step", ex.Message),
                _ => Problems.Result(409, "The task cannot be completed", ex.Message),
            };
        }

        var rows = await DossierWriter.LoadRowsAsync(db, dossier.Id, cancellationToken);
        var added = DossierWriter.Stage(db, dossier, rows.OpenTasks, rows.Deadlines, rows.NextSequence, result, now);

        var name = await DossierViews.ProcedureNameAsync(db, dossier.DefinitionVersionId, cancellationToken);
        var json = DossierViews.Serialize(DossierViews.Build(dossier, name, rows.Journal.Concat(added), now));
        var etag = DossierViews.ETag(dossier.Version);
        Idempotency.Stage(db, caller.Name, key, fingerprint, StatusCodes.Status200OK, json, etag, null, now);

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            db.ChangeTracker.Clear();
            return Stale(await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == task.DossierId, cancellationToken));
        }
        catch (DbUpdateException)
        {
            if (!await Idempotency.KeyTakenAsync(db, caller.Name, key, cancellationToken))
            {
                // On PostgreSQL a concurrent transition of the same dossier can surface as a
                // duplicate journal key rather than as a concurrency conflict: still a 409.
                db.ChangeTracker.Clear();
                var current = await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == task.DossierId, cancellationToken);
                if (current.Version != expectedVersion)
                {
                    return Stale(current);
                }

                throw;
            }

            return await Idempotency.TryReplayAsync(db, caller.Name, key, fingerprint, cancellationToken)
                ?? Problems.Result(409, "Retry", "A concurrent request with the same Idempotency-Key is in progress; retry.");
        }

        var logger = loggers.CreateLogger("ProcessServer.Transitions");
        Log.TaskCompleted(logger,
            dossier.Id, dossier.ProcedureCode, dossier.DefinitionVersion, taskId, task.ActivityId, caller.Name, request.Outcome, dossier.Status, result.State.Tasks.Count);
        return new StoredJsonResult(StatusCodes.Status200OK, json, etag, null);
    }

    private static IResult Stale(Dossier current) =>
        Problems.Result(409, "The dossier changed meanwhile",
            $"Dossier {current.ReceiptCode} is now at version {current.Version} (status {current.Status}); reload it and decide again.",
            new Dictionary<string, object?> { ["currentVersion"] = current.Version });

    private static bool TryParseVersion(string ifMatch, out int version)
    {
        var text = ifMatch.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return int.TryParse(text.Trim('"'), out version);
    }
}
