using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace ProcessServer.Persistence.Entities;

/// <summary>
/// A row that tells whoever tracks it of each change of a property as it is made, before and after
/// (EF Core's <c>ChangingAndChangedNotifications</c> strategy). It is the base of the rows every
/// state change attaches or adds to its context: the dossier, its tasks and its deadlines, its
/// journal entries, outbox messages and idempotency record. With snapshots, EF copied every
/// property of each of them when it was attached, compared every property of every row again when
/// the change was saved, and copied them all once more after it; a completion's change tracking was
/// over half of its save (BENCHMARKS.md). Told of each change instead, EF keeps the original value
/// of only what changed, and has nothing to compare.
/// </summary>
public abstract class NotifyingRow : INotifyPropertyChanging, INotifyPropertyChanged
{
    /// <inheritdoc />
    public event PropertyChangingEventHandler? PropertyChanging;

    /// <inheritdoc />
    public event PropertyChangedEventHandler? PropertyChanged;

    /// <summary>
    /// Sets a property's value, telling of it only when it differs (as a snapshot comparison would
    /// find: strings ordinally, instants and numbers by value).
    /// </summary>
    /// <typeparam name="T">The property's type.</typeparam>
    /// <param name="field">The property's backing field.</param>
    /// <param name="value">The new value.</param>
    /// <param name="property">The property's name.</param>
    protected void Set<T>(ref T field, T value, [CallerMemberName] string property = "")
    {
        if (EqualityComparer<T>.Default.Equals(field, value))
        {
            return;
        }

        PropertyChanging?.Invoke(this, new PropertyChangingEventArgs(property));
        field = value;
        PropertyChanged?.Invoke(this, new PropertyChangedEventArgs(property));
    }

    /// <summary>
    /// An untracked copy of the row's values. A memberwise copy would also copy who listens to this
    /// row (the context tracking it), so a change of the copy would be reported as this row's.
    /// </summary>
    /// <typeparam name="TRow">The row's type.</typeparam>
    protected TRow CopyRow<TRow>()
        where TRow : NotifyingRow
    {
        var copy = (TRow)MemberwiseClone();
        copy.PropertyChanging = null;
        copy.PropertyChanged = null;
        return copy;
    }
}

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

    /// <summary>Counts content saves of this version; a save that carries an older revision is stale (409).</summary>
    public int Revision { get; set; }

    /// <summary>When the content was last saved (UTC).</summary>
    public DateTime? SavedAt { get; set; }

    /// <summary>Who saved the content last (the API key's holder).</summary>
    public string? SavedBy { get; set; }
}

/// <summary>A dossier (workflow instance). Status columns are derived from <see cref="StateJson"/> on every write.</summary>
public sealed class Dossier : NotifyingRow
{
    public required string Id { get; set => Set(ref field, value); }
    public required string ReceiptCode { get; set => Set(ref field, value); }
    public required string ProcedureCode { get; set => Set(ref field, value); }
    public required string DefinitionVersionId { get; set => Set(ref field, value); }
    public int DefinitionVersion { get; set => Set(ref field, value); }
    public string? FieldCode { get; set => Set(ref field, value); }
    public required string ReceivingUnit { get; set => Set(ref field, value); }
    public required string Channel { get; set => Set(ref field, value); }
    public required string ApplicantName { get; set => Set(ref field, value); }
    public required string ApplicantIdNumber { get; set => Set(ref field, value); }
    public string? ApplicantPhone { get; set => Set(ref field, value); }
    public DateTime ReceivedAt { get; set => Set(ref field, value); }
    public required string Status { get; set => Set(ref field, value); }
    public int NationalStatusCode { get; set => Set(ref field, value); }
    public required string StateJson { get; set => Set(ref field, value); }

    /// <summary>Optimistic concurrency: the ETag clerks send back in If-Match.</summary>
    public int Version { get; set => Set(ref field, value); }

    public DateTime CreatedAt { get; set => Set(ref field, value); }
    public DateTime UpdatedAt { get; set => Set(ref field, value); }
    public DateTime? ResultReadyAt { get; set => Set(ref field, value); }
    public DateTime? ReturnedAt { get; set => Set(ref field, value); }
    public DateTime? StoppedAt { get; set => Set(ref field, value); }

