using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Execution;

/// <summary>Where a dossier is in its life, independent of which step it is at.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DossierStage>))]
public enum DossierStage
{
    /// <summary>Received at the counter; no step has completed yet.</summary>
    Received,

    /// <summary>Being processed.</summary>
    InProgress,

    /// <summary>Processing finished; the result waits at the counter.</summary>
    ResultReady,

    /// <summary>The result was handed to the applicant (terminal).</summary>
    Returned,

    /// <summary>Processing stopped without a result (terminal); <see cref="DossierState.StopKind"/> says why.</summary>
    Stopped,

    /// <summary>Refused at the counter check (form 03): never received, the clock never started (terminal).</summary>
    Refused,
}

/// <summary>Why a dossier ended without a result; the period report keeps each in a column of its own.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StopKind>))]
public enum StopKind
{
    /// <summary>Not eligible, or the procedure ended without a result: returned with written reasons (national 8).</summary>
    ReturnedWithoutResolution,

    /// <summary>The applicant withdrew and a leader accepted it (national 7, then 8).</summary>
    Withdrawn,

    /// <summary>Refused at the counter check (national 3).</summary>
    RefusedAtReceipt,
}

/// <summary>The applicant's written request to withdraw (national status 7 until a leader accepts it).</summary>
public sealed class WithdrawalRecord
{
    /// <summary>When the request was made (UTC).</summary>
    public DateTime RequestedAt { get; set; }

    /// <summary>Who recorded the request.</summary>
    public string RequestedBy { get; set; } = string.Empty;

    /// <summary>The applicant's reason, as written.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>When a leader accepted it (UTC); null while it waits.</summary>
    public DateTime? AcceptedAt { get; set; }

    /// <summary>The leader who accepted it.</summary>
    public string? AcceptedBy { get; set; }

    /// <summary>A copy.</summary>
    internal WithdrawalRecord Clone() => (WithdrawalRecord)MemberwiseClone();
}

/// <summary>State of a pending task.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PendingTaskStatus>))]
public enum PendingTaskStatus
{
    /// <summary>Waiting for its handler.</summary>
    Pending,

    /// <summary>Paused until the applicant supplies documents (national status 5).</summary>
    AwaitingSupplement,
}

/// <summary>A task (bookmark) the dossier waits on.</summary>
public sealed class PendingTask
{
    /// <summary>Task id, unique across dossiers.</summary>
    public required string Id { get; init; }

    /// <summary>The activity that created it.</summary>
    public required string ActivityId { get; init; }

    /// <summary>That activity's type.</summary>
    public required string ActivityType { get; init; }

    /// <summary>What the task waits for.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<TaskKind>))]
    public required TaskKind Kind { get; init; }

    /// <summary>Title shown in inboxes.</summary>
    public required string Title { get; init; }

    /// <summary>Unit whose inbox shows the task; changes only when a reorganisation moves the unit's work.</summary>
    public required string UnitCode { get; set; }

    /// <summary>Job role inside the unit.</summary>
    public required string Role { get; init; }

    /// <summary>Budget in working days, if any.</summary>
    public decimal? TimeLimitDays { get; init; }

    /// <summary>Whether the task's time is outside the procedure's limit.</summary>
    public bool PausesClock { get; init; }

    /// <summary>Outcomes the handler may choose while the task is pending.</summary>
    public required IReadOnlyList<string> AllowedOutcomes { get; init; }

    /// <summary>When the task was created (the step started), UTC.</summary>
    public required DateTime CreatedAt { get; init; }

    /// <summary>Current state.</summary>
    public PendingTaskStatus Status { get; set; }

    /// <summary>When the current supplement request was made, UTC.</summary>
    public DateTime? SupplementRequestedAt { get; set; }

    /// <summary>When the step's time runs out (UTC); null for tasks without a counted limit.</summary>
    public DateTime? DueAt { get; set; }

    /// <summary>When the step has used the warning share of its time (UTC).</summary>
    public DateTime? WarnAt { get; set; }

    /// <summary>The officer who holds the task now; null while it waits in its unit's queue.</summary>
    public TaskHolder? Holder { get; set; }

    /// <summary>When the task last entered its unit's unassigned queue (created, released, moved), UTC; null while held.</summary>
    public DateTime? QueuedSince { get; set; }

    /// <summary>Priority set by the holder or the unit's leader.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<TaskPriority>))]
    public TaskPriority Priority { get; set; } = TaskPriority.Normal;

