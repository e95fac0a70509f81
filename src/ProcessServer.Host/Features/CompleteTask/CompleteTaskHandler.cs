using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.HoldTask;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using EngineCompleteTask = ProcessServer.Engine.Execution.CompleteTask;

namespace ProcessServer.Host.Features.CompleteTask;

/// <summary>A clerk's completion of a task.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Outcome">One of the task's allowed outcomes.</param>
/// <param name="Comment">Handler's note, kept in the journal.</param>
/// <param name="Data">Values for dossier variables.</param>
/// <param name="OccurredAt">When the step was really completed, for a late (paper) entry; null for now.</param>
public sealed record CompleteTaskCommand(string TaskId, string? Outcome, string? Comment, IReadOnlyDictionary<string, JsonNode?>? Data,
    DateTimeOffset? OccurredAt = null);

/// <summary>
/// Completes a task: the caller must work for the task's unit; the engine decides what opens next.
/// Used by the clerk API and by in-process callers (importer, fault suite) alike.
/// </summary>
public sealed class CompleteTaskHandler(
    ProcessServerDbContext db,
    DossierTransitions transitions,
    WorkflowInterpreter interpreter,
    UnitDirectory units,
    FieldLimits limits,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("ProcessServer.Transitions");

    /// <summary>Completes the task, or says why not.</summary>
    /// <param name="command">What the clerk decided.</param>
    /// <param name="caller">Who decided.</param>
    /// <param name="expectedVersion">The dossier version the clerk decided on (If-Match).</param>
    /// <param name="idempotency">The clerk's Idempotency-Key.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<TransitionOutcome> HandleAsync(
        CompleteTaskCommand command,
        Caller caller,
        int? expectedVersion,
        IdempotencyToken? idempotency,
        CancellationToken cancellationToken)
    {
        var outcome = command.Outcome?.Trim() ?? string.Empty;
        if (transitions.DossierOfTask(command.TaskId) is { } dossierId)
        {
            // Its dossier known from a change this process committed: the task is read on the write
            // path, on the batch's warm connection, instead of on a pooled one before it (BENCHMARKS.md).
            // Its checks still come before the dossier's version, so a request from another unit is
            // refused as such and not as stale.
            TaskRef? read = null;
            return await transitions.RunAsync(
                new TransitionCall(dossierId, caller, expectedVersion, idempotency, command.OccurredAt)
                {
                    RefIsDossierId = true,
                    CheckFirst = async (tasks, ct) =>
                    {
                        read = await tasks.FindAsync(command.TaskId, ct);
                        return (Check(read is { } t && t.DossierId == dossierId ? t : null, command, caller), read?.UnitCode);
                    },
                },
                input => DecideFor(input, read!, outcome, command, caller),
                cancellationToken);
        }

        var task = await WritePathQueries.TaskById(db, command.TaskId, cancellationToken);
        if (Check(task, command, caller) is { } refusal)
        {
            return TransitionOutcome.Refused(refusal);
        }

        return await transitions.RunAsync(
            new TransitionCall(task!.DossierId, caller, expectedVersion, idempotency, command.OccurredAt) { ActedFor = task.UnitCode, RefIsDossierId = true },
            input => DecideFor(input, task, outcome, command, caller),
            cancellationToken);
    }

    /// <summary>Why the completion is refused before the dossier is looked at (no such task, not the caller's unit, a bad request), or null.</summary>
    private Refusal? Check(TaskRef? task, CompleteTaskCommand command, Caller caller)
    {
        if (task is null)
        {
            return new Refusal(RefusalKind.NotFound, "Task not found",
                $"No task has id '{command.TaskId}'. Take task ids from GET /api/inbox or the dossier's currentTasks.");
        }

        if (!caller.ActsFor(task.UnitCode))
        {
            return new Refusal(RefusalKind.Forbidden, "Not your unit",
                $"Task '{task.Title}' belongs to unit {task.UnitCode}; you work for {string.Join(", ", caller.Units)}.");
        }

        if (string.IsNullOrWhiteSpace(command.Outcome))
        {
            return Refusal.Field("Outcome required", "outcome",
                "outcome is required, e.g. \"Done\"; the task's allowedOutcomes lists the choices.");
        }

        var tooLong = new Dictionary<string, string[]>();
        limits.Comment(tooLong, "comment", command.Comment);
        limits.Variables(tooLong, "data", command.Data);
        return tooLong.Count > 0 ? Refusal.Invalid("The completion is too large", tooLong) : null;
    }

    // A task another officer holds is theirs; the unit's leader may complete it anyway (journaled).
    private TransitionDecision DecideFor(TransitionInput input, TaskRef task, string outcome, CompleteTaskCommand command, Caller caller) =>
        Decide(input, task.Id, task.ActivityId, outcome, input.Caller.Name, command.Comment, command.Data,
            caller.Id, units.Leads(caller, task.UnitCode));

    /// <summary>
    /// The completion itself, at the input's occurred-at instant: what the engine makes of it, or why
    /// not. The importer replays a legacy system's step events through this same decision.
    /// </summary>
    internal TransitionDecision Decide(TransitionInput input, string taskId, string activityId, string outcome, string actor, string? comment,
        IReadOnlyDictionary<string, JsonNode?>? data, string? actorId = null, bool overridesHolder = false)
    {
        TransitionResult result;
        try
        {
            result = interpreter.Complete(input.Workflow, input.State,
                new EngineCompleteTask(taskId, outcome, actor, comment, data, input.OccurredAt, input.Time,
                    ActorId: actorId, OverridesHolder: overridesHolder));
        }
        catch (TransitionException ex)
        {
            return TransitionDecision.Refuse(ex.Error switch
            {
                TransitionError.OutcomeNotAllowed or TransitionError.InvalidData => new Refusal(RefusalKind.Unprocessable, "Not allowed for this step", ex.Message),
                TransitionError.TaskHeldByOther => TaskRefusals.HeldByOther(input.State, taskId, ex.Message),
                _ => new Refusal(RefusalKind.Conflict, "The task cannot be completed", ex.Message),
            });
        }

        return TransitionDecision.Apply(result).Then(dossier => Log.TaskCompleted(_logger,
            dossier.Id, dossier.ProcedureCode, dossier.DefinitionVersion, taskId, activityId, actor, outcome,
            dossier.Status, result.State.Tasks.Count));
    }
}
