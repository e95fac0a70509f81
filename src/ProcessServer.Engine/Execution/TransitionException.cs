namespace ProcessServer.Engine.Execution;

/// <summary>Why a requested transition was refused.</summary>
public enum TransitionError
{
    /// <summary>The task is not pending on this dossier (never existed, or already completed).</summary>
    TaskNotPending,

    /// <summary>The outcome is not one the task allows now.</summary>
    OutcomeNotAllowed,

    /// <summary>The dossier is closed.</summary>
    DossierClosed,

    /// <summary>Submitted data does not fit the declared variables.</summary>
    InvalidData,

    /// <summary>An apology (form 04) is not allowed now.</summary>
    ApologyNotAllowed,

    /// <summary>The definition loops without ever waiting for a person.</summary>
    RunawayDefinition,

    /// <summary>Another officer holds the task.</summary>
    TaskHeldByOther,

    /// <summary>The officer already holds the task.</summary>
    TaskAlreadyYours,

    /// <summary>Nobody holds the task.</summary>
    TaskNotHeld,

    /// <summary>Only the task's holder (or the unit's leader) may do this.</summary>
    NotTheHolder,

    /// <summary>An act off the happy path (withdrawal, return, forced completion) is not possible in the dossier's state.</summary>
    ActNotAllowed,

    /// <summary>A repair the definition makes impossible (a target that is no step, one branch of an open fork…).</summary>
    RepairImpossible,
}

/// <summary>A transition the engine refuses; the message is written for the clerk.</summary>
public sealed class TransitionException(TransitionError error, string message) : Exception(message)
{
    /// <summary>The reason.</summary>
    public TransitionError Error { get; } = error;
}
