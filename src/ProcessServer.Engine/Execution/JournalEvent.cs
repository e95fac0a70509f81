using System.Text.Json.Nodes;

namespace ProcessServer.Engine.Execution;

/// <summary>Kinds of journal entries. Reports are computed from these later, so names are stable.</summary>
public static class JournalEventTypes
{
    /// <summary>The counter received the dossier.</summary>
    public const string DossierReceived = "DossierReceived";

    /// <summary>A step (task) started.</summary>
    public const string TaskCreated = "TaskCreated";

    /// <summary>A handler completed a task with an outcome.</summary>
    public const string TaskCompleted = "TaskCompleted";

    /// <summary>A pending task was cancelled (the workflow finished or stopped first).</summary>
    public const string TaskCancelled = "TaskCancelled";

    /// <summary>A step asked the applicant for documents; the step pauses.</summary>
    public const string SupplementRequested = "SupplementRequested";

    /// <summary>The documents arrived; the step resumes.</summary>
    public const string SupplementReceived = "SupplementReceived";

    /// <summary>A decision chose a branch.</summary>
    public const string DecisionTaken = "DecisionTaken";

    /// <summary>A fork started its branches.</summary>
    public const string BranchesForked = "BranchesForked";

    /// <summary>A join saw all branches arrive.</summary>
    public const string BranchesJoined = "BranchesJoined";

    /// <summary>A variable was set.</summary>
    public const string VariableSet = "VariableSet";

    /// <summary>The result is ready at the counter.</summary>
    public const string ResultReady = "ResultReady";

    /// <summary>The result was handed to the applicant.</summary>
    public const string ResultReturned = "ResultReturned";

    /// <summary>Processing stopped without a result.</summary>
    public const string DossierStopped = "DossierStopped";

    /// <summary>The dossier's clock stopped (supplement, payment, steps outside the limit).</summary>
    public const string ClockPaused = "ClockPaused";

    /// <summary>The clock runs again; the due instant moved per the pause policy.</summary>
    public const string ClockResumed = "ClockResumed";

    /// <summary>Apology and new appointment (form 04).</summary>
    public const string ApologyIssued = "ApologyIssued";

    /// <summary>An administrator moved the dossier to another definition version.</summary>
    public const string DossierMigrated = "DossierMigrated";

    /// <summary>The applicant asked in writing to withdraw the dossier (national status 7).</summary>
    public const string WithdrawalRequested = "WithdrawalRequested";

    /// <summary>Refused at the counter check (form 03, national status 3); the dossier was never received.</summary>
    public const string DossierRefused = "DossierRefused";

    /// <summary>An administrator closed a dossier whose result was delivered but whose steps could not close.</summary>
    public const string CompletionForced = "CompletionForced";

    /// <summary>An administrator repaired the dossier (moved it to a step, cancelled a task, set a variable).</summary>
    public const string DossierRepaired = "DossierRepaired";

    /// <summary>The workflow has nothing left to run.</summary>
    public const string WorkflowFinished = "WorkflowFinished";

    /// <summary>An officer took a task from the unit's queue.</summary>
    public const string TaskClaimed = "TaskClaimed";

    /// <summary>A task went back to the unit's queue.</summary>
    public const string TaskReleased = "TaskReleased";

    /// <summary>The unit's leader gave an unheld task to an officer.</summary>
    public const string TaskAssigned = "TaskAssigned";

    /// <summary>The unit's leader took a held task from one officer and gave it to another.</summary>
    public const string TaskReassigned = "TaskReassigned";

    /// <summary>The holder handed a task to another officer, with a reason.</summary>
    public const string TaskDelegated = "TaskDelegated";

    /// <summary>The holder or the leader set a task's priority or follow-up date.</summary>
    public const string TaskPrioritySet = "TaskPrioritySet";

    /// <summary>The unit's leader completed a task another officer held.</summary>
    public const string HolderOverridden = "HolderOverridden";

    /// <summary>A retired unit's open work on the dossier moved to its successor.</summary>
    public const string UnitReorganised = "UnitReorganised";
}

/// <summary>One entry of a dossier's append-only journal.</summary>
public sealed record JournalEvent
{
    /// <summary>Entry kind, one of <see cref="JournalEventTypes"/>.</summary>
    public required string Type { get; init; }

    /// <summary>When it happened, UTC.</summary>
    public required DateTime Timestamp { get; init; }

    /// <summary>The activity concerned.</summary>
    public string? ActivityId { get; init; }

    /// <summary>Its type.</summary>
    public string? ActivityType { get; init; }

    /// <summary>Its title or name.</summary>
    public string? ActivityName { get; init; }

    /// <summary>The task concerned.</summary>
    public string? TaskId { get; init; }

    /// <summary>The task's unit.</summary>
    public string? UnitCode { get; init; }

    /// <summary>Who did it (API key name) or "system".</summary>
    public required string Actor { get; init; }

    /// <summary>Outcome chosen.</summary>
    public string? Outcome { get; init; }

    /// <summary>Handler's comment.</summary>
    public string? Comment { get; init; }

    /// <summary>When the step started, UTC (for completed tasks).</summary>
    public DateTime? StartedAt { get; init; }

    /// <summary>When the step completed, UTC.</summary>
    public DateTime? CompletedAt { get; init; }

    /// <summary>Extra data (submitted values, chosen branch…).</summary>
    public JsonObject? Data { get; init; }
}
