using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;
using static ProcessServer.Engine.Tests.Time.Hanoi;

namespace ProcessServer.Engine.Tests.Time;

/// <summary>Day-based limits counted from receipt: the calendar rows of DOMAIN §4.2 and the rules around them.</summary>
public class DueDateTests
{
    [Fact]
    public void Tet_2025_five_working_days_from_Thursday_23_January_are_due_Thursday_6_February()
    {
        Clock.AddWorkingDays(At(2025, 1, 23, 9, 0), 5).Should().Be(EndOf(2025, 2, 6));
    }

    [Fact]
    public void Reunification_2024_three_working_days_from_Thursday_25_April_are_due_Friday_3_May()
    {
        Clock.AddWorkingDays(At(2024, 4, 25, 9, 0), 3).Should().Be(EndOf(2024, 5, 3));
    }

    [Fact]
    public void National_Day_2026_three_working_days_from_Thursday_27_August_are_due_Friday_4_September()
    {
        Clock.AddWorkingDays(At(2026, 8, 27, 9, 0), 3).Should().Be(EndOf(2026, 9, 4));
    }

    [Fact]
    public void Land_registration_17_working_days_from_Monday_9_February_2026_skip_Tet_and_are_due_Wednesday_11_March()
    {
        Clock.AddWorkingDays(At(2026, 2, 9, 9, 0), 17).Should().Be(EndOf(2026, 3, 11));
    }

    [Fact]
    public void Same_day_procedure_received_Friday_25_April_2025_after_15_00_is_due_on_the_make_up_Saturday_26_April()
    {
        Clock.SameDayDue(At(2025, 4, 25, 15, 30)).Should().Be(EndOf(2025, 4, 26));
    }

    [Theory]
    [InlineData(7, 30)]
    [InlineData(11, 45)]
    [InlineData(16, 59)]
    public void Any_time_of_the_receipt_day_within_office_hours_gives_the_same_due_day(int hour, int minute)
    {
        Clock.AddWorkingDays(At(2025, 1, 23, hour, minute), 5).Should().Be(EndOf(2025, 2, 6));
    }