    /// <summary>Follow-up date the holder set for themselves (UTC); advisory, no deadline fires for it.</summary>
    public DateTime? FollowUpAt { get; set; }

    /// <summary>A pending task for a task activity, as it starts, in the unit that handles its step now.</summary>
    internal static PendingTask For(string id, CompiledActivity activity, DossierState state, DateTime startedAt, (DateTime? Due, DateTime? Warn) deadlines)
    {
        var template = activity.Task!;
        return new PendingTask
        {
            Id = id,
            ActivityId = activity.Id,
            ActivityType = activity.Type.TypeName,
            Kind = template.Kind,
            Title = template.Title,
            UnitCode = state.HandlingUnit(template.HandlingUnit ?? state.ReceivingUnit),
            QueuedSince = startedAt,
            Role = template.Role,
            TimeLimitDays = template.TimeLimitDays,
            PausesClock = template.PausesClock,
            AllowedOutcomes = template.AllowedOutcomes,
            CreatedAt = startedAt,
            Status = PendingTaskStatus.Pending,
            DueAt = deadlines.Due,
            WarnAt = deadlines.Warn,
        };
    }

    /// <summary>A copy whose settable members can change without touching this one (the holder and the outcomes are never changed, so shared).</summary>
    internal PendingTask Clone() => new()
    {
        Id = Id,
        ActivityId = ActivityId,
        ActivityType = ActivityType,
        Kind = Kind,
        Title = Title,
        UnitCode = UnitCode,
        Role = Role,
        TimeLimitDays = TimeLimitDays,
        PausesClock = PausesClock,
        AllowedOutcomes = AllowedOutcomes,
        CreatedAt = CreatedAt,
        Status = Status,
        SupplementRequestedAt = SupplementRequestedAt,
        DueAt = DueAt,
        WarnAt = WarnAt,
        Holder = Holder,
        QueuedSince = QueuedSince,
        Priority = Priority,
        FollowUpAt = FollowUpAt,
    };

    /// <summary>Outcomes the handler may choose now.</summary>
    public IReadOnlyList<string> CurrentOutcomes => Status == PendingTaskStatus.AwaitingSupplement
        ? AllowedOutcomes.Contains(Outcomes.Reject) ? [Outcomes.SupplementReceived, Outcomes.Reject] : [Outcomes.SupplementReceived]
        : AllowedOutcomes;
}

/// <summary>
/// Everything the interpreter needs to continue a dossier. It is persisted as JSON next to the
/// dossier row and replaced as a whole in each transition, so a transition is atomic by design.
/// </summary>
public sealed class DossierState
{
    /// <summary>Serializer options for the persisted form.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Life stage.</summary>
    public DossierStage Stage { get; set; }

    /// <summary>Whether the workflow has nothing left to run.</summary>
    public bool IsFinished { get; set; }

    /// <summary>Unit that received the dossier; tasks without a handling unit go there.</summary>
    public string ReceivingUnit { get; set; } = string.Empty;