    /// <summary>Appointment printed on the receipt (never changes).</summary>
    public DateTime? AppointmentAt { get; set => Set(ref field, value); }

    /// <summary>Legal due instant, moved by clock pauses.</summary>
    public DateTime? DueAt { get; set => Set(ref field, value); }

    /// <summary>New appointment of the apology (form 04), when one was issued.</summary>
    public DateTime? ApologyDueAt { get; set => Set(ref field, value); }

    /// <summary>Early / OnTime / Late, judged when the result became ready.</summary>
    public string? Verdict { get; set => Set(ref field, value); }

    public int? CalendarVersion { get; set => Set(ref field, value); }
    public int SupplementRequests { get; set => Set(ref field, value); }

    /// <summary>Why processing stopped without a result: ReturnedWithoutResolution, Withdrawn or RefusedAtReceipt (report columns).</summary>
    public string? StopKind { get; set => Set(ref field, value); }

    /// <summary>E-mail for notifications (optional).</summary>
    public string? ApplicantEmail { get; set => Set(ref field, value); }

    /// <summary>Hash of the look-up secret printed on the receipt; the secret itself is never stored.</summary>
    public string? LookupSecretHash { get; set => Set(ref field, value); }

    /// <summary>An untracked copy of the row's values. Every property is a string or a value, so the copy shares nothing with this row.</summary>
    public Dossier Copy() => CopyRow<Dossier>();
}

/// <summary>A task (step execution). Pending rows are the inbox; closed rows stay for reports.</summary>
public sealed class DossierTask : NotifyingRow
{
    public required string Id { get; set => Set(ref field, value); }
    public required string DossierId { get; set => Set(ref field, value); }
    public required string ActivityId { get; set => Set(ref field, value); }
    public required string ActivityType { get; set => Set(ref field, value); }
    public required string Kind { get; set => Set(ref field, value); }
    public required string Title { get; set => Set(ref field, value); }
    public required string UnitCode { get; set => Set(ref field, value); }
    public required string Role { get; set => Set(ref field, value); }
    public required string Status { get; set => Set(ref field, value); }
    public decimal? TimeLimitDays { get; set => Set(ref field, value); }
    public DateTime CreatedAt { get; set => Set(ref field, value); }
    public DateTime? CompletedAt { get; set => Set(ref field, value); }
    public string? Outcome { get; set => Set(ref field, value); }
    public string? CompletedBy { get; set => Set(ref field, value); }
    public string? Comment { get; set => Set(ref field, value); }
    public DateTime? DueAt { get; set => Set(ref field, value); }
    public DateTime? WarnAt { get; set => Set(ref field, value); }
    public string? Verdict { get; set => Set(ref field, value); }

    /// <summary>Id of the person who completed it (the identity provider's subject, or the API key's name).</summary>
    public string? CompletedById { get; set => Set(ref field, value); }

    /// <summary>The officer holding the task now (null while it waits in the unit's queue); kept in step with the dossier state.</summary>
    public string? AssigneeId { get; set => Set(ref field, value); }

    /// <summary>The holder's display name.</summary>
    public string? AssigneeName { get; set => Set(ref field, value); }

    /// <summary>When the holder got it, UTC.</summary>
    public DateTime? AssignedAt { get; set => Set(ref field, value); }

    /// <summary>Claimed, Assigned or Delegated.</summary>
    public string? AssignedVia { get; set => Set(ref field, value); }

    /// <summary>When the open task last entered its unit's unassigned queue, UTC; null while held.</summary>
    public DateTime? QueuedSince { get; set => Set(ref field, value); }

    /// <summary>Low, Normal, High or Urgent.</summary>
    public string Priority { get; set => Set(ref field, value); } = "Normal";

    /// <summary>The holder's follow-up date, UTC.</summary>
    public DateTime? FollowUpAt { get; set => Set(ref field, value); }