    [Fact]
    public void Day_of_receipt_is_not_counted_so_one_working_day_is_due_at_the_close_of_the_next_one()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 9, 0), 1).Should().Be(EndOf(2025, 3, 4));
    }

    [Fact]
    public void Received_after_closing_on_Friday_makes_Monday_the_receipt_day_and_Tuesday_day_1()
    {
        Clock.ReceiptDay(At(2025, 3, 7, 17, 30)).Should().Be(new DateOnly(2025, 3, 10));
        Clock.AddWorkingDays(At(2025, 3, 7, 17, 30), 1).Should().Be(EndOf(2025, 3, 11));
    }

    [Fact]
    public void Received_on_a_Saturday_makes_Monday_the_receipt_day()
    {
        Clock.AddWorkingDays(At(2025, 3, 8, 10, 0), 1).Should().Be(EndOf(2025, 3, 11));
    }

    [Fact]
    public void Received_during_Tet_makes_the_first_day_back_the_receipt_day()
    {
        Clock.ReceiptDay(At(2025, 1, 29, 10, 0)).Should().Be(new DateOnly(2025, 2, 3));
        Clock.AddWorkingDays(At(2025, 1, 29, 10, 0), 2).Should().Be(EndOf(2025, 2, 5));
    }

    [Fact]
    public void Received_on_a_make_up_Saturday_that_Saturday_is_the_receipt_day()
    {
        Clock.ReceiptDay(At(2025, 4, 26, 9, 0)).Should().Be(new DateOnly(2025, 4, 26));
        Clock.AddWorkingDays(At(2025, 4, 26, 9, 0), 2).Should().Be(EndOf(2025, 4, 29));
        Clock.AddWorkingDays(At(2025, 4, 26, 9, 0), 3).Should().Be(EndOf(2025, 5, 5), "30/4–4/5 are off");
    }

    [Fact]
    public void Half_a_day_is_225_office_minutes_from_the_start_of_counting()
    {
        // 10:00–11:30 is 90 minutes; the other 135 run from 13:30.
        Clock.AddWorkingDays(At(2025, 3, 3, 10, 0), 0.5m).Should().Be(At(2025, 3, 3, 15, 45));
    }

    [Fact]
    public void Quarter_of_a_day_from_opening_is_due_after_112_and_a_half_minutes()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 7, 30), 0.25m).Should().Be(At(2025, 3, 3, 9, 22, 30));
    }

    [Fact]
    public void Half_a_day_received_late_on_the_eve_of_Tet_runs_on_after_the_break()
    {
        // 60 minutes on Friday 24/1, 165 from Monday 3/2 07:30.
        Clock.AddWorkingDays(At(2025, 1, 24, 16, 0), 0.5m).Should().Be(At(2025, 2, 3, 10, 15));
    }

    [Fact]
    public void Half_a_day_received_in_the_lunch_break_counts_from_13_30()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 12, 0), 0.5m).Should().Be(At(2025, 3, 4, 7, 45));
    }

    [Fact]
    public void One_and_a_half_days_from_Monday_10_00_are_the_close_of_Tuesday_plus_half_a_day()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 10, 0), 1.5m).Should().Be(At(2025, 3, 5, 11, 15));
    }

    [Fact]
    public void Two_and_a_half_days_from_Monday_10_00_are_due_Thursday_11_15()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 10, 0), 2.5m).Should().Be(At(2025, 3, 6, 11, 15));
    }

    [Fact]
    public void Zero_days_are_due_at_the_start_of_counting()
    {
        Clock.AddWorkingDays(At(2025, 3, 3, 18, 0), 0).Should().Be(At(2025, 3, 4, 7, 30));
    }

    [Theory]
    [InlineData(2025, 3, 3, 7, 30)]
    [InlineData(2025, 3, 3, 10, 0)]
    [InlineData(2025, 3, 3, 12, 0)]
    [InlineData(2025, 3, 3, 16, 45)]
    [InlineData(2025, 3, 8, 9, 0)]
    [InlineData(2025, 1, 24, 16, 0)]
    [InlineData(2025, 4, 25, 16, 0)]
    public void A_longer_limit_is_never_due_earlier(int year, int month, int day, int hour, int minute)
    {
        var received = At(year, month, day, hour, minute);
        var dues = Enumerable.Range(0, 41).Select(quarters => Clock.AddWorkingDays(received, quarters / 4m)).ToList();

        dues.Should().BeInAscendingOrder();
        dues.Should().OnlyContain(d => d >= received);
    }

    [Fact]
    public void Negative_limits_are_refused()
    {
        FluentActions.Invoking(() => Clock.AddWorkingDays(At(2025, 3, 3, 9, 0), -1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Same_day_procedure_received_before_15_00_is_due_at_the_close_of_that_day()
    {
        Clock.SameDayDue(At(2025, 3, 3, 14, 59)).Should().Be(EndOf(2025, 3, 3));
        Clock.SameDayDue(At(2025, 3, 3, 6, 45)).Should().Be(EndOf(2025, 3, 3), "an online filing before opening is still that day");
    }

    [Fact]
    public void Same_day_procedure_received_at_15_00_sharp_is_due_the_next_working_day()
    {
        Clock.SameDayDue(At(2025, 3, 3, 15, 0)).Should().Be(EndOf(2025, 3, 4));
    }

    [Fact]
    public void Same_day_procedure_received_on_a_Saturday_is_due_on_Monday()
    {
        Clock.SameDayDue(At(2025, 3, 8, 9, 0)).Should().Be(EndOf(2025, 3, 10));
    }

    [Fact]
    public void Same_day_procedure_received_on_the_make_up_Saturday_morning_is_due_that_Saturday()
    {
        Clock.SameDayDue(At(2025, 4, 26, 9, 0)).Should().Be(EndOf(2025, 4, 26));
    }

    [Fact]
    public void Same_day_procedure_received_on_a_holiday_is_due_on_the_next_working_day()
    {
        Clock.SameDayDue(At(2025, 4, 30, 9, 0)).Should().Be(EndOf(2025, 5, 5));
    }
}
