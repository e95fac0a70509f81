using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;
using static ProcessServer.Engine.Tests.Time.Hanoi;

namespace ProcessServer.Engine.Tests.Time;

/// <summary>Office-time budgets of steps (<see cref="WorkingTime.AddWorkingTime"/>) and elapsed office time.</summary>
public class WorkingTimeTests
{
    private static readonly TimeSpan HalfDay = Clock.WorkingDaysToTime(0.5m);

    [Fact]
    public void Half_a_day_is_225_minutes_with_450_minute_days()
    {
        HalfDay.Should().Be(TimeSpan.FromMinutes(225));
        Clock.WorkingMinutesPerDay.Should().Be(450);
        Clock.TimeToWorkingDays(TimeSpan.FromMinutes(675)).Should().Be(1.5m);
    }

    [Fact]
    public void Half_day_step_starting_07_30_ends_11_15()
    {
        Clock.AddWorkingTime(At(2025, 3, 3, 7, 30), HalfDay).Should().Be(At(2025, 3, 3, 11, 15));
    }

    [Fact]
    public void Half_day_step_starting_08_00_ends_13_45_after_the_lunch_break()
    {
        // 08:00–11:30 gives 210 minutes; the last 15 run from 13:30.
        Clock.AddWorkingTime(At(2025, 3, 3, 8, 0), HalfDay).Should().Be(At(2025, 3, 3, 13, 45));
    }

    [Fact]
    public void Budget_that_runs_out_at_the_lunch_break_is_due_at_11_30_not_13_30()
    {
        Clock.AddWorkingTime(At(2025, 3, 3, 7, 30), TimeSpan.FromHours(4)).Should().Be(At(2025, 3, 3, 11, 30));
    }

    [Fact]
    public void Step_started_in_the_lunch_break_runs_from_13_30()
    {
        Clock.AddWorkingTime(At(2025, 3, 3, 12, 0), TimeSpan.FromHours(1)).Should().Be(At(2025, 3, 3, 14, 30));
    }

    [Fact]
    public void Step_budget_skips_the_night_and_the_weekend()
    {
        Clock.AddWorkingTime(At(2025, 3, 7, 16, 0), TimeSpan.FromHours(2)).Should().Be(At(2025, 3, 10, 8, 30));
    }

    [Fact]
    public void Step_budget_skips_Tet()
    {
        Clock.AddWorkingTime(At(2025, 1, 24, 16, 0), TimeSpan.FromHours(2)).Should().Be(At(2025, 2, 3, 8, 30));
    }

    [Fact]
    public void Step_budget_runs_through_a_make_up_Saturday()
    {
        Clock.AddWorkingTime(At(2025, 4, 25, 16, 0), TimeSpan.FromHours(2)).Should().Be(At(2025, 4, 26, 8, 30));
    }

    [Fact]
    public void Zero_budget_is_due_at_once_and_a_negative_one_is_refused()
    {
        Clock.AddWorkingTime(At(2025, 3, 8, 10, 0), TimeSpan.Zero).Should().Be(At(2025, 3, 8, 10, 0));
        FluentActions.Invoking(() => Clock.AddWorkingTime(At(2025, 3, 3, 9, 0), TimeSpan.FromMinutes(-1)))
            .Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Working_time_across_the_lunch_break_leaves_the_break_out()
    {
        Clock.WorkingTimeBetween(At(2025, 3, 3, 11, 0), At(2025, 3, 3, 14, 0)).Should().Be(TimeSpan.FromHours(1));
    }

    [Fact]
    public void Working_time_across_the_30_April_holiday_counts_only_working_days()
    {
        // Tue 29/4 16:00–17:00, then 30/4, 1/5, 2/5 off and the weekend, then Mon 5/5 07:30–08:00.
        Clock.WorkingTimeBetween(At(2025, 4, 29, 16, 0), At(2025, 5, 5, 8, 0)).Should().Be(TimeSpan.FromMinutes(90));
    }

    [Fact]
    public void Working_time_across_a_make_up_Saturday_counts_that_Saturday()
    {
        Clock.WorkingTimeBetween(At(2025, 4, 25, 17, 0), At(2025, 4, 28, 7, 30)).Should().Be(TimeSpan.FromMinutes(450));
    }

    [Fact]
    public void Working_time_of_an_ordinary_week_is_five_working_days()
    {
        Clock.WorkingTimeBetween(At(2025, 3, 3, 0, 0), At(2025, 3, 10, 0, 0)).Should().Be(TimeSpan.FromMinutes(5 * 450));
    }

    [Fact]
    public void Working_time_is_zero_when_the_end_is_not_after_the_start()
    {
        Clock.WorkingTimeBetween(At(2025, 3, 3, 10, 0), At(2025, 3, 3, 10, 0)).Should().Be(TimeSpan.Zero);
        Clock.WorkingTimeBetween(At(2025, 3, 4, 10, 0), At(2025, 3, 3, 9, 0)).Should().Be(TimeSpan.Zero);
    }

    [Theory]
    [InlineData(2025, 1, 23, 9, 0, 3000)]
    [InlineData(2025, 1, 24, 16, 59, 61)]
    [InlineData(2025, 3, 3, 11, 45, 1)]
    [InlineData(2025, 4, 25, 14, 10, 900)]
    [InlineData(2026, 2, 13, 18, 0, 7650)]
    [InlineData(2024, 12, 31, 16, 0, 450)]
    public void Working_time_between_is_the_inverse_of_adding_working_time(int year, int month, int day, int hour, int minute, int minutes)
    {
        var start = At(year, month, day, hour, minute);
        var budget = TimeSpan.FromMinutes(minutes);

        Clock.WorkingTimeBetween(start, Clock.AddWorkingTime(start, budget)).Should().Be(budget);
    }
}
