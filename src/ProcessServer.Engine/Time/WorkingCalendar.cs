using System.Globalization;

namespace ProcessServer.Engine.Time;

/// <summary>
/// Which days and hours government offices work: time zone, office periods, weekend, extra days off
/// and make-up working days. Immutable; two calendars with the same content are equal, so a stored
/// calendar version can be compared with an edited one.
/// </summary>
/// <remarks>
/// Schedules are published late and change (DOMAIN §4.1), so a calendar is data, loaded from JSON
/// (<see cref="FromJson"/>), never code. Dates outside the years the data covers are treated as
/// ordinary weeks: a calendar without 2027 holidays counts every 2027 weekday as a working day.
/// </remarks>
public sealed partial class WorkingCalendar : IEquatable<WorkingCalendar>
{
    /// <summary>The zone of Vietnamese administrations.</summary>
    public const string DefaultTimeZoneId = "Asia/Ho_Chi_Minh";

    private readonly HashSet<DateOnly> _daysOff;
    private readonly HashSet<DateOnly> _workingDays;
    private readonly bool[] _weekend = new bool[7];

    /// <summary>Creates a calendar; every argument left out takes the Vietnamese government default.</summary>
    /// <param name="timeZoneId">IANA (or Windows) zone id; default <see cref="DefaultTimeZoneId"/>.</param>
    /// <param name="officeHours">Office periods of every working day, in order, not overlapping; default 07:30–11:30 and 13:30–17:00.</param>
    /// <param name="weekendDays">Days of the week not worked unless listed in <paramref name="workingDays"/>; default Saturday and Sunday.</param>
    /// <param name="daysOff">Holidays, compensatory and swapped days off. Weekend dates are accepted (statutory holidays that fell on a weekend are kept for the record).</param>
    /// <param name="workingDays">Weekend dates worked in exchange for a swapped day off.</param>
    /// <param name="sameDayCutOff">Receipts from this local time on are due the next working day for same-day procedures; default 15:00.</param>
    /// <param name="description">Free text for administrators: source, what was left out and why.</param>
    /// <exception cref="ArgumentException">The zone is unknown, or the data is inconsistent; the message names the entry.</exception>
    public WorkingCalendar(
        string timeZoneId = DefaultTimeZoneId,
        IEnumerable<OfficePeriod>? officeHours = null,
        IEnumerable<DayOfWeek>? weekendDays = null,
        IEnumerable<NamedDate>? daysOff = null,
        IEnumerable<NamedDate>? workingDays = null,
        TimeOnly? sameDayCutOff = null,
        string? description = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(timeZoneId);
        TimeZoneId = timeZoneId;
        TimeZone = FindZone(timeZoneId);
        Description = string.IsNullOrWhiteSpace(description) ? null : description;

        OfficeHours = ValidatePeriods(officeHours?.ToArray() ?? DefaultOfficeHours());
        WorkingDayLength = TimeSpan.FromTicks(OfficeHours.Sum(p => p.Length.Ticks));

        WeekendDays = [.. (weekendDays ?? [DayOfWeek.Saturday, DayOfWeek.Sunday]).Distinct().OrderBy(MondayFirst)];
        if (WeekendDays.Count == 7)
        {
            // With no working weekday the arithmetic would search forever for the next working day.
            throw new ArgumentException("every day of the week is a weekend day; at least one must be worked", nameof(weekendDays));
        }

        foreach (var day in WeekendDays)
        {
            _weekend[(int)day] = true;
        }

        SameDayCutOff = sameDayCutOff ?? new TimeOnly(15, 0);

        DaysOff = SortedUnique(daysOff, "day off", nameof(daysOff));
        WorkingDays = SortedUnique(workingDays, "working day", nameof(workingDays));
        _daysOff = [.. DaysOff.Select(d => d.Date)];
        _workingDays = [.. WorkingDays.Select(d => d.Date)];

        foreach (var worked in WorkingDays)
        {
            var off = DaysOff.FirstOrDefault(d => d.Date == worked.Date);
            if (off is not null)
            {
                throw new ArgumentException(
                    $"{Format(worked.Date)} is listed both as a day off (\"{off.Name}\") and as a working day (\"{worked.Name}\")",
                    nameof(workingDays));
            }

            // A weekday in this list changes nothing, so it is almost certainly a mistyped date.
            if (!_weekend[(int)worked.Date.DayOfWeek])
            {
                throw new ArgumentException(
                    $"working day {Format(worked.Date)} (\"{worked.Name}\") is a {worked.Date.DayOfWeek}, not a weekend day; list only weekend days worked in exchange for a day off",
                    nameof(workingDays));
            }
        }
    }

    /// <summary>Zone id as configured.</summary>
    public string TimeZoneId { get; }

    /// <summary>The zone the office hours and dates are in.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Free text for administrators, or null.</summary>
    public string? Description { get; }

    /// <summary>Office periods of every working day (make-up Saturdays included), in order.</summary>
    public IReadOnlyList<OfficePeriod> OfficeHours { get; }

    /// <summary>Office time in one working day (7 h 30 min for the default hours).</summary>
    public TimeSpan WorkingDayLength { get; }

    /// <summary>Office minutes in one working day: 450 for the default hours. "1 day" of a budget is this many minutes.</summary>
    public int WorkingMinutesPerDay => (int)WorkingDayLength.TotalMinutes;

    /// <summary>Weekend days, Monday first.</summary>
    public IReadOnlyList<DayOfWeek> WeekendDays { get; }

    /// <summary>Extra days off, by date.</summary>
    public IReadOnlyList<NamedDate> DaysOff { get; }

