using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;
using static ProcessServer.Engine.Tests.Time.Hanoi;

namespace ProcessServer.Engine.Tests.Time;

/// <summary>DOMAIN §4.5 (early, on time, late) and §4.6 (overdue at a report cut-off).</summary>
public class VerdictTests
{
    private static readonly DateTime Due = EndOf(2025, 2, 6);

    [Fact]
    public void Completion_on_a_day_before_the_due_day_is_early()
    {
        Clock.Judge(At(2025, 2, 5, 16, 59), Due).Should().Be(Verdict.Early);
    }

    [Fact]
    public void Completion_on_the_due_day_up_to_the_due_instant_is_on_time()
    {
        Clock.Judge(At(2025, 2, 6, 7, 31), Due).Should().Be(Verdict.OnTime);
        Clock.Judge(Due, Due).Should().Be(Verdict.OnTime);
    }

    [Fact]
    public void Completion_at_06_00_on_the_due_day_is_on_time_although_its_UTC_date_is_the_day_before()
    {
        var completed = At(2025, 2, 6, 6, 0);

        completed.Day.Should().Be(5, "06:00 in Vietnam is 23:00 UTC the day before");
        Clock.Judge(completed, Due).Should().Be(Verdict.OnTime);
    }

    [Fact]
    public void Completion_after_the_due_instant_is_late_even_on_the_due_day()
    {
        Clock.Judge(Due.AddTicks(1), Due).Should().Be(Verdict.Late);
        Clock.Judge(At(2025, 2, 6, 18, 0), Due).Should().Be(Verdict.Late);
        Clock.Judge(At(2025, 2, 7, 8, 0), Due).Should().Be(Verdict.Late);
    }

    [Fact]
    public void Mid_day_due_instant_of_a_fractional_limit_is_judged_to_the_minute()
    {
        var due = Clock.AddWorkingDays(At(2025, 3, 3, 10, 0), 0.5m);

        Clock.Judge(At(2025, 3, 3, 15, 45), due).Should().Be(Verdict.OnTime);
        Clock.Judge(At(2025, 3, 3, 15, 46), due).Should().Be(Verdict.Late);
    }

    [Fact]
    public void Report_cut_off_is_local_midnight_at_the_end_of_the_last_day()
    {
        Clock.ReportCutOff(new DateOnly(2025, 6, 30)).Should().Be(new DateTime(2025, 6, 30, 17, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void Dossier_in_progress_due_on_the_last_day_of_the_period_is_overdue_at_the_cut_off()
    {
        var cutOff = Clock.ReportCutOff(new DateOnly(2025, 2, 6));

        WorkingTime.IsOverdue(Due, cutOff).Should().BeTrue();
        WorkingTime.IsOverdue(EndOf(2025, 2, 7), cutOff).Should().BeFalse();
    }

    [Fact]
    public void Dossier_is_not_overdue_at_its_due_instant_only_after_it()
    {
        WorkingTime.IsOverdue(Due, Due).Should().BeFalse();
        WorkingTime.IsOverdue(Due, Due.AddMinutes(1)).Should().BeTrue();
    }
}
