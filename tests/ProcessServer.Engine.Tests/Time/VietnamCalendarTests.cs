using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;

namespace ProcessServer.Engine.Tests.Time;

public class VietnamCalendarTests
{
    private static readonly WorkingCalendar Calendar = WorkingCalendar.VietnamGovernment2024To2026();

    [Theory]
    [InlineData(2024, 251)]
    [InlineData(2025, 250)]
    [InlineData(2026, 250)]
    public void Working_days_per_year_are_those_stated_in_DOMAIN_8(int year, int expected)
    {
        Calendar.CountWorkingDays(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)).Should().Be(expected);
    }

    [Theory]
    [InlineData("2024-05-04")]
    [InlineData("2025-04-26")]
    [InlineData("2026-01-10")]
    [InlineData("2026-08-22")]
    public void Make_up_Saturdays_are_working_days(string date)
    {
        var day = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);

        day.DayOfWeek.Should().Be(DayOfWeek.Saturday);
        Calendar.IsWorkingDay(day).Should().BeTrue();
        Calendar.DescribeDay(day).Should().Contain("make-up working Saturday");
    }

    [Theory]
    [InlineData("2024-02-13")] // compensatory, Tết days on the weekend
    [InlineData("2024-04-29")] // swapped for Sat 04/05/2024
    [InlineData("2025-01-27")] // Tết Ất Tỵ
    [InlineData("2025-05-02")] // swapped for Sat 26/04/2025
    [InlineData("2025-09-01")] // National Day, adjacent day
    [InlineData("2026-01-02")] // swapped for Sat 10/01/2026
    [InlineData("2026-04-27")] // compensatory, Hung Kings on Sunday
    [InlineData("2026-08-31")] // swapped for Sat 22/08/2026
    public void Holidays_compensatory_and_swapped_weekdays_are_days_off(string date)
    {
        var day = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);

        day.DayOfWeek.Should().NotBe(DayOfWeek.Saturday).And.NotBe(DayOfWeek.Sunday);
        Calendar.IsWorkingDay(day).Should().BeFalse();
    }

    [Fact]
    public void Ordinary_weekends_are_off_and_ordinary_weekdays_are_worked()
    {
        Calendar.IsWorkingDay(new DateOnly(2025, 3, 8)).Should().BeFalse("an ordinary Saturday");
        Calendar.IsWorkingDay(new DateOnly(2025, 3, 9)).Should().BeFalse("an ordinary Sunday");
        Calendar.IsWorkingDay(new DateOnly(2025, 3, 10)).Should().BeTrue("an ordinary Monday");
        Calendar.DescribeDay(new DateOnly(2025, 3, 10)).Should().BeNull();
    }

    [Fact]
    public void Vietnamese_Culture_Day_2026_is_not_a_day_off_because_it_is_unconfirmed()
    {
        Calendar.IsWorkingDay(new DateOnly(2026, 11, 24)).Should().BeTrue();
        Calendar.Description.Should().Contain("24/11/2026");
    }

    [Fact]
    public void Calendar_holds_the_40_confirmed_days_off_and_the_4_make_up_Saturdays()
    {
        Calendar.DaysOff.Should().HaveCount(40).And.BeInAscendingOrder(d => d.Date);
        Calendar.WorkingDays.Select(d => d.Date).Should().Equal(
            new DateOnly(2024, 5, 4), new DateOnly(2025, 4, 26), new DateOnly(2026, 1, 10), new DateOnly(2026, 8, 22));
    }

    [Fact]
    public void Default_office_hours_are_07_30_to_11_30_and_13_30_to_17_00_giving_450_minutes_a_day()
    {
        Calendar.TimeZoneId.Should().Be("Asia/Ho_Chi_Minh");
        Calendar.OfficeHours.Should().Equal(
            new OfficePeriod(new TimeOnly(7, 30), new TimeOnly(11, 30)),
            new OfficePeriod(new TimeOnly(13, 30), new TimeOnly(17, 0)));
        Calendar.WorkingMinutesPerDay.Should().Be(450);
        Calendar.SameDayCutOff.Should().Be(new TimeOnly(15, 0));
        Calendar.WeekendDays.Should().Equal(DayOfWeek.Saturday, DayOfWeek.Sunday);
    }

    [Fact]
    public void Vietnam_calendar_equals_a_calendar_built_in_code_from_the_same_data()
    {
        var built = new WorkingCalendar(
            daysOff: Calendar.DaysOff.Reverse(),
            workingDays: Calendar.WorkingDays,
            description: Calendar.Description);

        built.Should().Be(Calendar);
        built.GetHashCode().Should().Be(Calendar.GetHashCode());
        new WorkingCalendar(daysOff: Calendar.DaysOff.Skip(1), workingDays: Calendar.WorkingDays, description: Calendar.Description)
            .Should().NotBe(Calendar);
    }
}
