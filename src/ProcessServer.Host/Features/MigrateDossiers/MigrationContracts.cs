namespace ProcessServer.Host.Features.MigrateDossiers;

/// <summary>A plan to move in-flight dossiers of one procedure to another version.</summary>
/// <param name="ProcedureCode">The procedure.</param>
/// <param name="SourceVersions">Versions whose dossiers move.</param>
/// <param name="TargetVersion">Version they move to; it must have been published (its content is then fixed).</param>
/// <param name="Filter">Which dossiers; all in-flight dossiers of the source versions when absent.</param>
/// <param name="Mapping">Source activity id → target activity id for activities that hold open tasks; ids present in both versions map to themselves unless listed.</param>
/// <param name="TimePolicy">KeepElapsed (default): a running step keeps the time already used; Restart: it restarts under the target step's limit.</param>
public sealed record MigrationPlanRequest(
    string? ProcedureCode,
    IReadOnlyList<int>? SourceVersions,
    int? TargetVersion,
    MigrationFilter? Filter,
    Dictionary<string, string>? Mapping,
    string? TimePolicy);

/// <summary>Which dossiers a plan takes.</summary>
/// <param name="Units">Receiving units.</param>
/// <param name="ReceivedFrom">Received at or after (UTC).</param>
/// <param name="ReceivedTo">Received before (UTC).</param>
/// <param name="CurrentActivities">Dossiers with an open task at one of these source activities.</param>
public sealed record MigrationFilter(
    IReadOnlyList<string>? Units,
    DateTimeOffset? ReceivedFrom,
    DateTimeOffset? ReceivedTo,
    IReadOnlyList<string>? CurrentActivities);

/// <summary>A stored plan and how its execution went.</summary>
public sealed record MigrationPlanView(
    string Id,
    string ProcedureCode,
    IReadOnlyList<int> SourceVersions,
    int TargetVersion,
    MigrationFilter Filter,
    IReadOnlyDictionary<string, string> Mapping,
    string TimePolicy,
    string Status,
    string CreatedBy,
    DateTime CreatedAt,
    string? ExecutedBy,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    MigrationCounts Counts,
    IReadOnlyList<MigrationItem> Results);

/// <summary>Counts of a run (or of a dry run); candidates = migrated + blocked + alreadyMigrated + closedMeanwhile + pending.</summary>
/// <param name="Candidates">Dossiers the plan takes.</param>
/// <param name="Migrated">Moved by this run.</param>
/// <param name="Blocked">Left on their version; each result says why.</param>
/// <param name="AlreadyMigrated">Moved by an earlier run of the plan.</param>
/// <param name="ClosedMeanwhile">Returned or stopped after the run listed them.</param>
/// <param name="Pending">Not handled yet (the run is in progress).</param>
public sealed record MigrationCounts(int Candidates, int Migrated, int Blocked, int AlreadyMigrated, int ClosedMeanwhile, int Pending);

/// <summary>One dossier's verdict.</summary>
/// <param name="DossierId">Dossier.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="FromVersion">Version before.</param>
/// <param name="ToVersion">Version after (equal to FromVersion when blocked).</param>
/// <param name="Outcome">Migrates / Migrated / Blocked / AlreadyMigrated.</param>
/// <param name="Summary">One line for people: "migrates: task check → checkDossier" or "blocked: …".</param>
/// <param name="Moves">Task moves.</param>
/// <param name="Reasons">Why blocked.</param>
public sealed record MigrationItem(
    string DossierId,
    string ReceiptCode,
    int FromVersion,
    int ToVersion,
    string Outcome,
    string Summary,
    IReadOnlyList<MoveView> Moves,
    IReadOnlyList<string> Reasons);

/// <summary>A task move.</summary>
public sealed record MoveView(string TaskId, string From, string To);

/// <summary>The answer to a dry run: nothing was changed.</summary>
public sealed record DryRunView(string PlanId, MigrationCounts Counts, IReadOnlyList<MigrationItem> Items);
