using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;
using static ProcessServer.Engine.Tests.Time.Hanoi;

namespace ProcessServer.Engine.Tests.Time;

public class StartOfCountingTests
{
    [Fact]
    public void Received_during_office_hours_counts_at_once()
    {
        Clock.StartOfCounting(At(2025, 3, 3, 9, 17)).Should().Be(At(2025, 3, 3, 9, 17));
        Clock.StartOfCounting(At(2025, 3, 3, 7, 30)).Should().Be(At(2025, 3, 3, 7, 30));
    }

    [Fact]
    public void Received_at_11_45_in_the_lunch_break_counts_from_13_30()
    {
        Clock.StartOfCounting(At(2025, 3, 3, 11, 45)).Should().Be(At(2025, 3, 3, 13, 30));
    }

    [Fact]
    public void Received_at_11_30_sharp_counts_from_13_30()
    {
        Clock.StartOfCounting(At(2025, 3, 3, 11, 30)).Should().Be(At(2025, 3, 3, 13, 30));
    }

    [Fact]
    public void Received_before_opening_counts_from_07_30_that_day()
    {
        Clock.StartOfCounting(At(2025, 3, 3, 6, 0)).Should().Be(At(2025, 3, 3, 7, 30));
    }

    [Fact]
    public void Received_at_17_30_counts_from_07_30_of_the_next_working_day()
    {
        Clock.StartOfCounting(At(2025, 3, 3, 17, 30)).Should().Be(At(2025, 3, 4, 7, 30));
        Clock.StartOfCounting(At(2025, 3, 7, 17, 30)).Should().Be(At(2025, 3, 10, 7, 30), "Friday evening counts from Monday");
    }

    [Fact]
    public void Received_on_a_Saturday_counts_from_Monday_07_30()
    {
        Clock.StartOfCounting(At(2025, 3, 8, 10, 0)).Should().Be(At(2025, 3, 10, 7, 30));
    }

    [Fact]
    public void Received_on_a_make_up_Saturday_counts_at_once_because_it_is_a_working_day()
    {
        Clock.StartOfCounting(At(2025, 4, 26, 10, 0)).Should().Be(At(2025, 4, 26, 10, 0));
    }

    [Fact]
    public void Received_on_the_evening_before_Tet_counts_from_the_first_day_back()
    {
        Clock.StartOfCounting(At(2025, 1, 24, 18, 0)).Should().Be(At(2025, 2, 3, 7, 30));
    }

    [Fact]
    public void Results_are_utc_and_unspecified_input_is_read_as_utc()
    {
        var unspecified = DateTime.SpecifyKind(At(2025, 3, 3, 9, 0), DateTimeKind.Unspecified);

        var start = Clock.StartOfCounting(unspecified);

        start.Kind.Should().Be(DateTimeKind.Utc);
        start.Should().Be(At(2025, 3, 3, 9, 0));
        Clock.AddWorkingDays(unspecified, 1).Kind.Should().Be(DateTimeKind.Utc);
    }

    [Fact]
    public void Local_machine_times_are_refused()
    {
        var local = new DateTime(2025, 3, 3, 9, 0, 0, DateTimeKind.Local);

        FluentActions.Invoking(() => Clock.StartOfCounting(local)).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Local_time_conversion_uses_the_calendar_zone()
    {
        Clock.ToLocalTime(At(2025, 3, 3, 9, 0)).Should().Be(new DateTime(2025, 3, 3, 9, 0, 0));
        Clock.ToUtc(new DateTime(2025, 3, 3, 9, 0, 0)).Should().Be(At(2025, 3, 3, 9, 0));
        Clock.EndOfOfficeHours(new DateOnly(2025, 3, 3)).Should().Be(new DateTime(2025, 3, 3, 10, 0, 0, DateTimeKind.Utc));
    }
}
