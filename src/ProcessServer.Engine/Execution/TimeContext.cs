using System.Text.Json.Serialization;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Time;

namespace ProcessServer.Engine.Execution;

/// <summary>
/// The calendar a transition counts time with. Passed per transition, not held by the interpreter,
/// because administrators edit the calendar at run time and each dossier records the calendar
/// version its dates were computed with.
/// </summary>
/// <param name="Time">Working-time arithmetic over the calendar.</param>
/// <param name="CalendarVersion">Version of the stored calendar.</param>
/// <param name="WarningShare">Share of a step's time after which a warning is due (0.8 = 80 %).</param>
public sealed record TimeContext(WorkingTime Time, int CalendarVersion, decimal WarningShare = 0.8m)
{
    /// <summary>
    /// Due and warning instants of a task started at <paramref name="startedAt"/>: only counted steps
    /// with a positive limit have them (payments, hand-overs and steps outside the limit do not).
    /// </summary>
    public (DateTime? Due, DateTime? Warn) StepDeadlines(TaskTemplate template, DateTime startedAt)
    {
        if (template.Kind == TaskKind.Step && !template.PausesClock && template.TimeLimitDays is > 0 and { } days)
        {
            var start = Time.StartOfCounting(startedAt);
            return (Time.AddWorkingTime(start, Time.WorkingDaysToTime(days)), Time.AddWorkingTime(start, Time.WorkingDaysToTime(days * WarningShare)));
        }

        return (null, null);
    }
}

/// <summary>Why the dossier's clock is stopped.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PauseReason>))]
public enum PauseReason
{
    /// <summary>Waiting for documents from the applicant (national status 5).</summary>
    Supplement,

    /// <summary>Waiting for the applicant's financial obligation (national status 6).</summary>
    Payment,

    /// <summary>Only steps outside the time limit are running (tax determination, public posting).</summary>
    OutsideLimit,

    /// <summary>The applicant asked to withdraw; nothing runs until a leader decides (national status 7).</summary>
    Withdrawal,
}

/// <summary>An interval on the dossier's timeline during which its clock did not run.</summary>
public sealed class ClockPause
{
    /// <summary>Why.</summary>
    public PauseReason Reason { get; set; }

    /// <summary>Start (UTC).</summary>
    public DateTime StartedAt { get; set; }

    /// <summary>End (UTC), null while the pause lasts.</summary>
    public DateTime? EndedAt { get; set; }

    /// <summary>Due instant before the pause.</summary>
    public DateTime? DueBefore { get; set; }

    /// <summary>Due instant after the pause, per the procedure's pause policy.</summary>
    public DateTime? DueAfter { get; set; }

    /// <summary>A copy (every member is a value).</summary>
    internal ClockPause Clone() => (ClockPause)MemberwiseClone();
}

/// <summary>The apology and new appointment (form 04); allowed once, before the due date.</summary>
public sealed class ApologyRecord
{
    /// <summary>When it was issued (UTC).</summary>
    public DateTime IssuedAt { get; set; }

    /// <summary>Who issued it.</summary>
    public string IssuedBy { get; set; } = string.Empty;

    /// <summary>The reason given to the applicant.</summary>
    public string Reason { get; set; } = string.Empty;

    /// <summary>The due instant the apology replaced (UTC).</summary>
    public DateTime PreviousDueAt { get; set; }

    /// <summary>The new appointment (UTC).</summary>
    public DateTime NewDueAt { get; set; }

    /// <summary>A copy (every member is a value or a string).</summary>
    internal ApologyRecord Clone() => (ApologyRecord)MemberwiseClone();
}
