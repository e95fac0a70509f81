using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Time;

/// <summary>
/// Deadline arithmetic on a <see cref="WorkingCalendar"/>: when the clock starts, when a limit in
/// working days or working time falls due, how a pause moves it, and how a completion is judged.
/// </summary>
/// <remarks>
/// <para>Every instant in and out is UTC (<see cref="DateTimeKind.Unspecified"/> is read as UTC,
/// because that is how the store returns it; <see cref="DateTimeKind.Local"/> is refused). Office
/// hours are counted on the calendar's local wall clock. Nothing here reads the clock.</para>
/// <para>Day-based limits follow Civil Code 2015 Art. 147: the day the clock starts on (the
/// <em>receipt day</em>) is not counted, day 1 is the next working day, and the limit falls due at
/// the close of office hours on day N. A receipt outside office hours is deemed made when the next
/// office period opens, so a dossier filed on Saturday has Monday as its receipt day and Tuesday as
/// day 1.</para>
/// </remarks>
public sealed class WorkingTime
{
    /// <summary>Binds the arithmetic to a calendar.</summary>
    public WorkingTime(WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        Calendar = calendar;
    }

    /// <summary>The calendar the arithmetic runs on.</summary>
    public WorkingCalendar Calendar { get; }

    /// <summary>Whether offices work on <paramref name="date"/>.</summary>
    public bool IsWorkingDay(DateOnly date) => Calendar.IsWorkingDay(date);

    /// <summary>Office minutes in one working day (450 for 07:30–11:30 and 13:30–17:00).</summary>
    public int WorkingMinutesPerDay => Calendar.WorkingMinutesPerDay;