    /// <summary>Make-up working days (weekend dates that are worked), by date.</summary>
    public IReadOnlyList<NamedDate> WorkingDays { get; }

    /// <summary>Local time from which a same-day procedure is due the next working day.</summary>
    public TimeOnly SameDayCutOff { get; }

    /// <summary>When the offices open on a working day.</summary>
    public TimeOnly OpeningTime => OfficeHours[0].Start;

    /// <summary>When the offices close on a working day.</summary>
    public TimeOnly ClosingTime => OfficeHours[^1].End;

    /// <summary>Whether offices work on <paramref name="date"/>.</summary>
    public bool IsWorkingDay(DateOnly date) =>
        _workingDays.Contains(date) || (!_weekend[(int)date.DayOfWeek] && !_daysOff.Contains(date));

    /// <summary>The first working day after <paramref name="date"/>.</summary>
    public DateOnly NextWorkingDay(DateOnly date) => NthWorkingDayAfter(date, 1);

    /// <summary>
    /// The <paramref name="count"/>-th working day after <paramref name="date"/>, not counting
    /// <paramref name="date"/> itself; <paramref name="date"/> when <paramref name="count"/> is 0.
    /// </summary>
    public DateOnly NthWorkingDayAfter(DateOnly date, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var day = date;
        while (count > 0)
        {
            day = day.AddDays(1);
            if (IsWorkingDay(day))
            {
                count--;
            }
        }

        return day;
    }

    /// <summary>Working days from <paramref name="first"/> to <paramref name="last"/>, both included; 0 when <paramref name="last"/> is earlier.</summary>
    public int CountWorkingDays(DateOnly first, DateOnly last)
    {
        var count = 0;
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            if (IsWorkingDay(day))
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The name of the day off or make-up working day on <paramref name="date"/>, or null for an ordinary day.</summary>
    public string? DescribeDay(DateOnly date) =>
        DaysOff.FirstOrDefault(d => d.Date == date)?.Name ?? WorkingDays.FirstOrDefault(d => d.Date == date)?.Name;

    /// <inheritdoc/>
    public bool Equals(WorkingCalendar? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (string.Equals(TimeZoneId, other.TimeZoneId, StringComparison.Ordinal)
                && string.Equals(Description, other.Description, StringComparison.Ordinal)
                && SameDayCutOff == other.SameDayCutOff
                && OfficeHours.SequenceEqual(other.OfficeHours)
                && WeekendDays.SequenceEqual(other.WeekendDays)
                && DaysOff.SequenceEqual(other.DaysOff)
                && WorkingDays.SequenceEqual(other.WorkingDays)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as WorkingCalendar);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(StringComparer.Ordinal.GetHashCode(TimeZoneId), SameDayCutOff, OfficeHours.Count, DaysOff.Count, WorkingDays.Count);

    private static OfficePeriod[] DefaultOfficeHours() =>
    [
        new(new TimeOnly(7, 30), new TimeOnly(11, 30)),
        new(new TimeOnly(13, 30), new TimeOnly(17, 0)),
    ];

    private static TimeZoneInfo FindZone(string timeZoneId)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"time zone \"{timeZoneId}\" is not known on this machine", nameof(timeZoneId), e);
        }
    }

    private static OfficePeriod[] ValidatePeriods(OfficePeriod[] officeHours)
    {
        if (officeHours.Length == 0)
        {
            // Without office time no budget could ever be used up.
            throw new ArgumentException("at least one office period is needed", nameof(officeHours));
        }

        for (var i = 0; i < officeHours.Length; i++)
        {
            var p = officeHours[i];
            if (p.End <= p.Start)
            {
                throw new ArgumentException($"office period {i + 1} ({Format(p)}) ends before it starts", nameof(officeHours));
            }

            // WorkingMinutesPerDay is a whole number, and budgets are read as minutes of a working day.
            if (p.Start.Ticks % TimeSpan.TicksPerMinute != 0 || p.End.Ticks % TimeSpan.TicksPerMinute != 0)
            {
                throw new ArgumentException($"office period {i + 1} ({Format(p)}) must start and end on whole minutes", nameof(officeHours));
            }

            if (i > 0 && p.Start < officeHours[i - 1].End)
            {
                throw new ArgumentException(
                    $"office period {i + 1} ({Format(p)}) starts before period {i} ({Format(officeHours[i - 1])}) ends; list periods in order without overlap",
                    nameof(officeHours));
            }
        }

        return officeHours;
    }

    private static NamedDate[] SortedUnique(IEnumerable<NamedDate>? days, string what, string parameter)
    {
        var list = (days ?? []).ToArray();
        if (Array.IndexOf(list, null) >= 0)
        {
            throw new ArgumentException($"a {what} entry is null", parameter);
        }

        var sorted = list.OrderBy(d => d.Date).ToArray();
        for (var i = 0; i < sorted.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(sorted[i].Name))
            {
                throw new ArgumentException($"{what} {Format(sorted[i].Date)} has no name; say why the day is special", parameter);
            }

            if (i > 0 && sorted[i].Date == sorted[i - 1].Date)
            {
                throw new ArgumentException(
                    $"{Format(sorted[i].Date)} is listed twice as a {what} (\"{sorted[i - 1].Name}\", \"{sorted[i].Name}\")",
                    parameter);
            }
        }

        return sorted;
    }

    private static int MondayFirst(DayOfWeek day) => ((int)day + 6) % 7;

    private static string Format(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    private static string Format(OfficePeriod period) =>
        $"{Format(period.Start)}–{Format(period.End)}";
}
