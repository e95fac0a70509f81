namespace ProcessServer.Persistence.Entities;

/// <summary>
/// One version of a workflow definition. Versions are rows of their own and their JSON is never
/// rewritten once published, so a dossier can always find the exact version it started on.
/// </summary>
public sealed class WorkflowDefinitionVersion
{
    public required string Id { get; set; }
    public required string DefinitionId { get; set; }
    public int Version { get; set; }
    public required string Name { get; set; }
    public bool IsLatest { get; set; }
    public bool IsPublished { get; set; }
    public required string Json { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? PublishedAt { get; set; }
}

/// <summary>A dossier (workflow instance). Status columns are derived from <see cref="StateJson"/> on every write.</summary>
public sealed class Dossier
{
    public required string Id { get; set; }
    public required string ReceiptCode { get; set; }
    public required string ProcedureCode { get; set; }
    public required string DefinitionVersionId { get; set; }
    public int DefinitionVersion { get; set; }
    public string? FieldCode { get; set; }
    public required string ReceivingUnit { get; set; }
    public required string Channel { get; set; }
    public required string ApplicantName { get; set; }
    public required string ApplicantIdNumber { get; set; }
    public string? ApplicantPhone { get; set; }
    public DateTime ReceivedAt { get; set; }
    public required string Status { get; set; }
    public int NationalStatusCode { get; set; }
    public required string StateJson { get; set; }

    /// <summary>Optimistic concurrency: the ETag clerks send back in If-Match.</summary>
    public int Version { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? ResultReadyAt { get; set; }
    public DateTime? ReturnedAt { get; set; }
    public DateTime? StoppedAt { get; set; }

    /// <summary>Appointment printed on the receipt (never changes).</summary>
    public DateTime? AppointmentAt { get; set; }

    /// <summary>Legal due instant, moved by clock pauses.</summary>
    public DateTime? DueAt { get; set; }

    /// <summary>New appointment of the apology (form 04), when one was issued.</summary>
    public DateTime? ApologyDueAt { get; set; }

    /// <summary>Early / OnTime / Late, judged when the result became ready.</summary>
    public string? Verdict { get; set; }

    public int? CalendarVersion { get; set; }
    public int SupplementRequests { get; set; }

    /// <summary>E-mail for notifications (optional).</summary>
    public string? ApplicantEmail { get; set; }

    /// <summary>Hash of the look-up secret printed on the receipt; the secret itself is never stored.</summary>
    public string? LookupSecretHash { get; set; }
}

/// <summary>A task (step execution). Pending rows are the inbox; closed rows stay for reports.</summary>
public sealed class DossierTask
{
    public required string Id { get; set; }
    public required string DossierId { get; set; }
    public required string ActivityId { get; set; }
    public required string ActivityType { get; set; }
    public required string Kind { get; set; }
    public required string Title { get; set; }
    public required string UnitCode { get; set; }
    public required string Role { get; set; }
    public required string Status { get; set; }
    public decimal? TimeLimitDays { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public string? Outcome { get; set; }
    public string? CompletedBy { get; set; }
    public string? Comment { get; set; }
    public DateTime? DueAt { get; set; }
    public DateTime? WarnAt { get; set; }
    public string? Verdict { get; set; }
}

/// <summary>Task row statuses.</summary>
public static class TaskStatuses
{
    public const string Pending = "Pending";
    public const string AwaitingSupplement = "AwaitingSupplement";
    public const string Completed = "Completed";
    public const string Cancelled = "Cancelled";

