using ProcessServer.Engine.Activities;

namespace ProcessServer.Engine.Execution;

/// <summary>The dossier's status as clerks see it, one value per national code.</summary>
public enum DossierStatus
{
    /// <summary>Received; waiting for the first handler (national 2).</summary>
    Received,

    /// <summary>Being processed (national 4).</summary>
    InProgress,

    /// <summary>Waiting for documents requested from the applicant (national 5).</summary>
    AwaitingSupplement,

    /// <summary>Waiting for the applicant's financial obligation (national 6).</summary>
    AwaitingPayment,

    /// <summary>The applicant asked to withdraw; waits for a leader's acceptance, the clock stopped (national 7).</summary>
    WithdrawalRequested,

    /// <summary>Processing stopped: not eligible, withdrawn, returned without resolution (national 8).</summary>
    Stopped,

    /// <summary>Refused at the counter check (form 03); never received (national 3).</summary>
    Refused,

    /// <summary>Result ready at the counter (national 9).</summary>
    ResultReady,

    /// <summary>Result returned to the applicant (national 10).</summary>
    Returned,
}

/// <summary>Derives statuses from dossier state, so they can never disagree with it.</summary>
public static class DossierStatusRules
{
    /// <summary>The internal status of a dossier.</summary>
    public static DossierStatus Derive(DossierState state) => state.Stage switch
    {
        DossierStage.Returned => DossierStatus.Returned,
        DossierStage.Stopped => DossierStatus.Stopped,
        DossierStage.Refused => DossierStatus.Refused,
        DossierStage.ResultReady => DossierStatus.ResultReady,
        _ when state.WithdrawalPending => DossierStatus.WithdrawalRequested,
        _ when state.Tasks.Any(t => t.Status == PendingTaskStatus.AwaitingSupplement) => DossierStatus.AwaitingSupplement,
        _ when state.Tasks.Any(t => t.Kind == TaskKind.Payment) => DossierStatus.AwaitingPayment,
        DossierStage.Received => DossierStatus.Received,
        _ => DossierStatus.InProgress,
    };

    /// <summary>The national status code (1–10) synchronised to the National Public Service Portal.</summary>
    public static int NationalCode(DossierStatus status) => status switch
    {
        DossierStatus.Received => 2,
        DossierStatus.InProgress => 4,
        DossierStatus.AwaitingSupplement => 5,
        DossierStatus.AwaitingPayment => 6,
        DossierStatus.WithdrawalRequested => 7,
        DossierStatus.Stopped => 8,
        DossierStatus.Refused => 3,
        DossierStatus.ResultReady => 9,
        DossierStatus.Returned => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };
}
