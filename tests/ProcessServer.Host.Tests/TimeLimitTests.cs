using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Time limits through the API with a fake clock: appointment on receipt, step due dates, pauses
/// with resume or restart, verdicts, the apology, and the calendar edited at run time. The worked
/// examples are those of DOMAIN.md §4.
/// </summary>
public sealed class TimeLimitTests : ServerTest
{
    private static DateTime Utc(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, DateTimeKind.Utc);

    private static DateTimeOffset Hanoi(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.FromHours(7));

    private static DateTime? Time(JsonObject dossier, string field) => dossier["time"]![field]?.GetValue<DateTime>().ToUniversalTime();

    [Fact]
    public async Task A_land_dossier_received_Monday_3_March_2025_gets_its_appointment_and_the_check_its_due_and_warning_instants()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");

        Time(d, "appointmentAt").Should().Be(Utc(2025, 3, 31, 10), "20 working days from Mon 3/3 end on Mon 31/3 at 17:00 Hanoi");
        Time(d, "dueAt").Should().Be(Time(d, "appointmentAt"));
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("WithinLimit");
        d["time"]!["calendarVersion"]!.GetValue<int>().Should().Be(1);

        // 3 working days = 1350 office minutes from Mon 08:00: Mon 420, Tue 450, Wed 450, Thu 30 → Thu 08:00.
        var check = OpenTask(d, "check");
        check["dueAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(2025, 3, 6, 1));
        check["warnAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(2025, 3, 5, 4), "80 % = 1080 minutes: Wed 11:00 Hanoi");
        check["deadlineStatus"]!.GetValue<string>().Should().Be("OnTrack");

        Clock.Set(Hanoi(2025, 3, 5, 11, 30));
        OpenTask(await GetAsync(App, d["id"]!.GetValue<string>()), "check")["deadlineStatus"]!.GetValue<string>().Should().Be("Warning");
        Clock.Set(Hanoi(2025, 3, 6, 9));
        d = await GetAsync(App, d["id"]!.GetValue<string>());
        OpenTask(d, "check")["deadlineStatus"]!.GetValue<string>().Should().Be("Overdue");

        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        var completed = d["journal"]!.AsArray().Single(j => j!["type"]!.GetValue<string>() == "TaskCompleted")!;
        completed["data"]!["verdict"]!.GetValue<string>().Should().Be("Late", "the step finished after its own due instant");
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("WithinLimit", "the dossier as a whole is still within its 20 days");
    }

    [Fact]
    public async Task A_same_day_birth_registration_received_after_15_00_on_Friday_25_April_2025_is_due_on_the_make_up_Saturday()
    {
        Clock.Set(Hanoi(2025, 4, 25, 15, 30));
        var d = await ReceiveAsync(App, "birth-registration");
        Time(d, "appointmentAt").Should().Be(Utc(2025, 4, 26, 10), "Sat 26/4/2025 is a working day; due at its 17:00");
    }

    [Fact]
    public async Task A_same_day_birth_registration_finished_the_same_afternoon_is_on_time_and_one_finished_next_day_is_late()
    {
        Clock.Set(Hanoi(2025, 3, 3, 9));
        var onTime = await ReceiveAsync(App, "birth-registration");
        var late = await ReceiveAsync(App, "birth-registration");
        Clock.Set(Hanoi(2025, 3, 3, 14));
        onTime = await CompleteAsync(App, onTime, "register", "Done", Keys.Commune);
        onTime = await CompleteAsync(App, onTime, "sign", "Done", Keys.Commune);
        Clock.Set(Hanoi(2025, 3, 4, 9));
        late = await CompleteAsync(App, late, "register", "Done", Keys.Commune);
        late = await CompleteAsync(App, late, "sign", "Done", Keys.Commune);

        (onTime["time"]!["verdict"]!.GetValue<string>(), National(onTime)).Should().Be(("OnTime", 9));
        (late["time"]!["verdict"]!.GetValue<string>(), late["time"]!["limitStatus"]!.GetValue<string>()).Should().Be(("Late", "Late"));

        // Handing over the result later does not change the verdict: completion is "result ready" (code 9).
        Clock.Set(Hanoi(2025, 3, 10, 9));
        onTime = await CompleteAsync(App, onTime, "returnResult", "Done", Keys.Counter);
        onTime["time"]!["verdict"]!.GetValue<string>().Should().Be("OnTime");
    }

    [Theory]
    [InlineData("Resume", 2025, 3, 27)]
    [InlineData("Restart", 2025, 4, 2)]
    public async Task The_DOMAIN_supplement_example_moves_the_due_date_per_the_pause_policy(string policy, int y, int m, int day)
    {
        await PublishTenDayProcedureAsync(policy);
        Clock.Set(Hanoi(2025, 3, 3, 8));
        var d = await ReceiveAsync(App, "ten-day");
        Time(d, "dueAt").Should().Be(Utc(2025, 3, 17, 10), "10 working days from Mon 3/3: Mon 17/3 17:00");

        Clock.Set(Hanoi(2025, 3, 7, 17));
        d = await CompleteAsync(App, d, "handle", "RequestSupplement", Keys.Land);
        (National(d), d["time"]!["limitStatus"]!.GetValue<string>()).Should().Be((5, "Paused"));

        Clock.Set(Hanoi(2025, 3, 19, 9));
        d = await CompleteAsync(App, d, "handle", "SupplementReceived", Keys.Land);

        Time(d, "dueAt").Should().Be(new DateTime(y, m, day, 10, 0, 0, DateTimeKind.Utc));
        Time(d, "appointmentAt").Should().Be(Utc(2025, 3, 17, 10), "the receipt's appointment is kept");
        var pause = d["time"]!["pauses"]!.AsArray().Single()!;
        pause["reason"]!.GetValue<string>().Should().Be("Supplement");
        pause["startedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(2025, 3, 7, 10));
        pause["endedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(2025, 3, 19, 2));
    }

    [Fact]
    public async Task A_second_supplement_request_is_recorded_and_counts_as_overdue_for_the_766_index()
    {
        await PublishTenDayProcedureAsync("Resume");
        var d = await ReceiveAsync(App, "ten-day");
        d = await CompleteAsync(App, d, "handle", "RequestSupplement", Keys.Land);
        d = await CompleteAsync(App, d, "handle", "SupplementReceived", Keys.Land);
        d["time"]!["overdueBy766"]!.GetValue<bool>().Should().BeFalse();
        d = await CompleteAsync(App, d, "handle", "RequestSupplement", Keys.Land);

        (d["time"]!["supplementRequests"]!.GetValue<int>(), d["time"]!["overdueBy766"]!.GetValue<bool>()).Should().Be((2, true));
    }

    [Fact]
    public async Task The_payment_wait_pauses_the_land_clock_and_resuming_moves_the_due_date()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var due = Time(d, "dueAt");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        d = await CompleteAsync(App, d, "communeConfirm", "Done", Keys.Commune);
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("Paused", "only the tax step, outside the limit, is running");
        d = await CompleteAsync(App, d, "taxNotice", "Done", Keys.Tax);
        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("Paused", "waiting for payment");

        Clock.Advance(TimeSpan.FromDays(7));
        d = await CompleteAsync(App, d, "payment", "Paid", Keys.Counter);

        d["time"]!["limitStatus"]!.GetValue<string>().Should().Be("WithinLimit");
        Time(d, "dueAt").Should().BeAfter(due!.Value.AddDays(7), "a week of pause moved the due date by at least that");
        d["time"]!["pauses"]!.AsArray().Select(p => p!["reason"]!.GetValue<string>()).Should().Equal("OutsideLimit");
    }

    [Fact]
    public async Task An_apology_is_allowed_once_before_the_due_date_and_both_dates_are_kept()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        using var land = App.ClientFor(Keys.Land);
        var apology = await land.PostAsJsonAsync($"/api/dossiers/{d["id"]}/apology", new { newDueAt = Hanoi(2025, 4, 10, 17), reason = "Site survey delayed by flooding" });
        apology.StatusCode.Should().Be(HttpStatusCode.OK, await apology.Content.ReadAsStringAsync());
        d = JsonNode.Parse(await apology.Content.ReadAsStringAsync())!.AsObject();
        Time(d, "apologyDueAt").Should().Be(Utc(2025, 4, 10, 10));
        Time(d, "dueAt").Should().Be(Utc(2025, 3, 31, 10), "the legal due date is kept beside the new appointment");
        d["time"]!["apology"]!["reason"]!.GetValue<string>().Should().Be("Site survey delayed by flooding");

        var again = await land.PostAsJsonAsync($"/api/dossiers/{d["id"]}/apology", new { newDueAt = Hanoi(2025, 4, 20, 17), reason = "again" });
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await again.Content.ReadAsStringAsync()).Should().Contain("only once");
    }

