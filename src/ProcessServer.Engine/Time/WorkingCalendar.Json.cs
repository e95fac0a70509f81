using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;

namespace ProcessServer.Engine.Time;

/// <content>The calendar file format, so that administrators can edit calendars and the server can version them.</content>
public sealed partial class WorkingCalendar
{
    private const string DateFormat = "yyyy-MM-dd";
    private const string TimeFormat = "HH:mm";
    private const string VietnamResourceName = "ProcessServer.Engine.Time.vietnam-government-2024-2026.calendar.json";

    private static readonly JsonSerializerOptions FileOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,

        // Calendars are read and edited by people: holiday names stay Vietnamese letters, not \u escapes.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,

        // A misspelt property ("dayOff") would otherwise drop a whole list of holidays without a word.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private static readonly Lazy<WorkingCalendar> Vietnam2024To2026 = new(LoadVietnam2024To2026);

    /// <summary>
    /// Vietnamese government offices, 2024–2026: the holidays, compensatory and swapped days off of
    /// DOMAIN §8 and the make-up working Saturdays 04/05/2024, 26/04/2025, 10/01/2026 and 22/08/2026.
    /// Vietnamese Culture Day (24/11/2026) is not included: it was not confirmed as a holiday.
    /// </summary>
    public static WorkingCalendar VietnamGovernment2024To2026() => Vietnam2024To2026.Value;

    /// <summary>
    /// Reads a calendar file:
    /// <c>{"description", "timeZone", "officeHours":[{"start":"07:30","end":"11:30"}], "weekendDays":["Saturday"],
    /// "sameDayCutOff":"15:00", "daysOff":[{"date":"2025-01-01","name":"…"}], "workingDays":[{"date","name"}]}</c>.
    /// Dates are <c>yyyy-MM-dd</c>, times <c>HH:mm</c> local; omitted properties take the constructor defaults.
    /// </summary>
    /// <exception cref="CalendarFormatException">The text is not a valid calendar; the message names the entry at fault.</exception>
    public static WorkingCalendar FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);

        CalendarDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<CalendarDocument>(json, FileOptions);
        }
        catch (JsonException e)
        {
            throw new CalendarFormatException($"calendar JSON is not valid at {e.Path ?? "$"}: {e.Message}", e);
        }

        if (document is null)
        {
            throw new CalendarFormatException("calendar JSON is null; expected an object");
        }

        var officeHours = document.OfficeHours?.Select((p, i) => ReadPeriod(p, i)).ToArray();
        var weekendDays = document.WeekendDays?.Select((d, i) => ReadDayOfWeek(d, i)).ToArray();
        var cutOff = document.SameDayCutOff is null ? (TimeOnly?)null : ReadTime(document.SameDayCutOff, "sameDayCutOff");
        var daysOff = document.DaysOff?.Select((d, i) => ReadDay(d, "daysOff", i)).ToArray();
        var workingDays = document.WorkingDays?.Select((d, i) => ReadDay(d, "workingDays", i)).ToArray();

        try
        {
            return new WorkingCalendar(
                document.TimeZone ?? DefaultTimeZoneId,
                officeHours,
                weekendDays,
                daysOff,
                workingDays,
                cutOff,
                document.Description);
        }
        catch (ArgumentException e)
        {
            throw new CalendarFormatException($"calendar JSON: {e.Message}", e);
        }
    }

    /// <summary>Writes the calendar in the format <see cref="FromJson"/> reads, every property explicit, dates in order.</summary>
    public string ToJson() => JsonSerializer.Serialize(
        new CalendarDocument
        {
            Description = Description,
            TimeZone = TimeZoneId,
            OfficeHours = [.. OfficeHours.Select(p => new PeriodDocument { Start = Format(p.Start), End = Format(p.End) })],
            WeekendDays = [.. WeekendDays.Select(d => d.ToString())],
            SameDayCutOff = Format(SameDayCutOff),
            DaysOff = [.. DaysOff.Select(ToDocument)],
            WorkingDays = [.. WorkingDays.Select(ToDocument)],
        },
        FileOptions);

    private static WorkingCalendar LoadVietnam2024To2026()
    {
        using var stream = typeof(WorkingCalendar).Assembly.GetManifestResourceStream(VietnamResourceName)
            ?? throw new InvalidOperationException($"embedded resource {VietnamResourceName} is missing from the engine assembly");
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd());
    }

    private static OfficePeriod ReadPeriod(PeriodDocument? period, int index)
    {
        var entry = $"officeHours[{index}]";
        if (period is null)
        {
            throw new CalendarFormatException($"{entry} is null; expected {{\"start\":\"07:30\",\"end\":\"11:30\"}}");
        }

        return new OfficePeriod(
            ReadTime(period.Start, $"{entry}.start"),
            ReadTime(period.End, $"{entry}.end"));
    }

    private static TimeOnly ReadTime(string? text, string entry) =>
        TimeOnly.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)
            ? time
            : throw new CalendarFormatException(text is null
                ? $"{entry} is missing; write HH:mm, e.g. 07:30"
                : $"{entry}: \"{text}\" is not a time; write HH:mm, e.g. 07:30");

    private static DayOfWeek ReadDayOfWeek(string? text, int index)
    {
        // Enum.TryParse would also take "6" or "1, 2"; only names are meant here.
        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            if (string.Equals(day.ToString(), text, StringComparison.OrdinalIgnoreCase))
            {
                return day;
            }
        }

        throw new CalendarFormatException($"weekendDays[{index}]: \"{text}\" is not a day of the week; write e.g. Saturday");
    }

    private static NamedDate ReadDay(DayDocument? day, string list, int index)
    {
        if (day is null)
        {
            throw new CalendarFormatException($"{list}[{index}] is null; expected {{\"date\":\"yyyy-MM-dd\",\"name\":\"…\"}}");
        }

        var entry = day.Name is null ? $"{list}[{index}]" : $"{list}[{index}] (\"{day.Name}\")";
        if (!DateOnly.TryParseExact(day.Date, DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            throw new CalendarFormatException(day.Date is null
                ? $"{entry}: date is missing; write yyyy-MM-dd"
                : $"{entry}: date \"{day.Date}\" is not a valid date; write yyyy-MM-dd");
        }

        if (string.IsNullOrWhiteSpace(day.Name))
        {
            throw new CalendarFormatException($"{entry} {Format(date)}: name is missing; say why the day is special");
        }

        return new NamedDate(date, day.Name);
    }

    private static DayDocument ToDocument(NamedDate day) => new() { Date = Format(day.Date), Name = day.Name };

    private static string Format(TimeOnly time) => time.ToString(TimeFormat, CultureInfo.InvariantCulture);

    private sealed class CalendarDocument
    {
        public string? Description { get; init; }

        public string? TimeZone { get; init; }

        public IReadOnlyList<PeriodDocument?>? OfficeHours { get; init; }

        public IReadOnlyList<string?>? WeekendDays { get; init; }

        public string? SameDayCutOff { get; init; }

        public IReadOnlyList<DayDocument?>? DaysOff { get; init; }

        public IReadOnlyList<DayDocument?>? WorkingDays { get; init; }
    }

    private sealed class PeriodDocument
    {
        public string? Start { get; init; }

        public string? End { get; init; }
    }

    private sealed class DayDocument
    {
        public string? Date { get; init; }

        public string? Name { get; init; }
    }
}
