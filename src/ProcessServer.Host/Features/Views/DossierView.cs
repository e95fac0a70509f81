using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Views;

/// <summary>A dossier as clerks see it.</summary>
/// <param name="Id">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code printed on form 01.</param>
/// <param name="Procedure">Procedure and the exact version the dossier runs on.</param>
/// <param name="Applicant">Applicant.</param>
/// <param name="Channel">direct, online or postal.</param>
/// <param name="ReceivingUnit">Unit that received it.</param>
/// <param name="ReceivedAt">Receipt instant (UTC).</param>
/// <param name="Status">Internal status.</param>
/// <param name="NationalStatus">National status code and name.</param>
/// <param name="Version">Concurrency version; send it back in If-Match.</param>
/// <param name="CurrentTasks">Open tasks.</param>
/// <param name="Journal">Every step so far.</param>
/// <param name="Variables">Dossier variables.</param>
/// <param name="ResultReadyAt">When the result became ready.</param>
/// <param name="ReturnedAt">When the result was returned.</param>
/// <param name="StoppedAt">When processing stopped.</param>
/// <param name="Time">Appointment, due instant, pauses, apology and verdict.</param>
/// <param name="HeldBy">Who has the dossier now: per open task, the unit and the officer holding it (none while it waits in the unit's queue).</param>
public sealed record DossierView(
    string Id,
    string ReceiptCode,
    ProcedureRef Procedure,
    ApplicantView Applicant,
    string Channel,
    string ReceivingUnit,
    DateTime ReceivedAt,
    string Status,
    NationalStatusView NationalStatus,
    int Version,
    IReadOnlyList<TaskView> CurrentTasks,
    IReadOnlyList<JournalView> Journal,
    JsonObject Variables,
    DateTime? ResultReadyAt,
    DateTime? ReturnedAt,
    DateTime? StoppedAt,
    TimeView Time,
    IReadOnlyList<HolderView> HeldBy);

/// <summary>Where a running dossier is: a unit, and the officer in it who holds the task (null while it waits in the unit's queue).</summary>
/// <param name="TaskId">The open task.</param>
/// <param name="Title">Its step.</param>
/// <param name="UnitCode">The unit handling it.</param>
/// <param name="UnitName">That unit's name.</param>
/// <param name="Officer">The officer holding it, or null.</param>
/// <param name="Since">Since when the officer holds it, or since when it waits in the queue (UTC).</param>
public sealed record HolderView(string TaskId, string Title, string UnitCode, string UnitName, PersonView? Officer, DateTime? Since);

/// <summary>A person as views show them.</summary>
/// <param name="Id">Stable id (identity provider subject, or API key name).</param>
/// <param name="Name">Display name.</param>
public sealed record PersonView(string Id, string Name);

/// <summary>Who holds a task and how it came to them.</summary>
/// <param name="Id">The holder's id.</param>
/// <param name="Name">The holder's name.</param>
/// <param name="Since">Since when (UTC).</param>
/// <param name="Via">Claimed, Assigned or Delegated.</param>
/// <param name="By">Who assigned or delegated it.</param>
/// <param name="Reason">Reason given for an assignment or delegation.</param>
public sealed record AssigneeView(string Id, string Name, DateTime Since, string Via, PersonView? By, string? Reason);

/// <summary>The dossier's time limit as of the moment the view was made.</summary>
/// <param name="AppointmentAt">Appointment printed on the receipt (form 01), UTC.</param>
/// <param name="DueAt">Legal due instant, moved by clock pauses per the procedure's pause policy, UTC.</param>
/// <param name="ApologyDueAt">New appointment of the apology (form 04), UTC; the legal due instant is kept beside it.</param>
/// <param name="LimitStatus">WithinLimit, Overdue, Paused, NoLimit; once the result is ready Early, OnTime or Late; Stopped.</param>
/// <param name="Verdict">Early, OnTime or Late, judged when the result became ready.</param>
/// <param name="SupplementRequests">Supplement requests so far.</param>
/// <param name="OverdueBy766">More than one supplement request: the Decision 766 index counts the dossier as overdue.</param>
/// <param name="CalendarVersion">Calendar version the dates were computed with.</param>
/// <param name="Pauses">Intervals during which the clock did not run.</param>
/// <param name="Apology">The apology, when one was issued.</param>
public sealed record TimeView(
    DateTime? AppointmentAt,
    DateTime? DueAt,
    DateTime? ApologyDueAt,
    string LimitStatus,
    string? Verdict,
    int SupplementRequests,
    bool OverdueBy766,
    int? CalendarVersion,
    IReadOnlyList<ClockPause> Pauses,
    ApologyRecord? Apology);

/// <summary>Procedure version reference.</summary>
public sealed record ProcedureRef(string Code, string Name, int Version, string VersionId);

/// <summary>Applicant details.</summary>
public sealed record ApplicantView(string Name, string IdNumber, string? Phone, string? Email);

/// <summary>National status (DOMAIN.md §3.2).</summary>
public sealed record NationalStatusView(int Code, string Name, string NameVi);