    /// <summary>An untracked copy of the row's values. Every property is a string or a value, so the copy shares nothing with this row.</summary>
    public DossierTask Copy() => CopyRow<DossierTask>();
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
public sealed class JournalEntry : NotifyingRow
{
    public required string DossierId { get; set => Set(ref field, value); }
    public int Sequence { get; set => Set(ref field, value); }
    public DateTime Timestamp { get; set => Set(ref field, value); }
    public required string Type { get; set => Set(ref field, value); }
    public required string DefinitionVersionId { get; set => Set(ref field, value); }
    public string? ActivityId { get; set => Set(ref field, value); }
    public string? ActivityType { get; set => Set(ref field, value); }
    public string? ActivityName { get; set => Set(ref field, value); }
    public string? TaskId { get; set => Set(ref field, value); }
    public string? UnitCode { get; set => Set(ref field, value); }
    public required string Actor { get; set => Set(ref field, value); }
    public string? Outcome { get; set => Set(ref field, value); }
    public string? Comment { get; set => Set(ref field, value); }
    public DateTime? StartedAt { get; set => Set(ref field, value); }
    public DateTime? CompletedAt { get; set => Set(ref field, value); }
    public string? DataJson { get; set => Set(ref field, value); }

    /// <summary>Stable id of who acted: the identity provider's subject, or the API key's name.</summary>
    public string? ActorId { get; set => Set(ref field, value); }

    /// <summary>Their display name at the time.</summary>
    public string? ActorName { get; set => Set(ref field, value); }

    /// <summary>The unit they acted for (the task's unit, the receiving unit…); null for province-wide acts.</summary>
    public string? ActedForUnit { get; set => Set(ref field, value); }

    // Timestamp is when the act happened (occurred-at): verdicts and reports read it. The columns
    // below say when and by whom it was written down, so a late (paper) entry stays visible.

    /// <summary>When the entry was written to the store (UTC): the server's clock at the write.</summary>
    public DateTime RecordedAt { get; set => Set(ref field, value); }

    /// <summary>Who wrote it down (the API key or importer that sent it).</summary>
    public string? RecordedBy { get; set => Set(ref field, value); }

    /// <summary>Null for an act recorded as it happened; <see cref="EntryModes.BackDated"/> or <see cref="EntryModes.Imported"/> otherwise.</summary>
    public string? EntryMode { get; set => Set(ref field, value); }

    /// <summary>
    /// The entry as the API's views show it: its JSON as UTF-8 bytes (a BLOB on SQLite, bytea on
    /// PostgreSQL; read it with <c>CAST("ViewJson" AS TEXT)</c> or <c>convert_from("ViewJson", 'UTF8')</c>),
    /// written with the entry by the change that answered with it; null for entries written without
    /// an answer (imported history, rows older than the column). Entries never change once written,
    /// so a dossier's journal is read back as these bytes, written into answers as they are, instead
    /// of being materialised and serialized entry by entry. Bytes rather than text: they go from the
    /// answer to the store and back into the next answer with no conversion. Its format is pinned by
    /// a test; a change to the journal view's JSON comes with a migration that sets it to null again.
    /// </summary>
#pragma warning disable CA1819 // A row's column: EF Core maps a byte array property, and nothing else holds it.
    public byte[]? ViewJson { get; set => Set(ref field, value); }
#pragma warning restore CA1819
}

/// <summary>How a journal entry came to be written.</summary>
public static class EntryModes
{
    /// <summary>An authorised person recorded an act that happened earlier (paper intake, late entry).</summary>
    public const string BackDated = "BackDated";

