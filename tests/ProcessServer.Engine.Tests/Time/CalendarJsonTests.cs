using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Time;
using Xunit;

namespace ProcessServer.Engine.Tests.Time;

public class CalendarJsonTests
{
    private const string Valid = """
        {
          "timeZone": "Asia/Ho_Chi_Minh",
          "officeHours": [ { "start": "07:30", "end": "11:30" }, { "start": "13:30", "end": "17:00" } ],
          "daysOff": [
            { "date": "2025-04-30", "name": "Reunification Day" },
            { "date": "2025-05-02", "name": "Swapped day off" }
          ],
          "workingDays": [ { "date": "2025-04-26", "name": "Make-up Saturday" } ]
        }
        """;

    private static string Message(string json) =>
        FluentActions.Invoking(() => WorkingCalendar.FromJson(json))
            .Should().Throw<CalendarFormatException>().Which.Message;

    [Fact]
    public void Vietnam_calendar_round_trips_through_json_without_change()
    {
        var calendar = WorkingCalendar.VietnamGovernment2024To2026();

        var written = calendar.ToJson();
        var reread = WorkingCalendar.FromJson(written);

        reread.Should().Be(calendar);
        reread.ToJson().Should().Be(written, "a second save is the same");
        written.Should().Contain("Tết Nguyên đán Ất Tỵ", "names stay readable letters");
    }

    [Fact]
    public void Json_written_has_every_property_explicit_in_the_documented_shape()
    {
        var json = JsonNode.Parse(WorkingCalendar.FromJson(Valid).ToJson())!.AsObject();

        json.Select(p => p.Key).Should().Equal("timeZone", "officeHours", "weekendDays", "sameDayCutOff", "daysOff", "workingDays");
        json["officeHours"]![1]!["end"]!.GetValue<string>().Should().Be("17:00");
        json["weekendDays"]!.AsArray().Select(d => d!.GetValue<string>()).Should().Equal("Saturday", "Sunday");
        json["sameDayCutOff"]!.GetValue<string>().Should().Be("15:00");
        json["daysOff"]![1]!["date"]!.GetValue<string>().Should().Be("2025-05-02");
        json["workingDays"]![0]!["name"]!.GetValue<string>().Should().Be("Make-up Saturday");
    }

    [Fact]
    public void Omitted_properties_take_the_Vietnamese_government_defaults()
    {
        WorkingCalendar.FromJson("{}").Should().Be(new WorkingCalendar());
        WorkingCalendar.FromJson("{}").WorkingMinutesPerDay.Should().Be(450);
    }

    [Fact]
    public void Custom_office_hours_and_cut_off_are_read()
    {
        var calendar = WorkingCalendar.FromJson("""
            {
              // an eight-hour office day, as in some public implementations
              "officeHours": [ { "start": "08:00", "end": "12:00" }, { "start": "13:00", "end": "17:00" } ],
              "weekendDays": [ "Sunday" ],
              "sameDayCutOff": "16:00"
            }
            """);

        calendar.WorkingMinutesPerDay.Should().Be(480);
        calendar.IsWorkingDay(new DateOnly(2025, 3, 8)).Should().BeTrue("Saturday is not a weekend day here");
        calendar.SameDayCutOff.Should().Be(new TimeOnly(16, 0));
    }

    [Fact]
    public void Calendar_json_with_an_impossible_date_names_the_entry()
    {
        var message = Message(Valid.Replace("2025-05-02", "2025-02-30", StringComparison.Ordinal));

        message.Should().Contain("daysOff[1]").And.Contain("Swapped day off").And.Contain("2025-02-30");
    }

    [Fact]
    public void Calendar_json_with_a_date_in_day_month_year_order_names_the_entry()
    {
        var message = Message(Valid.Replace("2025-04-26", "26/04/2025", StringComparison.Ordinal));

        message.Should().Contain("workingDays[0]").And.Contain("Make-up Saturday").And.Contain("yyyy-MM-dd");
    }

    [Fact]
    public void Calendar_json_with_a_missing_date_names_the_entry()
    {
        var message = Message("""{ "daysOff": [ { "name": "Hung Kings" } ] }""");

        message.Should().Contain("daysOff[0]").And.Contain("Hung Kings").And.Contain("date is missing");
    }

    [Fact]
    public void Calendar_json_with_a_bad_office_time_names_the_period()
    {
        var message = Message(Valid.Replace("\"13:30\"", "\"1:30 PM\"", StringComparison.Ordinal));

        message.Should().Contain("officeHours[1].start").And.Contain("1:30 PM");
    }

    [Fact]
    public void Calendar_json_with_a_misspelt_property_is_refused_rather_than_losing_the_holidays()
    {
        var message = Message(Valid.Replace("\"daysOff\"", "\"dayOff\"", StringComparison.Ordinal));

        message.Should().Contain("dayOff");
    }

    [Fact]
    public void Calendar_json_with_a_wrongly_typed_value_names_its_path()
    {
        var message = Message("""{ "daysOff": [ { "date": 20250430, "name": "Reunification Day" } ] }""");

        message.Should().Contain("$.daysOff[0].date");
    }

    [Fact]
    public void Calendar_json_with_a_weekday_as_working_day_names_the_date()
    {
        var message = Message(Valid.Replace("2025-04-26", "2025-04-25", StringComparison.Ordinal));

        message.Should().Contain("2025-04-25").And.Contain("Make-up Saturday").And.Contain("Friday");
    }

    [Fact]
    public void Calendar_json_with_a_date_both_off_and_worked_names_both_entries()
    {
        var message = Message("""
            {
              "daysOff": [ { "date": "2025-04-26", "name": "Typo" } ],
              "workingDays": [ { "date": "2025-04-26", "name": "Make-up Saturday" } ]
            }
            """);

        message.Should().Contain("2025-04-26").And.Contain("Typo").And.Contain("Make-up Saturday");
    }

    [Fact]
    public void Calendar_json_with_a_date_listed_twice_names_both_entries()
    {
        var message = Message("""
            { "daysOff": [ { "date": "2025-01-01", "name": "New Year" }, { "date": "2025-01-01", "name": "Tết Dương lịch" } ] }
            """);

        message.Should().Contain("2025-01-01").And.Contain("New Year").And.Contain("Tết Dương lịch");
    }

    [Fact]
    public void Calendar_json_with_overlapping_office_periods_is_refused()
    {
        var message = Message("""{ "officeHours": [ { "start": "07:30", "end": "12:00" }, { "start": "11:30", "end": "17:00" } ] }""");

        message.Should().Contain("11:30–17:00").And.Contain("07:30–12:00");
    }

    [Fact]
    public void Calendar_json_with_an_unknown_time_zone_is_refused()
    {
        Message("""{ "timeZone": "Asia/Saigon City" }""").Should().Contain("Asia/Saigon City");
    }

    [Fact]
    public void Calendar_json_without_any_working_weekday_is_refused()
    {
        Message("""{ "weekendDays": [ "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" ] }""")
            .Should().Contain("every day of the week");
    }

    [Fact]
    public void Calendar_json_that_is_not_json_is_refused()
    {
        Message("{ \"daysOff\": [ ").Should().Contain("not valid");
    }
}
