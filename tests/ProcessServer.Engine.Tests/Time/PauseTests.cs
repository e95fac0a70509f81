using FluentAssertions;
using ProcessServer.Engine.Definitions;
using Xunit;
using static ProcessServer.Engine.Tests.Time.Hanoi;

namespace ProcessServer.Engine.Tests.Time;

/// <summary>DOMAIN §4.4: a supplement request pauses the clock; the procedure version says whether it resumes or restarts.</summary>
public class PauseTests
{
    // 10-working-day procedure received Mon 03/3/2025; day 1 is Tue 04/3.
    private static readonly DateTime Received = At(2025, 3, 3, 9, 0);
    private static readonly DateTime SupplementRequested = EndOf(2025, 3, 7);
    private static readonly DateTime SupplementReceived = At(2025, 3, 19, 9, 0);

    private static DateTime Due => Clock.AddWorkingDays(Received, 10);

    [Fact]
    public void Ten_working_days_from_Monday_3_March_2025_are_due_Monday_17_March_without_a_pause()
    {
        Due.Should().Be(EndOf(2025, 3, 17));
        Clock.TimeToWorkingDays(Clock.WorkingTimeBetween(Clock.EndOfOfficeHours(new DateOnly(2025, 3, 3)), SupplementRequested))
            .Should().Be(4, "four days were used when the supplement was requested");
    }

    [Fact]
    public void Resume_after_a_supplement_keeps_4_days_used_and_is_due_Thursday_27_March_2025()
    {
        Clock.DueAfterPause(Due, 10, SupplementRequested, SupplementReceived, PausePolicy.Resume)
            .Should().Be(EndOf(2025, 3, 27));
    }

    [Fact]
    public void Restart_after_a_supplement_counts_10_days_again_and_is_due_Wednesday_2_April_2025()
    {
        Clock.DueAfterPause(Due, 10, SupplementRequested, SupplementReceived, PausePolicy.Restart)
            .Should().Be(EndOf(2025, 4, 2));
    }

    [Fact]
    public void Resumption_day_is_not_counted_whatever_the_hour_of_resumption()
    {
        Clock.DueAfterPause(Due, 10, SupplementRequested, At(2025, 3, 19, 16, 45), PausePolicy.Resume)
            .Should().Be(EndOf(2025, 3, 27));
        Clock.DueAfterPause(Due, 10, SupplementRequested, At(2025, 3, 18, 18, 0), PausePolicy.Resume)
            .Should().Be(EndOf(2025, 3, 27), "documents received after closing on Tuesday count as received on Wednesday");
    }

    [Fact]
    public void Pause_on_the_uncounted_receipt_day_gives_the_whole_limit_back_on_resume()
    {
        Clock.DueAfterPause(Due, 10, At(2025, 3, 3, 14, 0), SupplementReceived, PausePolicy.Resume)
            .Should().Be(EndOf(2025, 4, 2));
    }

    [Fact]
    public void Pause_in_the_middle_of_a_day_keeps_the_rest_of_that_day()
    {
        // Paused Fri 07/3 at 13:30: 3.5 hours of Friday plus 6 days were left.
        Clock.DueAfterPause(Due, 10, At(2025, 3, 7, 13, 30), SupplementReceived, PausePolicy.Resume)
            .Should().Be(At(2025, 3, 28, 11, 0));
    }

    [Fact]
    public void Resume_with_less_than_a_day_left_counts_from_the_moment_of_resumption()
    {
        // 2 days from Mon 03/3 are due Wed 05/3 17:00; paused at 13:30 that day, 210 minutes were left.
        var due = Clock.AddWorkingDays(Received, 2);

        Clock.DueAfterPause(due, 2, At(2025, 3, 5, 13, 30), At(2025, 3, 10, 10, 0), PausePolicy.Resume)
            .Should().Be(At(2025, 3, 10, 15, 30));
    }

    [Fact]
    public void Two_pauses_in_a_row_each_keep_the_time_already_used()
    {
        var afterFirst = Clock.DueAfterPause(Due, 10, SupplementRequested, SupplementReceived, PausePolicy.Resume);

        // Second request at the close of Mon 24/3 (3 of the 6 remaining days used), documents back Fri 28/3.
        Clock.DueAfterPause(afterFirst, 10, EndOf(2025, 3, 24), At(2025, 3, 28, 9, 0), PausePolicy.Resume)
            .Should().Be(EndOf(2025, 4, 2));
    }

    [Theory]
    [InlineData(PausePolicy.Resume)]
    [InlineData(PausePolicy.Restart)]
    public void Pause_that_starts_after_the_due_instant_does_not_move_it(PausePolicy policy)
    {
        Clock.DueAfterPause(Due, 10, At(2025, 3, 18, 9, 0), At(2025, 3, 25, 9, 0), policy).Should().Be(Due);
    }

    [Fact]
    public void Pause_that_ends_before_it_starts_is_refused()
    {
        FluentActions.Invoking(() => Clock.DueAfterPause(Due, 10, SupplementReceived, SupplementRequested, PausePolicy.Resume))
            .Should().Throw<ArgumentOutOfRangeException>();
    }
}