    /// <summary>Loaded from a legacy system's history file.</summary>
    public const string Imported = "Imported";
}

/// <summary>A history import: one uploaded file run through the engine, or dry-run.</summary>
public sealed class ImportRun
{
    public required string Id { get; set; }
    public required string FileName { get; set; }
    public required string FilePath { get; set; }
    public bool DryRun { get; set; }
    public required string Status { get; set; }
    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public int TotalLines { get; set; }
    public int LinesDone { get; set; }
    public int Created { get; set; }
    public int Unchanged { get; set; }
    public int Refused { get; set; }
    public string? Error { get; set; }
}

/// <summary>What an import run did (or would do) with one line of its file.</summary>
public sealed class ImportLineResult
{
    public required string RunId { get; set; }
    public int LineNumber { get; set; }
    public string? SourceRef { get; set; }
    public required string Outcome { get; set; }
    public string? DossierId { get; set; }
    public string? ReceiptCode { get; set; }
    public int? NationalStatusCode { get; set; }
    public string? Detail { get; set; }
}

/// <summary>A dossier loaded from a legacy system, by its reference there: a re-run finds it and changes nothing.</summary>
public sealed class ImportedDossier
{
    public required string SourceRef { get; set; }
    public required string DossierId { get; set; }
    public required string Digest { get; set; }
    public required string RunId { get; set; }
    public DateTime ImportedAt { get; set; }
}

/// <summary>The first response to a request carrying an Idempotency-Key, kept so a retry gets the same answer.</summary>
public sealed class IdempotencyRecord : NotifyingRow
{
    public required string Scope { get; set => Set(ref field, value); }
    public required string Key { get; set => Set(ref field, value); }
    public required string RequestFingerprint { get; set => Set(ref field, value); }
    public int StatusCode { get; set => Set(ref field, value); }
    public required string ResponseBody { get; set => Set(ref field, value); }
    public string? ETag { get; set => Set(ref field, value); }
    public string? Location { get; set => Set(ref field, value); }
    public DateTime CreatedAt { get; set => Set(ref field, value); }
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
    public string? CreatedById { get; set; }
    public DateTime CreatedAt { get; set; }
    public string? ExecutedBy { get; set; }
    public string? ExecutedById { get; set; }
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
public sealed class Deadline : NotifyingRow
{
    public required string Id { get; set => Set(ref field, value); }
    public required string DossierId { get; set => Set(ref field, value); }
    public required string TaskId { get; set => Set(ref field, value); }
    public required string UnitCode { get; set => Set(ref field, value); }
    public required string Kind { get; set => Set(ref field, value); }
    public DateTime FireAt { get; set => Set(ref field, value); }
    public required string Status { get; set => Set(ref field, value); }
    public DateTime? FiredAt { get; set => Set(ref field, value); }

    /// <summary>An untracked copy of the row's values. Every property is a string or a value, so the copy shares nothing with this row.</summary>
    public Deadline Copy() => CopyRow<Deadline>();
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
/// An administrative unit as dated data (DOMAIN §0: districts vanished on 1/7/2025 and units will
/// change again). A unit is never deleted: a dossier, a step or a report row keeps the code of the
/// unit that acted, so reports of a past period find the unit as it was. When a unit is abolished
/// or merged it gets <see cref="ValidTo"/> and a <see cref="SuccessorCode"/>; a renamed unit is a new
/// code succeeding the old one, so a report labels each period with the name in force then.
/// </summary>
public sealed class OrgUnit
{
    /// <summary>Code used in definitions, dossiers, tasks and reports.</summary>
    public required string Code { get; set; }

    /// <summary>Official name while the unit exists.</summary>
    public required string Name { get; set; }

    /// <summary>province, commune, district (historical, before 1/7/2025) or agency.</summary>
    public required string Level { get; set; }

    /// <summary>The unit above it (a commune's province, an agency's parent body), for level subtotals.</summary>
    public string? ParentCode { get; set; }

    /// <summary>The unit that took over its work when it was retired.</summary>
    public string? SuccessorCode { get; set; }

    /// <summary>First instant it exists (UTC); null = since before any data.</summary>
    public DateTime? ValidFrom { get; set; }