    /// <summary>Statuses of tasks still open.</summary>
    public static readonly string[] Open = [Pending, AwaitingSupplement];
}

/// <summary>An append-only journal entry; rows are inserted, never updated or deleted.</summary>
public sealed class JournalEntry
{
    public required string DossierId { get; set; }
    public int Sequence { get; set; }
    public DateTime Timestamp { get; set; }
    public required string Type { get; set; }
    public required string DefinitionVersionId { get; set; }
    public string? ActivityId { get; set; }
    public string? ActivityType { get; set; }
    public string? ActivityName { get; set; }
    public string? TaskId { get; set; }
    public string? UnitCode { get; set; }
    public required string Actor { get; set; }
    public string? Outcome { get; set; }
    public string? Comment { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public string? DataJson { get; set; }
}

/// <summary>The first response to a request carrying an Idempotency-Key, kept so a retry gets the same answer.</summary>
public sealed class IdempotencyRecord
{
    public required string Scope { get; set; }
    public required string Key { get; set; }
    public required string RequestFingerprint { get; set; }
    public int StatusCode { get; set; }
    public required string ResponseBody { get; set; }
    public string? ETag { get; set; }
    public string? Location { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>Per unit and day, the last receipt number issued.</summary>
public sealed class ReceiptCounter
{
    public required string UnitCode { get; set; }
    public required string Day { get; set; }
    public int LastNumber { get; set; }
}

/// <summary>An administrator's plan to move in-flight dossiers of a procedure to another version.</summary>
public sealed class MigrationPlan
{
    public required string Id { get; set; }
    public required string ProcedureCode { get; set; }
    public required string SourceVersionsJson { get; set; }
    public int TargetVersion { get; set; }
    public required string TargetVersionId { get; set; }
    public required string FilterJson { get; set; }
    public required string MappingJson { get; set; }
    public required string TimePolicy { get; set; }
    public required string Status { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? ExecutedBy { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public int Candidates { get; set; }
    public int Migrated { get; set; }
    public int Blocked { get; set; }
    public int AlreadyMigrated { get; set; }
}

/// <summary>What a plan's execution did to one dossier (one row per plan and dossier, rewritten on re-runs).</summary>
public sealed class MigrationResult
{
    public required string PlanId { get; set; }
    public required string DossierId { get; set; }
    public required string Outcome { get; set; }
    public int FromVersion { get; set; }
    public int ToVersion { get; set; }
    public string? Reason { get; set; }
    public string? MovesJson { get; set; }
    public DateTime At { get; set; }
}

/// <summary>
/// One version of the working-day calendar. Every change an administrator makes is a new row, so a
/// report can be recomputed with the calendar as it stood.
/// </summary>
public sealed class CalendarVersion
{
    public int Version { get; set; }
    public required string Json { get; set; }
    public DateTime CreatedAt { get; set; }
    public required string CreatedBy { get; set; }
    public string? Comment { get; set; }
}

/// <summary>
/// A step deadline to fire: a warning at a share of the step's time, or the overdue event at its
/// due instant. Rows are kept in step with the dossier's tasks in the same transaction as each
/// transition; a sweeper fires the due ones into the notification outbox exactly once.
/// </summary>
public sealed class Deadline
{
    public required string Id { get; set; }
    public required string DossierId { get; set; }
    public required string TaskId { get; set; }
    public required string UnitCode { get; set; }
    public required string Kind { get; set; }
    public DateTime FireAt { get; set; }
    public required string Status { get; set; }
    public DateTime? FiredAt { get; set; }
}

/// <summary>Deadline kinds and statuses.</summary>
public static class Deadlines
{
    public const string Warning = "Warning";
    public const string Overdue = "Overdue";
    public const string Pending = "Pending";
    public const string Fired = "Fired";
    public const string Cancelled = "Cancelled";
}

/// <summary>The notification outbox: one row per fired deadline, for inboxes, leaders and delivery.</summary>
public sealed class Notification
{
    public required string Id { get; set; }
    public required string DeadlineId { get; set; }
    public required string Kind { get; set; }
    public required string DossierId { get; set; }
    public required string TaskId { get; set; }
    public required string UnitCode { get; set; }
    public required string Title { get; set; }
    public DateTime FireAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? DeliveredAt { get; set; }
}

/// <summary>
/// The durable outbox: one row per message to an outside system (the national portal, an e-mail,
/// an SMS/Zalo message), written in the same transaction as the change it reports, so a change is
/// never committed without its message nor a message sent for a change that rolled back. A sender
/// claims rows, delivers them in <see cref="Position"/> order per <see cref="OrderKey"/>, and marks
/// them Sent, or Dead after the configured number of tries.
/// </summary>
public sealed class OutboxMessage
{
    public required string Id { get; set; }

    /// <summary>Portal, Email or Sms (see <see cref="OutboxChannels"/>).</summary>
    public required string Channel { get; set; }

    /// <summary>What the message says, e.g. DossierReceived, StatusChanged, Result, SupplementRequested, Warning.</summary>
    public required string Kind { get; set; }

    /// <summary>Messages with the same key are delivered one after another in Position order; null: no order.</summary>
    public string? OrderKey { get; set; }

    /// <summary>Place in its order: the journal position of the change and the message's ordinal within it.</summary>
    public long Position { get; set; }

    public string? DossierId { get; set; }

    /// <summary>The fired deadline's notification this message delivers, when it is one.</summary>
    public string? NotificationId { get; set; }

    /// <summary>The national status code the message reports (portal messages), for reconciliation.</summary>
    public int? NationalStatusCode { get; set; }

    /// <summary>E-mail address or phone number; the portal's service name for portal messages.</summary>
    public required string Recipient { get; set; }

    public string? Subject { get; set; }

    /// <summary>The content as it will be sent, fixed at commit: a retry sends exactly these bytes.</summary>
    public required string Body { get; set; }

    /// <summary>Pending, Sent or Dead (see <see cref="OutboxStatuses"/>).</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }

    /// <summary>The sender process holding the row, and until when its claim holds.</summary>
    public string? ClaimedBy { get; set; }
    public DateTime? ClaimedUntil { get; set; }

    public DateTime? SentAt { get; set; }
    public string? LastError { get; set; }
    public DateTime? DeadAt { get; set; }
    public string? ReplayedBy { get; set; }
    public DateTime? ReplayedAt { get; set; }
}

/// <summary>Outbox channels.</summary>
public static class OutboxChannels
{
    public const string Portal = "Portal";
    public const string Email = "Email";
    public const string Sms = "Sms";

    /// <summary>Every channel.</summary>
    public static readonly string[] All = [Portal, Email, Sms];
}

/// <summary>Outbox message statuses.</summary>
public static class OutboxStatuses
{
    public const string Pending = "Pending";
    public const string Sent = "Sent";
    public const string Dead = "Dead";
}

/// <summary>Per dossier, the last national status the portal acknowledged (for reconciliation).</summary>
public sealed class PortalAck
{
    public required string DossierId { get; set; }
    public int NationalStatusCode { get; set; }
    public long Position { get; set; }
    public DateTime AckedAt { get; set; }
}

/// <summary>An applicant's rating of the service, once per dossier, after the result was returned.</summary>
public sealed class ServiceRating
{
    public required string DossierId { get; set; }
    public required string ReceiptCode { get; set; }
    public required string UnitCode { get; set; }
    public string? FieldCode { get; set; }
    public required string ProcedureCode { get; set; }
    public bool Satisfied { get; set; }
    public string? Comment { get; set; }
    public DateTime RatedAt { get; set; }
}
