namespace ProcessServer.Host.Features.OData;

/// <summary>
/// Marks an <c>Edm.Date</c> property as the local-day twin of an instant property: its value is the
/// local date (Asia/Ho_Chi_Minh) of that instant. <see cref="FeedFilterBinder"/> turns comparisons
/// of the twin with a date literal into a range on the instant, which the instant's index serves.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class DateTwinAttribute(string instant) : Attribute
{
    /// <summary>The CLR name of the instant property (UTC DateTime).</summary>
    public string Instant { get; } = instant;
}

/// <summary>A dossier as the feed publishes it (entity type Dossier of set Dossiers).</summary>
public sealed class DossierRow
{
    public string Id { get; set; } = string.Empty;
    public string ReceiptCode { get; set; } = string.Empty;
    public string ProcedureCode { get; set; } = string.Empty;
    public int ProcedureVersion { get; set; }
    public string ProcedureVersionId { get; set; } = string.Empty;
    public string UnitCode { get; set; } = string.Empty;
    public string? FieldCode { get; set; }
    public string Channel { get; set; } = string.Empty;
    public int ChannelCode { get; set; }
    public DateTime ReceivedAt { get; set; }
    [DateTwin(nameof(ReceivedAt))]
    public DateOnly ReceivedDate { get; set; }
    public DateTime? AppointmentAt { get; set; }
    [DateTwin(nameof(AppointmentAt))]
    public DateOnly? AppointmentDate { get; set; }
    public DateTime? DueAt { get; set; }
    [DateTwin(nameof(DueAt))]
    public DateOnly? DueDate { get; set; }
    public DateTime? ApologyDueAt { get; set; }
    [DateTwin(nameof(ApologyDueAt))]
    public DateOnly? ApologyDueDate { get; set; }
    public bool HasApology { get; set; }
    public DateTime? ResultReadyAt { get; set; }
    [DateTwin(nameof(ResultReadyAt))]
    public DateOnly? ResultReadyDate { get; set; }
    public DateTime? ReturnedAt { get; set; }
    [DateTwin(nameof(ReturnedAt))]
    public DateOnly? ReturnedDate { get; set; }
    public DateTime? StoppedAt { get; set; }
    [DateTwin(nameof(StoppedAt))]
    public DateOnly? StoppedDate { get; set; }
    public string Status { get; set; } = string.Empty;
    public int NationalStatusCode { get; set; }
    public string? Verdict { get; set; }
    public string LimitStatus { get; set; } = string.Empty;

    /// <summary>Running, clock not paused, and the (pause-adjusted) due instant passed: see <see cref="FeedSources"/>.</summary>
    public bool IsOverdue { get; set; }
    public int SupplementRequests { get; set; }
    public int PauseCount { get; set; }
    public bool IsPaused { get; set; }
    public int? CalendarVersion { get; set; }

    /// <summary>Last change; the concurrency token behind <c>@odata.etag</c>.</summary>
    public DateTime UpdatedAt { get; set; }

    /// <summary>The dossier's steps (navigation; filled only when a query uses it).</summary>
    public IEnumerable<StepRow>? Steps { get; set; }
}

/// <summary>A step (task) of a dossier (entity type Step of set Steps).</summary>
public sealed class StepRow
{
    public string Id { get; set; } = string.Empty;
    public string DossierId { get; set; } = string.Empty;
    public string ActivityId { get; set; } = string.Empty;
    public string Title { get; set; } = string.Empty;
    public string Kind { get; set; } = string.Empty;
    public string UnitCode { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string Status { get; set; } = string.Empty;
    public string? Outcome { get; set; }

    /// <summary>Who completed the step (the API key's or person's name).</summary>
    public string? Handler { get; set; }

    /// <summary>Stable id of who completed the step.</summary>
    public string? HandlerId { get; set; }

    /// <summary>Id of the person holding the open step.</summary>
    public string? HolderId { get; set; }

    /// <summary>Name of the person holding the open step.</summary>
    public string? Holder { get; set; }
    public DateTime StartedAt { get; set; }
    [DateTwin(nameof(StartedAt))]
    public DateOnly StartedDate { get; set; }
    public DateTime? DueAt { get; set; }
    [DateTwin(nameof(DueAt))]
    public DateOnly? DueDate { get; set; }
    public DateTime? CompletedAt { get; set; }
    [DateTwin(nameof(CompletedAt))]
    public DateOnly? CompletedDate { get; set; }
    public double? TimeLimitDays { get; set; }
    public string? Verdict { get; set; }

    /// <summary>Open, its clock running (not awaiting a supplement), and its own due instant passed: see <see cref="FeedSources"/>.</summary>
    public bool IsOverdue { get; set; }

    /// <summary>The dossier the step belongs to (navigation; filled only when a query uses it).</summary>
    public DossierRow? Dossier { get; set; }
}

/// <summary>A procedure version (entity type Procedure).</summary>
public sealed class ProcedureRow
{
    public string Id { get; set; } = string.Empty;
    public string Code { get; set; } = string.Empty;
    public int Version { get; set; }
    public string Name { get; set; } = string.Empty;
    public string? FieldCode { get; set; }
    public double? TimeLimitDays { get; set; }
    public bool SameDay { get; set; }
    public bool IsPublished { get; set; }
    public bool IsLatest { get; set; }
    public DateTime CreatedAt { get; set; }
    [DateTwin(nameof(CreatedAt))]
    public DateOnly CreatedDate { get; set; }
    public DateTime? PublishedAt { get; set; }
    [DateTwin(nameof(PublishedAt))]
    public DateOnly? PublishedDate { get; set; }