    [Fact]
    public async Task An_apology_after_the_due_date_is_refused()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        Clock.Set(Hanoi(2025, 3, 4, 9));
        using var commune = App.ClientFor(Keys.Commune);
        var late = await commune.PostAsJsonAsync($"/api/dossiers/{d["id"]}/apology", new { newDueAt = Hanoi(2025, 3, 6, 17), reason = "late" });
        late.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await late.Content.ReadAsStringAsync()).Should().Contain("has passed");
    }

    [Fact]
    public async Task A_day_off_added_at_run_time_moves_new_appointments_while_older_dossiers_keep_their_calendar_version()
    {
        var before = await ReceiveAsync(App, "birth-registration");
        using var admin = App.ClientFor(Keys.Admin);
        var added = await admin.PostAsJsonAsync("/api/calendar/days-off", new { date = "2025-03-03", name = "Unplanned day off", comment = "Notice 1/TB" });
        added.StatusCode.Should().Be(HttpStatusCode.OK, await added.Content.ReadAsStringAsync());
        JsonNode.Parse(await added.Content.ReadAsStringAsync())!["version"]!.GetValue<int>().Should().Be(2);

        var after = await ReceiveAsync(App, "birth-registration");

        Time(before, "appointmentAt").Should().Be(Utc(2025, 3, 3, 10));
        Time(after, "appointmentAt").Should().Be(Utc(2025, 3, 4, 10), "3 March is now a day off: the same-day procedure is due on the 4th");
        after["time"]!["calendarVersion"]!.GetValue<int>().Should().Be(2);
        (await GetAsync(App, before["id"]!.GetValue<string>()))["time"]!["calendarVersion"]!.GetValue<int>().Should().Be(1);

        var versions = JsonNode.Parse(await admin.GetStringAsync("/api/calendar/versions"))!.AsArray();
        versions.Select(v => v!["version"]!.GetValue<int>()).Should().Equal(2, 1);
        var v1 = JsonNode.Parse(await admin.GetStringAsync("/api/calendar/versions/1"))!;
        v1["calendar"]!["daysOff"]!.AsArray().Should().NotContain(x => x!["date"]!.GetValue<string>() == "2025-03-03");
    }

    [Fact]
    public async Task Calendar_changes_need_an_administrator_and_a_valid_date()
    {
        using var clerk = App.ClientFor(Keys.Counter);
        (await clerk.PostAsJsonAsync("/api/calendar/days-off", new { date = "2026-11-24" })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await clerk.GetAsync("/api/calendar")).StatusCode.Should().Be(HttpStatusCode.OK);

        using var admin = App.ClientFor(Keys.Admin);
        var bad = await admin.PostAsJsonAsync("/api/calendar/days-off", new { date = "24/11/2026" });
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("yyyy-MM-dd");

        var working = await admin.PostAsJsonAsync("/api/calendar/working-days", new { date = "2026-11-25", name = "not a weekend" });
        working.StatusCode.Should().Be(HttpStatusCode.BadRequest, "a make-up working day must be a weekend day");
    }

    [Fact]
    public async Task The_due_helper_computes_the_Tet_2025_example_on_the_current_calendar()
    {
        using var clerk = App.ClientFor(Keys.Counter);
        var due = JsonNode.Parse(await clerk.GetStringAsync("/api/calendar/due?receivedAt=2025-01-23T02:00:00Z&days=5"))!;
        due["dueLocal"]!.GetValue<string>().Should().Be("2025-02-06 17:00");
    }

    private async Task PublishTenDayProcedureAsync(string policy)
    {
        JsonObject Input(string type, JsonNode value) => new() { ["typeName"] = type, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value } };
        var definition = new JsonObject
        {
            ["definitionId"] = "ten-day",
            ["name"] = "Ten working days (DOMAIN §4.4 example)",
            ["variables"] = new JsonArray(),
            ["root"] = new JsonObject
            {
                ["type"] = "Elsa.Flowchart",
                ["id"] = "flowchart",
                ["activities"] = new JsonArray(
                    new JsonObject { ["id"] = "receive", ["type"] = "ProcessServer.ReceiveDossier", ["timeLimitDays"] = Input("Decimal", 10), ["pausePolicy"] = Input("String", policy) },
                    new JsonObject
                    {
                        ["id"] = "handle", ["type"] = "ProcessServer.Step", ["title"] = Input("String", "Handle"),
                        ["handlingUnit"] = Input("String", "VPDKDD-BINHSON"), ["role"] = Input("String", "land-registrar"),
                        ["timeLimitDays"] = Input("Decimal", 8), ["allowedOutcomes"] = Input("String[]", new JsonArray("Done", "RequestSupplement")),
                    },
                    new JsonObject { ["id"] = "ready", ["type"] = "ProcessServer.ResultReady" },
                    new JsonObject { ["id"] = "return", ["type"] = "ProcessServer.ReturnResult" }),
                ["connections"] = new JsonArray(
                    DefinitionEdits.Connection("receive", "Done", "handle"),
                    DefinitionEdits.Connection("handle", "Done", "ready"),
                    DefinitionEdits.Connection("ready", "Done", "return")),
            },
        };
        await DefinitionEdits.PublishAsync(App, definition);
    }
}