/// <summary>An open task.</summary>
public sealed record TaskView(
    string Id,
    string ActivityId,
    string Kind,
    string Title,
    string UnitCode,
    string Role,
    string Status,
    decimal? TimeLimitDays,
    DateTime StartedAt,
    IReadOnlyList<string> AllowedOutcomes,
    DateTime? DueAt,
    DateTime? WarnAt,
    string DeadlineStatus,
    AssigneeView? Assignee,
    DateTime? QueuedSince,
    string Priority,
    DateTime? FollowUpAt);

/// <summary>A journal entry. <c>Timestamp</c> is when the act happened (occurred-at); <c>RecordedAt</c> when it was written down, by <c>RecordedBy</c>.</summary>
public sealed record JournalView(
    int Sequence,
    DateTime Timestamp,
    string Type,
    string? ActivityId,
    string? ActivityName,
    string? TaskId,
    string? UnitCode,
    string Actor,
    string? Outcome,
    string? Comment,
    DateTime? StartedAt,
    DateTime? CompletedAt,
    JsonNode? Data,
    string? ActorId,
    string? ActorName,
    string? ActedForUnit,
    DateTime RecordedAt,
    string? RecordedBy,
    string? EntryMode);

/// <summary>Builds <see cref="DossierView"/>s.</summary>
public static class DossierViews
{
    private static readonly Dictionary<int, (string En, string Vi)> NationalNames = new()
    {
        [1] = ("Submitted online, awaiting receipt", "Mới đăng ký"),
        [2] = ("Received", "Được tiếp nhận"),
        [3] = ("Refused at receipt", "Không được tiếp nhận"),
        [4] = ("Being processed", "Đang xử lý"),
        [5] = ("Supplement requested", "Yêu cầu bổ sung giấy tờ"),
        [6] = ("Awaiting financial obligation", "Yêu cầu thực hiện nghĩa vụ tài chính"),
        [7] = ("Applicant asked to withdraw", "Công dân yêu cầu rút hồ sơ"),
        [8] = ("Processing stopped", "Dừng xử lý"),
        [9] = ("Processing finished, result ready", "Đã xử lý xong"),
        [10] = ("Result returned", "Đã trả kết quả"),
    };

    /// <summary>The Vietnamese name of a national status code (as the national portal shows it).</summary>
    public static string NationalName(int code) => NationalNames.TryGetValue(code, out var name) ? name.Vi : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A national status code with its English and Vietnamese names.</summary>
    public static NationalStatusView National(int code)
    {
        var (en, vi) = NationalNames[code];
        return new NationalStatusView(code, en, vi);
    }

    /// <summary>The ETag of a dossier version.</summary>
    public static string ETag(int version) => $"\"{version}\"";

    /// <summary>Builds the view from a dossier row, its procedure name and its whole journal.</summary>
    /// <param name="dossier">The dossier row.</param>
    /// <param name="procedureName">Name of its definition version.</param>
    /// <param name="journal">Its whole journal.</param>
    /// <param name="now">The instant limit statuses are judged at (UTC).</param>
    /// <param name="units">The unit directory, for unit names (codes stand in without it).</param>
    public static DossierView Build(Dossier dossier, string procedureName, IEnumerable<JournalEntry> journal, DateTime now, UnitDirectory? units = null) =>
        Build(dossier, DossierState.FromJson(dossier.StateJson), procedureName, journal, now, units);

    /// <summary>Builds the view from a dossier row and its state already in memory (a transition's answer: no re-parse of what was just serialized).</summary>
    /// <remarks>
    /// The row's own instants are shown to the microsecond, as journal entries are
    /// (<see cref="ToView"/>): PostgreSQL keeps no more, so a transition's answer (from memory)
    /// and the dossier view (read back) show the same instant. The state's instants need no
    /// rounding: the state is JSON text on both stores.
    /// </remarks>
    /// <param name="dossier">The dossier row.</param>
    /// <param name="state">Its engine state, as <see cref="Dossier.StateJson"/> holds it.</param>
    /// <param name="procedureName">Name of its definition version.</param>
    /// <param name="journal">Its whole journal.</param>
    /// <param name="now">The instant limit statuses are judged at (UTC).</param>
    /// <param name="units">The unit directory, for unit names (codes stand in without it).</param>
    public static DossierView Build(Dossier dossier, DossierState state, string procedureName, IEnumerable<JournalEntry> journal, DateTime now, UnitDirectory? units = null)
    {
        var (en, vi) = NationalNames[dossier.NationalStatusCode];
        return new DossierView(
            dossier.Id,
            dossier.ReceiptCode,
            new ProcedureRef(dossier.ProcedureCode, procedureName, dossier.DefinitionVersion, dossier.DefinitionVersionId),
            new ApplicantView(dossier.ApplicantName, dossier.ApplicantIdNumber, dossier.ApplicantPhone, dossier.ApplicantEmail),
            dossier.Channel,
            dossier.ReceivingUnit,
            Microseconds(dossier.ReceivedAt),
            dossier.Status,
            new NationalStatusView(dossier.NationalStatusCode, en, vi),
            dossier.Version,
            state.Tasks.Select(t => new TaskView(t.Id, t.ActivityId, t.Kind.ToString(), t.Title, t.UnitCode, t.Role,
                t.Status.ToString(), t.TimeLimitDays, t.CreatedAt, t.CurrentOutcomes, t.DueAt, t.WarnAt, DeadlineStatus(t, now),
                t.Holder is { } h ? new AssigneeView(h.Id, h.Name, h.Since, h.Via, h.By is { } by ? new PersonView(by.Id, by.Name) : null, h.Reason) : null,
                t.Holder is null ? t.QueuedSince ?? t.CreatedAt : null, t.Priority.ToString(), t.FollowUpAt)).ToList(),
            journal.OrderBy(j => j.Sequence).Select(ToView).ToList(),
            new JsonObject(state.Variables.Select(kv => KeyValuePair.Create(kv.Key, kv.Value?.DeepClone()))),
            Microseconds(dossier.ResultReadyAt),
            Microseconds(dossier.ReturnedAt),
            Microseconds(dossier.StoppedAt),
            new TimeView(state.AppointmentAt, state.DueAt, state.Apology?.NewDueAt, LimitStatus(state, now), state.Verdict?.ToString(),
                state.SupplementRequests, state.SupplementRequests > 1, state.CalendarVersion, state.Pauses, state.Apology),
            state.Tasks.Select(t => new HolderView(t.Id, t.Title, t.UnitCode, units?.Find(t.UnitCode)?.Name ?? t.UnitCode,
                t.Holder is { } h ? new PersonView(h.Id, h.Name) : null, t.Holder?.Since ?? t.QueuedSince ?? t.CreatedAt)).ToList());
    }