    /// <summary>Local wall-clock time of a UTC instant, in the calendar's zone.</summary>
    public DateTime ToLocalTime(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(AsUtc(utc, nameof(utc)), Calendar.TimeZone);

    /// <summary>UTC instant of a local wall-clock time in the calendar's zone; a time skipped by a daylight-saving change moves forward to the first valid minute.</summary>
    public DateTime ToUtc(DateTime local)
    {
        var wallClock = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        while (Calendar.TimeZone.IsInvalidTime(wallClock))
        {
            wallClock = wallClock.AddMinutes(1);
        }

        return TimeZoneInfo.ConvertTimeToUtc(wallClock, Calendar.TimeZone);
    }

    /// <summary>A budget in (possibly fractional) working days as office time: <paramref name="days"/> × <see cref="WorkingMinutesPerDay"/> minutes.</summary>
    public TimeSpan WorkingDaysToTime(decimal days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        return TimeSpan.FromTicks((long)Math.Round(days * Calendar.WorkingDayLength.Ticks, MidpointRounding.AwayFromZero));
    }

    /// <summary>Office time presented as working days (fractional), the inverse of <see cref="WorkingDaysToTime"/>.</summary>
    public decimal TimeToWorkingDays(TimeSpan workingTime) => (decimal)workingTime.Ticks / Calendar.WorkingDayLength.Ticks;

    /// <summary>The UTC instant offices close on <paramref name="date"/> (end of the last office period).</summary>
    public DateTime EndOfOfficeHours(DateOnly date) => ToUtc(date.ToDateTime(Calendar.ClosingTime));

    /// <summary>
    /// When the clock starts for something received at <paramref name="receivedUtc"/>: that instant if
    /// it falls in an office period of a working day, otherwise the start of the next office period
    /// (13:30 for a receipt in the lunch break, 07:30 of the next working day after closing or on a day off).
    /// </summary>
    public DateTime StartOfCounting(DateTime receivedUtc)
    {
        var local = ToLocalTime(receivedUtc);
        var day = DateOnly.FromDateTime(local);
        var time = TimeOnly.FromDateTime(local);
        if (Calendar.IsWorkingDay(day))
        {
            foreach (var period in Calendar.OfficeHours)
            {
                if (time < period.End)
                {
                    return time < period.Start ? ToUtc(day.ToDateTime(period.Start)) : AsUtc(receivedUtc, nameof(receivedUtc));
                }
            }
        }

        return ToUtc(Calendar.NextWorkingDay(day).ToDateTime(Calendar.OpeningTime));
    }

    /// <summary>The local date of <see cref="StartOfCounting"/>: the day not counted by a day-based limit.</summary>
    public DateOnly ReceiptDay(DateTime receivedUtc) => DateOnly.FromDateTime(ToLocalTime(StartOfCounting(receivedUtc)));

    /// <summary>
    /// Due instant of a limit of <paramref name="days"/> working days for a dossier received at <paramref name="receivedUtc"/>.
    /// </summary>
    /// <remarks>
    /// <para>The limit is a budget of <paramref name="days"/> × <see cref="WorkingMinutesPerDay"/> minutes of office time.
    /// With one whole day or more the budget starts at the close of the receipt day, which is not counted
    /// (Civil Code Art. 147(2)): whole days end at the close of day N, and a fraction runs on into the next
    /// working day (from Monday 10:00, 2 days is due Wednesday 17:00 and 2.5 days Thursday 11:15).</para>
    /// <para>Under one day the limit is really a number of hours, counted from the start of counting
    /// (Art. 147(1)): 0.5 day from Monday 10:00 is due Monday 15:45. So the due instant never moves back
    /// when the limit grows.</para>
    /// </remarks>
    public DateTime AddWorkingDays(DateTime receivedUtc, decimal days) => DueFrom(receivedUtc, WorkingDaysToTime(days));

    /// <summary>
    /// Due instant of a "within the day of receipt" procedure: the close of the receipt date when received on a
    /// working day before <see cref="WorkingCalendar.SameDayCutOff"/> (before opening counts), otherwise the close
    /// of the next working day. A receipt at exactly the cut-off time belongs to the next day.
    /// </summary>
    public DateTime SameDayDue(DateTime receivedUtc)
    {
        var local = ToLocalTime(receivedUtc);
        var day = DateOnly.FromDateTime(local);
        var dueDay = Calendar.IsWorkingDay(day) && TimeOnly.FromDateTime(local) < Calendar.SameDayCutOff
            ? day
            : Calendar.NextWorkingDay(day);
        return EndOfOfficeHours(dueDay);
    }

    /// <summary>
    /// The earliest instant by which <paramref name="workingTime"/> of office time has passed since
    /// <paramref name="startUtc"/>, skipping breaks, nights and days off. A budget that runs out at the end of
    /// a period is due at that end (11:30, not 13:30). Used for step budgets: "0.5 day" is
    /// <see cref="WorkingDaysToTime"/>(0.5).
    /// </summary>
    public DateTime AddWorkingTime(DateTime startUtc, TimeSpan workingTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workingTime, TimeSpan.Zero);
        var start = AsUtc(startUtc, nameof(startUtc));
        if (workingTime == TimeSpan.Zero)
        {
            return start;
        }

        var cursor = ToLocalTime(start);
        var remaining = workingTime;
        for (var day = DateOnly.FromDateTime(cursor); ; day = day.AddDays(1))
        {
            if (!Calendar.IsWorkingDay(day))
            {
                continue;
            }

            foreach (var period in Calendar.OfficeHours)
            {
                var end = day.ToDateTime(period.End);
                if (end <= cursor)
                {
                    continue;
                }

                var from = Max(day.ToDateTime(period.Start), cursor);
                var available = end - from;
                if (remaining <= available)
                {
                    return ToUtc(from + remaining);
                }

                remaining -= available;
            }
        }
    }

    /// <summary>Office time between two instants; zero when <paramref name="toUtc"/> is not after <paramref name="fromUtc"/>.</summary>
    public TimeSpan WorkingTimeBetween(DateTime fromUtc, DateTime toUtc)
    {
        var from = ToLocalTime(fromUtc);
        var to = ToLocalTime(toUtc);
        var total = TimeSpan.Zero;
        for (var day = DateOnly.FromDateTime(from); day <= DateOnly.FromDateTime(to); day = day.AddDays(1))
        {
            if (!Calendar.IsWorkingDay(day))
            {
                continue;
            }

            foreach (var period in Calendar.OfficeHours)
            {
                var overlap = Min(day.ToDateTime(period.End), to) - Max(day.ToDateTime(period.Start), from);
                if (overlap > TimeSpan.Zero)
                {
                    total += overlap;
                }
            }
        }

        return total;
    }

