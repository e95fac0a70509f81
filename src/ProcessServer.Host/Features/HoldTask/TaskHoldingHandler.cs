using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.HoldTask;

/// <summary>An officer takes a task from their unit's queue.</summary>
/// <param name="TaskId">The task.</param>
public sealed record ClaimTaskCommand(string TaskId);

/// <summary>The holder, or the unit's leader, puts a task back in the unit's queue.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Reason">Why, for the journal.</param>
public sealed record ReleaseTaskCommand(string TaskId, string? Reason);

/// <summary>The unit's leader gives a task to an officer of the unit (or takes it from one and gives it to another).</summary>
/// <param name="TaskId">The task.</param>
/// <param name="PersonId">The officer's id.</param>
/// <param name="Reason">Why, for the journal.</param>
public sealed record AssignTaskCommand(string TaskId, string? PersonId, string? Reason);

/// <summary>The holder hands a task to another officer of the unit, saying why.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="PersonId">The officer's id.</param>
/// <param name="Reason">Why (required).</param>
public sealed record DelegateTaskCommand(string TaskId, string? PersonId, string? Reason);

/// <summary>The holder (or the leader) sets a task's priority and follow-up date.</summary>
/// <param name="TaskId">The task.</param>
/// <param name="Priority">Low, Normal, High or Urgent; null keeps it.</param>
/// <param name="FollowUpAt">Follow-up date; null keeps it.</param>
/// <param name="ClearFollowUp">Removes the follow-up date.</param>
public sealed record PrioritiseTaskCommand(string TaskId, string? Priority, DateTimeOffset? FollowUpAt, bool ClearFollowUp);

/// <summary>
/// Who holds a task: claim, release, assign and reassign, delegate, priority and follow-up. Each is a
/// state change of the task's dossier on the shared write path (one transaction with its journal
/// entry, the dossier version as guard, the Idempotency-Key answered once); the engine decides
/// what depends on the dossier (who holds the task now), this handler what depends on units and
/// people (does the caller work for the task's unit, do they lead it, does the officer work there).
/// Used by the clerk API and by in-process callers alike.
/// </summary>
public sealed class TaskHoldingHandler(ProcessServerDbContext db, DossierTransitions transitions, UnitDirectory units)
{
    /// <summary>Claims the task for the caller.</summary>
    public Task<TransitionOutcome> ClaimAsync(ClaimTaskCommand command, Caller caller, int? expectedVersion, IdempotencyToken? idempotency, CancellationToken ct) =>
        RunAsync(command.TaskId, caller, expectedVersion, idempotency, (input, task) =>
            TaskHolding.Claim(input.State, task.Id, caller.Person, input.Now), ct);

    /// <summary>Releases the task into its unit's queue.</summary>
    public Task<TransitionOutcome> ReleaseAsync(ReleaseTaskCommand command, Caller caller, int? expectedVersion, IdempotencyToken? idempotency, CancellationToken ct) =>
        RunAsync(command.TaskId, caller, expectedVersion, idempotency, (input, task) =>
            TaskHolding.Release(input.State, task.Id, caller.Person, units.Leads(caller, task.UnitCode), Trim(command.Reason), input.Now), ct);

    /// <summary>Assigns (or reassigns) the task to an officer of its unit; the unit's leader only.</summary>
    public async Task<TransitionOutcome> AssignAsync(AssignTaskCommand command, Caller caller, int? expectedVersion, IdempotencyToken? idempotency, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(command.PersonId))
        {
            return TransitionOutcome.Refused(Refusal.Field("The officer is missing", "personId",
                "personId is required: the id of an officer of the task's unit (GET /api/units/{unit}/people lists them)."));
        }