    /// <summary>First instant it no longer exists (UTC); null while it exists.</summary>
    public DateTime? ValidTo { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

/// <summary>A person who leads a unit: assigns and reassigns its tasks, sees what needs attention, may complete a held task.</summary>
public sealed class OrgUnitLeader
{
    public required string UnitCode { get; set; }

    /// <summary>The person's stable id (identity provider subject, or an API key's name).</summary>
    public required string PersonId { get; set; }

    public DateTime Since { get; set; }
}

/// <summary>
/// Someone who has acted on the server: a person signed in through the identity provider (kept as
/// their last token described them) or an API key from configuration. Tasks are assigned to these.
/// </summary>
public sealed class Person
{
    /// <summary>The identity provider's subject, or the API key's name.</summary>
    public required string Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Person or ApiKey.</summary>
    public required string Kind { get; set; }

    public required string Role { get; set; }
    public DateTime FirstSeenAt { get; set; }
    public DateTime LastSeenAt { get; set; }
}

/// <summary>A unit a person works for, as their last sign-in (or the key's configuration) said.</summary>
public sealed class PersonUnit
{
    public required string PersonId { get; set; }
    public required string UnitCode { get; set; }
}

/// <summary>
/// The audit trail of acts that are not a dossier's (those are in its journal): publishing,
/// migration plans and runs, report requests, calendar, unit and leader changes, reorganisations.
/// Rows are inserted, never updated.
/// </summary>
public sealed class AuditEntry
{
    public required string Id { get; set; }
    public DateTime At { get; set; }

    /// <summary>What was done, one of the AuditActions names.</summary>
    public required string Action { get; set; }

    /// <summary>What it was done to (procedure and version, plan id, unit code…).</summary>
    public string? Subject { get; set; }

    public required string ActorId { get; set; }
    public required string ActorName { get; set; }

    /// <summary>The unit the actor acted for; null for province-wide acts.</summary>
    public string? ActedForUnit { get; set; }

    /// <summary>Details as JSON.</summary>
    public string? DetailJson { get; set; }
}

/// <summary>
/// The durable outbox: one row per message to an outside system (the national portal, an e-mail,
/// an SMS/Zalo message), written in the same transaction as the change it reports, so a change is
/// never committed without its message nor a message sent for a change that rolled back. A sender
/// claims rows, delivers them in <see cref="Position"/> order per <see cref="OrderKey"/>, and marks
/// them Sent, or Dead after the configured number of tries.
/// </summary>
public sealed class OutboxMessage : NotifyingRow
{
    public required string Id { get; set => Set(ref field, value); }

    /// <summary>Portal, Email or Sms (see <see cref="OutboxChannels"/>).</summary>
    public required string Channel { get; set => Set(ref field, value); }

    /// <summary>What the message says, e.g. DossierReceived, StatusChanged, Result, SupplementRequested, Warning.</summary>
    public required string Kind { get; set => Set(ref field, value); }

    /// <summary>Messages with the same key are delivered one after another in Position order; null: no order.</summary>
    public string? OrderKey { get; set => Set(ref field, value); }

    /// <summary>Place in its order: the journal position of the change and the message's ordinal within it.</summary>
    public long Position { get; set => Set(ref field, value); }

    public string? DossierId { get; set => Set(ref field, value); }

    /// <summary>The fired deadline's notification this message delivers, when it is one.</summary>
    public string? NotificationId { get; set => Set(ref field, value); }

    /// <summary>The national status code the message reports (portal messages), for reconciliation.</summary>
    public int? NationalStatusCode { get; set => Set(ref field, value); }

    /// <summary>E-mail address or phone number; the portal's service name for portal messages.</summary>
    public required string Recipient { get; set => Set(ref field, value); }

    public string? Subject { get; set => Set(ref field, value); }

    /// <summary>The content as it will be sent, fixed at commit: a retry sends exactly these bytes.</summary>
    public required string Body { get; set => Set(ref field, value); }

    /// <summary>Pending, Sent or Dead (see <see cref="OutboxStatuses"/>).</summary>
    public required string Status { get; set => Set(ref field, value); }

    public int Attempts { get; set => Set(ref field, value); }
    public DateTime CreatedAt { get; set => Set(ref field, value); }
    public DateTime NextAttemptAt { get; set => Set(ref field, value); }

    /// <summary>The sender process holding the row, and until when its claim holds.</summary>
    public string? ClaimedBy { get; set => Set(ref field, value); }
    public DateTime? ClaimedUntil { get; set => Set(ref field, value); }

    public DateTime? SentAt { get; set => Set(ref field, value); }
    public string? LastError { get; set => Set(ref field, value); }
    public DateTime? DeadAt { get; set => Set(ref field, value); }
    public string? ReplayedBy { get; set => Set(ref field, value); }
    public DateTime? ReplayedAt { get; set => Set(ref field, value); }
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
