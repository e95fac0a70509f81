using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Values at and past the edges of the calendar answer 400 with a message naming the value, never 500.</summary>
public sealed class OutOfRangeInputTests : ServerTest
{
    [Theory]
    [InlineData("days=-5", "days", "between 0 and 1000")]
    [InlineData("days=99999999", "days", "between 0 and 1000")]
    [InlineData("days=1e30", "days", "not a number of working days")]
    [InlineData("days=five", "days", "not a number of working days")]
    [InlineData("days=5&receivedAt=9999-12-31T00:00:00Z", "receivedAt", "outside the dates this server accepts, 2000-01-01 to 2099-12-31")]
    [InlineData("days=5&receivedAt=0001-01-01T00:00:00Z", "receivedAt", "outside the dates this server accepts")]
    [InlineData("sameDay=true&receivedAt=9999-12-31T20:00:00Z", "receivedAt", "outside the dates this server accepts")]
    [InlineData("days=5&receivedAt=yesterday", "receivedAt", "is not an instant")]
    [InlineData("receivedAt=2025-03-03T08:00:00%2B07:00", "days", "Give days")]
    public async Task The_due_date_calculator_answers_400_naming_an_out_of_range_value(string query, string field, string message)
    {
        using var client = App.ClientFor(Keys.Counter);
        var response = await client.GetAsync($"/api/calendar/due?{query}");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["errors"]![field]![0]!.GetValue<string>().Should().Contain(message);
    }

    [Fact]
    public async Task The_due_date_calculator_still_answers_at_the_edges_of_the_accepted_range()
    {
        using var client = App.ClientFor(Keys.Counter);
        (await client.GetAsync("/api/calendar/due?days=1000&receivedAt=2099-12-31T08:00:00%2B07:00")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/api/calendar/due?days=0&receivedAt=2000-01-03T08:00:00%2B07:00")).StatusCode.Should().Be(HttpStatusCode.OK);
        var due = JsonNode.Parse(await client.GetStringAsync("/api/calendar/due?days=5&receivedAt=2025-03-03T08:00:00%2B07:00"))!;
        due["dueLocal"]!.GetValue<string>().Should().Be("2025-03-10 17:00");
    }

    [Theory]
    [InlineData("0001-01-01T03:00:00Z")]
    [InlineData("1000-03-03T03:00:00Z")]
    [InlineData("1925-03-03T03:00:00Z")]
    public async Task A_receipt_instant_before_the_accepted_range_gets_400_naming_receivedAt(string receivedAt)
    {
        var response = await Receive(App, receivedAt);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["errors"]!["receivedAt"]![0]!.GetValue<string>().Should().Contain("outside the dates this server accepts, 2000-01-01 to 2099-12-31 (ProcessServer:Limits:EarliestDate, LatestDate)");
        await using var store = App.OpenStore();
        store.Dossiers.Should().BeEmpty();
    }

    [Fact]
    public async Task Receipt_codes_a_century_apart_do_not_collide_and_the_accepted_range_is_configurable()
    {
        App.Dispose();
        using var app = new ServerApp(Database.DatabaseFile, Clock, new Dictionary<string, string?>
        {
            ["ProcessServer:Limits:EarliestDate"] = "1900-01-01",
            // A receipt a century ago is a late entry: an administrator with a window that reaches it.
            ["ProcessServer:LateEntry:Window"] = "40000.00:00:00",
        });

        var old = await Receive(app, "1925-03-03T03:00:00Z", Keys.Admin);
        var today = await Receive(app, "2025-03-03T01:00:00Z");

        old.StatusCode.Should().Be(HttpStatusCode.Created, await old.Content.ReadAsStringAsync());
        today.StatusCode.Should().Be(HttpStatusCode.Created, await today.Content.ReadAsStringAsync());
        (await Code(old)).Should().Be("HCC-BINHSON-19250303-0001", "outside 2000–2099 the year is written in full");
        (await Code(today)).Should().Be("HCC-BINHSON-250303-0001", "the codes clerks know stay as they are");
    }

    [Theory]
    [InlineData("Dossiers?$filter=ReceivedDate le 9999-12-31", 1)]
    [InlineData("Dossiers?$filter=ReceivedDate ge 9999-12-31", 0)]
    [InlineData("Dossiers?$filter=ReceivedDate ne 9999-12-31", 1)]
    [InlineData("Dossiers?$filter=ReceivedDate gt 0001-01-01", 1)]
    [InlineData("Dossiers?$filter=ReceivedDate eq 0001-01-01", 0)]
    [InlineData("Steps?$filter=DueDate lt 9999-12-31", 1)]
    public async Task OData_date_literals_at_the_ends_of_the_calendar_filter_instead_of_failing(string query, int rows)
    {
        await ReceiveAsync(App, "birth-registration");
        using var reporter = App.ClientFor(Keys.Reporter);

        var response = await reporter.GetAsync("/odata/v1/" + query.Replace(" ", "%20", StringComparison.Ordinal));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["value"]!.AsArray().Should().HaveCount(rows);
    }

    [Theory]
    [InlineData("/odata/v1/PeriodReportFor(From=0001-01-01,To=9999-12-31)")]
    [InlineData("/odata/v1/PeriodReportFor(From=9999-01-01,To=9999-12-31)")]
    [InlineData("/odata/v1/PeriodReport?from=0001-01-01&to=0001-12-31")]
    [InlineData("/api/reports/period.csv?from=9999-01-01&to=9999-12-31")]
    public async Task A_report_period_outside_the_accepted_dates_gets_400_saying_which_dates_are_accepted(string path)
    {
        using var reporter = App.ClientFor(Keys.Reporter);

        var response = await reporter.GetAsync(path);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("outside the dates this server accepts, 2000-01-01 to 2099-12-31");
    }

    private static async Task<HttpResponseMessage> Receive(ServerApp app, string receivedAt, string key = Keys.Counter)
    {
        using var client = app.ClientFor(key);
        return await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
            receivedAt,
        });
    }

    private static async Task<string> Code(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["receiptCode"]!.GetValue<string>();
}
