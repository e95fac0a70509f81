namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Every structured log event of the host, as source-generated delegates. Transition events carry
/// dossier id, procedure code and definition version so a dossier's path can be followed in logs.
/// </summary>
public static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "Dossier {DossierId} {ReceiptCode} received for {ProcedureCode} v{DefinitionVersion} at {UnitCode}: {Status}, {TaskCount} task(s) open")]
    public static partial void DossierReceived(ILogger logger, string dossierId, string receiptCode, string procedureCode, int definitionVersion, string unitCode, string status, int taskCount);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "Dossier {DossierId} ({ProcedureCode} v{DefinitionVersion}) task {TaskId} at {ActivityId} completed by {Actor} with {Outcome}: {Status}, {TaskCount} task(s) open")]
    public static partial void TaskCompleted(ILogger logger, string dossierId, string procedureCode, int definitionVersion, string taskId, string activityId, string actor, string outcome, string status, int taskCount);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Dossier {DossierId} ({ProcedureCode}) migration from v{FromVersion} to v{ToVersion}: {Outcome}")]
    public static partial void DossierMigrationResult(ILogger logger, string dossierId, string procedureCode, int fromVersion, int toVersion, string outcome);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Warning, Message = "Procedure folder {Folder} does not exist; no sample procedures loaded")]
    public static partial void NoProcedureFolder(ILogger logger, string folder);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Loaded procedure {ProcedureCode} from {File} as published version 1")]
    public static partial void ProcedureLoaded(ILogger logger, string procedureCode, string file);
}