    /// <summary>
    /// The due instant after a clock pause (supplement requested at <paramref name="pausedAtUtc"/>, documents received
    /// at <paramref name="resumedAtUtc"/>), for a limit of <paramref name="limitDays"/> working days whose due instant
    /// before the pause was <paramref name="dueUtc"/>. Call once per pause, passing the previous result as the due instant.
    /// </summary>
    /// <remarks>
    /// <para>The day the clock resumes is treated like the receipt day: it is not counted, day 1 is the next working day.</para>
    /// <para><see cref="PausePolicy.Resume"/>: the office time left between the pause and the old due instant (never more
    /// than the whole limit, so a pause on the uncounted receipt day gives the limit back in full) runs again from the
    /// resumption, with the same rule as <see cref="AddWorkingDays"/>.
    /// <see cref="PausePolicy.Restart"/>: the whole limit runs again from the resumption.</para>
    /// <para>A pause that starts at or after the due instant does not move it under either policy: the limit had
    /// already run out, and a late request for documents must not turn a late dossier into an on-time one.</para>
    /// </remarks>
    public DateTime DueAfterPause(DateTime dueUtc, decimal limitDays, DateTime pausedAtUtc, DateTime resumedAtUtc, PausePolicy policy)
    {
        var due = AsUtc(dueUtc, nameof(dueUtc));
        var paused = AsUtc(pausedAtUtc, nameof(pausedAtUtc));
        var resumed = AsUtc(resumedAtUtc, nameof(resumedAtUtc));
        ArgumentOutOfRangeException.ThrowIfLessThan(resumed, paused, nameof(resumedAtUtc));
        var limit = WorkingDaysToTime(limitDays);

        if (paused >= due)
        {
            return due;
        }

        return policy switch
        {
            PausePolicy.Resume => DueFrom(resumed, Min(WorkingTimeBetween(paused, due), limit)),
            PausePolicy.Restart => DueFrom(resumed, limit),
            _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown pause policy"),
        };
    }

    /// <summary>
    /// Early if completed on a local date before the due date, on time if completed on the due date at or before
    /// the due instant, late if completed after the due instant (DOMAIN §4.5).
    /// </summary>
    public Verdict Judge(DateTime completedUtc, DateTime dueUtc)
    {
        var completed = AsUtc(completedUtc, nameof(completedUtc));
        var due = AsUtc(dueUtc, nameof(dueUtc));
        if (completed > due)
        {
            return Verdict.Late;
        }

        return DateOnly.FromDateTime(ToLocalTime(completed)) < DateOnly.FromDateTime(ToLocalTime(due))
            ? Verdict.Early
            : Verdict.OnTime;
    }

    /// <summary>Whether a dossier still in progress at <paramref name="atUtc"/> is overdue then: its due instant has passed (DOMAIN §4.6).</summary>
    public static bool IsOverdue(DateTime dueUtc, DateTime atUtc) => AsUtc(dueUtc, nameof(dueUtc)) < AsUtc(atUtc, nameof(atUtc));

    /// <summary>The cut-off of a report period ending on <paramref name="lastDay"/>: local midnight at the end of that day, as UTC.</summary>
    public DateTime ReportCutOff(DateOnly lastDay) => ToUtc(lastDay.AddDays(1).ToDateTime(TimeOnly.MinValue));

    private static DateTime AsUtc(DateTime instant, string parameter) => instant.Kind switch
    {
        DateTimeKind.Utc => instant,
        DateTimeKind.Unspecified => DateTime.SpecifyKind(instant, DateTimeKind.Utc),
        _ => throw new ArgumentException("expected a UTC instant, got a local time of this machine", parameter),
    };

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private DateTime DueFrom(DateTime startUtc, TimeSpan budget)
    {
        // A whole day or more is a day-based limit: the start day is free and counting begins at its close.
        var anchor = budget >= Calendar.WorkingDayLength
            ? EndOfOfficeHours(ReceiptDay(startUtc))
            : StartOfCounting(startUtc);
        return AddWorkingTime(anchor, budget);
    }
}
