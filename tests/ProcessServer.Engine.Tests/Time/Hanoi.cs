using ProcessServer.Engine.Time;

namespace ProcessServer.Engine.Tests.Time;

/// <summary>
/// Instants written as Vietnamese wall-clock times. Vietnam is UTC+7 all year; the offset is applied
/// here by hand rather than through the calendar so that the tests do not check the code with itself.
/// </summary>
internal static class Hanoi
{
    public static readonly WorkingTime Clock = new(WorkingCalendar.VietnamGovernment2024To2026());

    /// <summary>The UTC instant of a local time in Vietnam.</summary>
    public static DateTime At(int year, int month, int day, int hour, int minute, int second = 0) =>
        new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddHours(-7);

    /// <summary>The close of office hours (17:00 local) on a date.</summary>
    public static DateTime EndOf(int year, int month, int day) => At(year, month, day, 17, 0);
}