    /// <summary>Dossier variables.</summary>
    public Dictionary<string, JsonNode?> Variables { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Tasks the dossier waits on.</summary>
    public List<PendingTask> Tasks { get; set; } = [];

    /// <summary>
    /// Units whose work went to a successor in a reorganisation (retired unit → successor). Steps of
    /// the pinned definition that name a retired unit (or fall back to a retired receiving unit) start
    /// in the successor; the definition itself and the history stay as they were.
    /// </summary>
    public Dictionary<string, string> UnitMoves { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per join activity: tokens arrived per incoming connection key.</summary>
    public Dictionary<string, Dictionary<string, int>> JoinArrivals { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Number of steps completed so far.</summary>
    public int CompletedSteps { get; set; }

    /// <summary>Number of supplement requests (more than one counts as overdue in the 766 index).</summary>
    public int SupplementRequests { get; set; }

    /// <summary>When the dossier was received, UTC.</summary>
    public DateTime ReceivedAt { get; set; }

    /// <summary>When the result became ready, UTC.</summary>
    public DateTime? ResultReadyAt { get; set; }

    /// <summary>When the result was returned, UTC.</summary>
    public DateTime? ReturnedAt { get; set; }

    /// <summary>When processing stopped without a result, UTC.</summary>
    public DateTime? StoppedAt { get; set; }

    /// <summary>Appointment printed on the receipt (form 01), UTC; never changes.</summary>
    public DateTime? AppointmentAt { get; set; }

    /// <summary>Legal due instant, moved by clock pauses per the pause policy (UTC).</summary>
    public DateTime? DueAt { get; set; }

    /// <summary>Version of the calendar the dates were computed with.</summary>
    public int? CalendarVersion { get; set; }

    /// <summary>Intervals during which the clock did not run.</summary>
    public List<ClockPause> Pauses { get; set; } = [];

    /// <summary>The apology and new appointment, when one was issued.</summary>
    public ApologyRecord? Apology { get; set; }

    /// <summary>Early, on time or late, judged when the result became ready.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Time.Verdict>))]
    public Time.Verdict? Verdict { get; set; }

    /// <summary>Why processing stopped without a result, once it has.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<StopKind>))]
    public StopKind? StopKind { get; set; }

    /// <summary>The applicant's withdrawal request, once made.</summary>
    public WithdrawalRecord? Withdrawal { get; set; }

    /// <summary>Whether the applicant asked to withdraw and no leader has accepted it yet (national status 7).</summary>
    [JsonIgnore]
    public bool WithdrawalPending => Withdrawal is { AcceptedAt: null } && !IsClosed;

    /// <summary>The open pause, if the clock is stopped now.</summary>
    [JsonIgnore]
    public ClockPause? OpenPause => Pauses.LastOrDefault(p => p.EndedAt is null);

    /// <summary>Whether the dossier is closed (returned, stopped or refused): nothing can change it any more.</summary>
    [JsonIgnore]
    public bool IsClosed => Stage is DossierStage.Returned or DossierStage.Stopped or DossierStage.Refused;

    /// <summary>The unit that handles work addressed to <paramref name="unitCode"/> now, following reorganisations.</summary>
    public string HandlingUnit(string unitCode)
    {
        var unit = unitCode;

        // A chain of successors is short; the bound only guards against a cycle written by hand.
        for (var hops = 0; hops < 32 && UnitMoves.TryGetValue(unit, out var next); hops++)
        {
            unit = next;
        }

        return unit;
    }

    /// <summary>Serializes for storage.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a stored state.</summary>
    public static DossierState FromJson(string json) =>
        JsonSerializer.Deserialize<DossierState>(json, JsonOptions) ?? throw new JsonException("empty dossier state");

    /// <summary>A deep copy, so a failed transition can never leak changes into the original.</summary>
    /// <remarks>
    /// Copied member by member rather than through its JSON (every transition starts with one, and
    /// the round trip made every string, every task and the whole text anew); strings and the
    /// immutable holders are shared. Variables still go through JSON, one by one, so a copy's values
    /// read exactly as a stored state's do (a number set from code reads as the JSON number it is
    /// stored as). <c>DossierStateCloneTests</c> fails when a property is added here without a copy.
    /// </remarks>
    public DossierState Clone()
    {
        var variables = new Dictionary<string, JsonNode?>(Variables.Count, StringComparer.Ordinal);
        foreach (var (name, value) in Variables)
        {
            variables[name] = value is null ? null : JsonNode.Parse(value.ToJsonString(JsonOptions));
        }

        var joins = new Dictionary<string, Dictionary<string, int>>(JoinArrivals.Count, StringComparer.Ordinal);
        foreach (var (join, arrivals) in JoinArrivals)
        {
            joins[join] = new Dictionary<string, int>(arrivals, StringComparer.Ordinal);
        }

        return new DossierState
        {
            Stage = Stage,
            IsFinished = IsFinished,
            ReceivingUnit = ReceivingUnit,
            Variables = variables,
            Tasks = Tasks.ConvertAll(t => t.Clone()),
            UnitMoves = new Dictionary<string, string>(UnitMoves, StringComparer.Ordinal),
            JoinArrivals = joins,
            CompletedSteps = CompletedSteps,
            SupplementRequests = SupplementRequests,
            ReceivedAt = ReceivedAt,
            ResultReadyAt = ResultReadyAt,
            ReturnedAt = ReturnedAt,
            StoppedAt = StoppedAt,
            AppointmentAt = AppointmentAt,
            DueAt = DueAt,
            CalendarVersion = CalendarVersion,
            Pauses = Pauses.ConvertAll(p => p.Clone()),
            Apology = Apology?.Clone(),
            Verdict = Verdict,
            StopKind = StopKind,
            Withdrawal = Withdrawal?.Clone(),
        };
    }
}