    /// <summary>A journal entry as views show it.</summary>
    /// <remarks>
    /// Its instants are shown to the microsecond: PostgreSQL keeps no more, so an entry shows the
    /// same whether it is written from memory (a transition's answer) or read back (the dossier
    /// view, a replayed answer, which splices the stored entries in) on either store.
    /// </remarks>
    public static JournalView ToView(JournalEntry j) => new(j.Sequence, Microseconds(j.Timestamp), j.Type, j.ActivityId,
        j.ActivityName, j.TaskId, j.UnitCode, j.Actor, j.Outcome, j.Comment, Microseconds(j.StartedAt), Microseconds(j.CompletedAt),
        j.DataJson is null ? null : JsonNode.Parse(j.DataJson), j.ActorId, j.ActorName, j.ActedForUnit, Microseconds(j.RecordedAt), j.RecordedBy, j.EntryMode);

    private static DateTime Microseconds(DateTime instant) => new(instant.Ticks - (instant.Ticks % 10), instant.Kind);

    private static DateTime? Microseconds(DateTime? instant) => instant is { } value ? Microseconds(value) : null;

    /// <summary>Where a running dossier stands against its limit at <paramref name="now"/> (DOMAIN §4.6).</summary>
    public static string LimitStatus(DossierState state, DateTime now) => state switch
    {
        { Stage: DossierStage.Stopped } => "Stopped",
        { Stage: DossierStage.Refused } => "Refused",
        { Verdict: { } verdict } => verdict.ToString(),
        { DueAt: null } => "NoLimit",
        { OpenPause: not null } => "Paused",
        _ when now > state.DueAt => "Overdue",
        _ => "WithinLimit",
    };

    /// <summary>A task's urgency: Overdue, Warning (past the warning share), OnTrack, Paused, or NoLimit.</summary>
    public static string DeadlineStatus(PendingTask task, DateTime now) => task switch
    {
        { DueAt: null } => "NoLimit",
        { Status: PendingTaskStatus.AwaitingSupplement } => "Paused",
        _ when now > task.DueAt => "Overdue",
        _ when task.WarnAt is { } warn && now >= warn => "Warning",
        _ => "OnTrack",
    };

    /// <summary>Serializes a view exactly as the API returns it (a <see cref="JournalSlot"/> in it notes where it was written).</summary>
    public static string Serialize(DossierView view) => JsonSerializer.Serialize(view, JournalSlot.Options);

    /// <summary>As <see cref="Serialize"/>, as UTF-8.</summary>
    public static byte[] SerializeToUtf8(DossierView view) => JsonSerializer.SerializeToUtf8Bytes(view, JournalSlot.Options);

    /// <summary>Name of a definition version.</summary>
    public static Task<string> ProcedureNameAsync(ProcessServerDbContext db, string versionId, CancellationToken cancellationToken) =>
        db.WorkflowDefinitions.AsNoTracking().Where(d => d.Id == versionId).Select(d => d.Name).SingleAsync(cancellationToken);

    /// <summary>Whether the caller may see a dossier: it was received in, or has passed through, one of their units.</summary>
    public static async Task<bool> CanSeeAsync(ProcessServerDbContext db, Caller caller, Dossier dossier, CancellationToken cancellationToken)
    {
        if (caller.IsAdministrator || caller.Units.Contains(dossier.ReceivingUnit))
        {
            return true;
        }

        var units = caller.Units.ToList();
        return await db.Tasks.AnyAsync(t => t.DossierId == dossier.Id && units.Contains(t.UnitCode), cancellationToken);
    }
}