    /// <summary>A version this server cannot read or run (e.g. stored by an older server); it never breaks the feed.</summary>
    public bool IsBroken { get; set; }
}

/// <summary>A unit as dated data (entity type Unit): level, parent, successor and validity (DOMAIN §0).</summary>
public sealed class UnitRow
{
    public string Code { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string Level { get; set; } = string.Empty;

    /// <summary>Code of the unit above it, if any.</summary>
    public string? Parent { get; set; }

    /// <summary>Code of the unit that took over its work when it was retired, if any.</summary>
    public string? Successor { get; set; }

    /// <summary>First instant it exists; null = always.</summary>
    public DateTime? ValidFrom { get; set; }
    [DateTwin(nameof(ValidFrom))]
    public DateOnly? ValidFromDate { get; set; }

    /// <summary>Instant it was retired; null = still current.</summary>
    public DateTime? ValidTo { get; set; }
    [DateTwin(nameof(ValidTo))]
    public DateOnly? ValidToDate { get; set; }
}

/// <summary>A field of procedures (entity type Field).</summary>
public sealed class FieldRow
{
    public string Code { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
}

/// <summary>An applicant's rating of the service, given once the result was returned (entity type Rating).</summary>
public sealed class RatingRow
{
    public string DossierId { get; set; } = string.Empty;
    public string ReceiptCode { get; set; } = string.Empty;
    public string UnitCode { get; set; } = string.Empty;
    public string? FieldCode { get; set; }
    public string ProcedureCode { get; set; } = string.Empty;
    public bool Satisfied { get; set; }
    public string? Comment { get; set; }
    public DateTime RatedAt { get; set; }
    [DateTwin(nameof(RatedAt))]
    public DateOnly RatedDate { get; set; }
}

/// <summary>Dossier counts per receiving unit, field and local month of receipt, as of now.</summary>
public sealed class DossierStatRow
{
    public string UnitCode { get; set; } = string.Empty;
    public string FieldCode { get; set; } = string.Empty;
    public int Year { get; set; }
    public int Month { get; set; }
    public int Received { get; set; }
    public int Online { get; set; }
    public int Direct { get; set; }
    public int Postal { get; set; }
    public int Resolved { get; set; }
    public int Early { get; set; }
    public int OnTime { get; set; }
    public int Late { get; set; }
    public int InProgress { get; set; }

    /// <summary>Of InProgress: overdue now, by the rule of <see cref="FeedSources"/> (the count of Dossiers with IsOverdue).</summary>
    public int Overdue { get; set; }
    public int Stopped { get; set; }
    public int Returned { get; set; }
}

/// <summary>Step counts per handling unit, field and local month the step started, as of now.</summary>
public sealed class StepStatRow
{
    public string UnitCode { get; set; } = string.Empty;
    public string FieldCode { get; set; } = string.Empty;
    public int Year { get; set; }
    public int Month { get; set; }
    public int Steps { get; set; }
    public int Completed { get; set; }
    public int Early { get; set; }
    public int OnTime { get; set; }
    public int Late { get; set; }
    public int Open { get; set; }

    /// <summary>Of Open: the count of Steps with IsOverdue.</summary>
    public int Overdue { get; set; }
    public int Cancelled { get; set; }
}