        return await RunAsync(command.TaskId, caller, expectedVersion, idempotency, async (input, task) =>
        {
            if (!units.Leads(caller, task.UnitCode))
            {
                return Refuse(new Refusal(RefusalKind.Forbidden, "Only the unit's leader assigns",
                    $"Tasks of unit {task.UnitCode} are assigned by its leader; you can claim a task from the queue, or delegate one you hold."));
            }

            var officer = await OfficerAsync(command.PersonId.Trim(), task.UnitCode, ct);
            return officer.Refusal is { } refusal ? Refuse(refusal)
                : TaskHolding.Assign(input.State, task.Id, officer.Person!, caller.Person, Trim(command.Reason), input.Now);
        }, ct);
    }

    /// <summary>Delegates the task the caller holds to another officer of its unit.</summary>
    public async Task<TransitionOutcome> DelegateAsync(DelegateTaskCommand command, Caller caller, int? expectedVersion, IdempotencyToken? idempotency, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(command.PersonId))
        {
            errors["personId"] = ["personId is required: the id of the officer of the task's unit who takes the task over."];
        }

        if (string.IsNullOrWhiteSpace(command.Reason))
        {
            errors["reason"] = ["reason is required: a delegation says why (e.g. \"annual leave 10–14 March\")."];
        }

        if (errors.Count > 0)
        {
            return TransitionOutcome.Refused(Refusal.Invalid("The delegation is incomplete", errors));
        }

        return await RunAsync(command.TaskId, caller, expectedVersion, idempotency, async (input, task) =>
        {
            var officer = await OfficerAsync(command.PersonId!.Trim(), task.UnitCode, ct);
            return officer.Refusal is { } refusal ? Refuse(refusal)
                : TaskHolding.Delegate(input.State, task.Id, officer.Person!, caller.Person, command.Reason!.Trim(), input.Now);
        }, ct);
    }

    /// <summary>Sets the task's priority and follow-up date.</summary>
    public Task<TransitionOutcome> PrioritiseAsync(PrioritiseTaskCommand command, Caller caller, int? expectedVersion, IdempotencyToken? idempotency, CancellationToken ct)
    {
        TaskPriority? priority = null;
        var errors = new Dictionary<string, string[]>();
        if (command.Priority is not null)
        {
            if (Enum.TryParse<TaskPriority>(command.Priority.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(command.Priority, out _))
            {
                priority = parsed;
            }
            else
            {
                errors["priority"] = [$"priority must be one of {string.Join(", ", Enum.GetNames<TaskPriority>())}, not '{command.Priority}'."];
            }
        }

        if (command.FollowUpAt is not null && command.ClearFollowUp)
        {
            errors["followUpAt"] = ["Send either followUpAt or clearFollowUp: true, not both."];
        }

        if (priority is null && command.FollowUpAt is null && !command.ClearFollowUp && errors.Count == 0)
        {
            errors["priority"] = ["Send priority, followUpAt or clearFollowUp: true; the request changes nothing as it is."];
        }

        if (errors.Count > 0)
        {
            return Task.FromResult(TransitionOutcome.Refused(Refusal.Invalid("The priority request is not valid", errors)));
        }

        return RunAsync(command.TaskId, caller, expectedVersion, idempotency, (input, task) =>
        {
            if (command.FollowUpAt is { } followUp && followUp.UtcDateTime <= input.Now)
            {
                return Refuse(Refusal.Field("The follow-up date has passed", "followUpAt",
                    $"followUpAt {followUp:O} is not in the future; choose a later date."));
            }

            return TaskHolding.Prioritise(input.State, task.Id, priority, command.FollowUpAt?.UtcDateTime, command.ClearFollowUp,
                caller.Person, units.Leads(caller, task.UnitCode), input.Now);
        }, ct);
    }

    private static string? Trim(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A refusal thrown out of a decision (caught in <see cref="RunAsync(string, Caller, int?, IdempotencyToken?, Func{TransitionInput, PendingTask, Task{TransitionResult}}, CancellationToken)"/>).</summary>
    private static TransitionResult Refuse(Refusal refusal) => throw new RefusedException(refusal);

    private async Task<(PersonRef? Person, Refusal? Refusal)> OfficerAsync(string personId, string unitCode, CancellationToken ct)
    {
        var person = await PersonDirectory.FindAsync(db, personId, ct);
        if (person is null)
        {
            return (null, new Refusal(RefusalKind.Unprocessable, "Unknown officer",
                $"Nobody with id '{personId}' has signed in to ProcessServer yet; an officer appears once they have signed in. GET /api/units/{unitCode}/people lists the unit's officers."));
        }

        if (!person.Units.Contains(unitCode))
        {
            return (null, new Refusal(RefusalKind.Unprocessable, "Not an officer of the task's unit",
                $"{person.Name} ({person.Id}) works for {(person.Units.Count == 0 ? "no unit" : string.Join(", ", person.Units))}, not for {unitCode}; a task is held only by an officer of its unit."));
        }

        return (new PersonRef(person.Id, person.Name), null);
    }

    private Task<TransitionOutcome> RunAsync(string taskId, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        Func<TransitionInput, PendingTask, TransitionResult> act, CancellationToken ct) =>
        RunAsync(taskId, caller, expectedVersion, idempotency, (input, task) => Task.FromResult(act(input, task)), ct);

    private async Task<TransitionOutcome> RunAsync(string taskId, Caller caller, int? expectedVersion, IdempotencyToken? idempotency,
        Func<TransitionInput, PendingTask, Task<TransitionResult>> act, CancellationToken ct)
    {
        var row = await db.Tasks.AsNoTracking().SingleOrDefaultAsync(t => t.Id == taskId, ct);
        if (row is null)
        {
            return TransitionOutcome.Refused(new Refusal(RefusalKind.NotFound, "Task not found",
                $"No task has id '{taskId}'. Take task ids from GET /api/inbox or the dossier's currentTasks."));
        }

        if (!caller.ActsFor(row.UnitCode))
        {
            return TransitionOutcome.Refused(NotYourUnit(row.Title, row.UnitCode, caller));
        }

        if (!TaskStatuses.Open.Contains(row.Status))
        {
            return TransitionOutcome.Refused(new Refusal(RefusalKind.Conflict, "The task is closed",
                $"Task '{row.Title}' is {row.Status.ToLowerInvariant()}; only open tasks are held by someone."));
        }

        return await transitions.RunAsync(new TransitionCall(row.DossierId, caller, expectedVersion, idempotency) { ActedFor = row.UnitCode }, async (input, _) =>
        {
            // The dossier state decides: a reorganisation may have moved the task since the row was read.
            var task = input.State.Tasks.FirstOrDefault(t => t.Id == taskId);
            if (task is null)
            {
                return TransitionDecision.Refuse(new Refusal(RefusalKind.Conflict, "The task is closed",
                    $"Task '{row.Title}' is no longer pending on dossier {input.Dossier.ReceiptCode}; it was completed or cancelled meanwhile."));
            }

            if (!caller.ActsFor(task.UnitCode))
            {
                return TransitionDecision.Refuse(NotYourUnit(task.Title, task.UnitCode, caller));
            }

            try
            {
                return TransitionDecision.Apply(await act(input, task));
            }
            catch (RefusedException refused)
            {
                return TransitionDecision.Refuse(refused.Refusal);
            }
            catch (TransitionException ex)
            {
                return TransitionDecision.Refuse(TaskRefusals.From(ex, input.State, task.Id));
            }
        }, ct);
    }

    private static Refusal NotYourUnit(string title, string unitCode, Caller caller) =>
        new(RefusalKind.Forbidden, "Not your unit",
            $"Task '{title}' belongs to unit {unitCode}; you work for {(caller.Units.Count == 0 ? "no unit" : string.Join(", ", caller.Units))}.");

    private sealed class RefusedException(Refusal refusal) : Exception(refusal.Detail)
    {
        public Refusal Refusal { get; } = refusal;
    }
}

/// <summary>Refusals of acts on held tasks, shared by completion and the holding acts.</summary>
public static class TaskRefusals
{
    /// <summary>409 naming the officer who holds the task (also as the problem's <c>holder</c> member).</summary>
    public static Refusal HeldByOther(DossierState state, string taskId, string message)
    {
        var holder = state.Tasks.FirstOrDefault(t => t.Id == taskId)?.Holder;
        return new Refusal(RefusalKind.Conflict, holder is null ? "Held by another officer" : $"Held by {holder.Name}", Sentence(message))
        {
            Extensions = holder is null ? null : new Dictionary<string, object?>
            {
                ["holder"] = new { id = holder.Id, name = holder.Name, since = holder.Since },
            },
        };
    }

    /// <summary>The refusal for an engine rule on holding.</summary>
    public static Refusal From(TransitionException ex, DossierState state, string taskId) => ex.Error switch
    {
        TransitionError.TaskHeldByOther => HeldByOther(state, taskId, ex.Message),
        TransitionError.NotTheHolder => new Refusal(RefusalKind.Forbidden, "Not the holder", Sentence(ex.Message)),
        TransitionError.TaskAlreadyYours => new Refusal(RefusalKind.Conflict, "Already held", Sentence(ex.Message)),
        TransitionError.TaskNotHeld => new Refusal(RefusalKind.Conflict, "Nobody holds the task", Sentence(ex.Message)),
        _ => new Refusal(RefusalKind.Conflict, "Not possible in the dossier's current state", Sentence(ex.Message)),
    };

    private static string Sentence(string message) => message.Length == 0 ? message : char.ToUpperInvariant(message[0]) + message[1..] + (message.EndsWith('.') ? string.Empty : ".");
}
