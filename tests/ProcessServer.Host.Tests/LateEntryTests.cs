using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.OffPathApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Paper and late entry (DOMAIN §7 pain points 4 and 20): an authorised role records acts with their
/// real occurred-at time; verdicts follow it, the journal keeps when and by whom the act was written
/// down, and the leaders' list shows it. Times before the previous event, in the future or outside the
/// window are refused.
/// </summary>
public sealed class LateEntryTests : ServerTest
{
    private static DateTimeOffset Hanoi(int y, int mo, int d, int h, int mi = 0) => new(y, mo, d, h, mi, 0, TimeSpan.FromHours(7));

    [Fact]
    public async Task A_back_dated_completion_is_judged_at_its_occurred_at_time_and_shows_in_the_leaders_list()
    {
        // A commune without the software registers a birth on paper on Monday 3 March 2025, same day.
        Clock.Set(Hanoi(2025, 3, 3, 9));
        var d = await ReceiveAsync(App, "birth-registration");
        var live = await ReceiveAsync(App, "birth-registration");

        // The paper is entered on Wednesday 5 March.
        Clock.Set(Hanoi(2025, 3, 5, 10));
        var (status, body) = await CompleteAtAsync(App, d, "register", "Done", Keys.Leader, Hanoi(2025, 3, 3, 10));
        status.Should().Be(HttpStatusCode.OK, body.ToJsonString());
        d = body;
        (status, body) = await CompleteAtAsync(App, d, "sign", "Done", Keys.Leader, Hanoi(2025, 3, 3, 14));
        status.Should().Be(HttpStatusCode.OK, body.ToJsonString());
        d = body;

        (National(d), d["time"]!["verdict"]!.GetValue<string>()).Should().Be((9, "OnTime"), "the result was ready on the day of receipt, as on paper");
        d["resultReadyAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 3, 14).UtcDateTime);
        var completed = d["journal"]!.AsArray().First(j => j!["type"]!.GetValue<string>() == "TaskCompleted")!;
        completed["timestamp"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 3, 10).UtcDateTime, "timestamp is when it happened");
        completed["recordedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 5, 10).UtcDateTime, "recordedAt is when it was written down");
        completed["recordedBy"]!.GetValue<string>().Should().Be("leader-binhson");
        completed["entryMode"]!.GetValue<string>().Should().Be("BackDated");
        completed["data"]!["verdict"]!.GetValue<string>().Should().Be("OnTime", "the step's own verdict also follows the real time (0.25 day from 09:00)");
        LastEntry(d, "TaskCompleted")["data"]!["verdict"]!.GetValue<string>().Should().Be("Late", "signing at 14:00 overran the 0.25-day step that started at 10:00");

        // The same steps clicked live on Wednesday are late: the difference is the point of late entry.
        live = await CompleteAsync(App, live, "register", "Done", Keys.Commune);
        live = await CompleteAsync(App, live, "sign", "Done", Keys.Commune);
        live["time"]!["verdict"]!.GetValue<string>().Should().Be("Late");
        LastEntry(live, "TaskCompleted")["entryMode"].Should().BeNull();

        // The leader's list for the unit and the period shows the late entries, not the live ones.
        using var leader = App.ClientFor(Keys.Leader);
        var list = JsonNode.Parse(await leader.GetStringAsync("/api/late-entries?unit=UBND-BINHSON&from=2025-03-01&to=2025-03-31"))!;
        list["totalCount"]!.GetValue<int>().Should().Be(2, "the two completions of the commune's steps");
        var all = JsonNode.Parse(await leader.GetStringAsync("/api/late-entries?from=2025-03-01&to=2025-03-31"))!;
        all["totalCount"]!.GetValue<int>().Should().Be(3, "every unit the leader leads: the two completions and the result they made ready");
        (all["perUnit"]!["UBND-BINHSON"]!.GetValue<int>(), all["perUnit"]!["HCC-BINHSON"]!.GetValue<int>()).Should().Be((2, 1));
        var items = all["items"]!.AsArray();
        items.Should().OnlyContain(i => i!["receiptCode"]!.GetValue<string>() == d["receiptCode"]!.GetValue<string>());
        var sign = items.Single(i => i!["activityId"]?.GetValue<string>() == "sign")!;
        sign["recordedBy"]!.GetValue<string>().Should().Be("leader-binhson");
        sign["delayHours"]!.GetValue<double>().Should().Be(44);
        sign["verdict"]!.GetValue<string>().Should().Be("Late");
        items.Single(i => i!["activityId"]?.GetValue<string>() == "register")!["verdict"]!.GetValue<string>().Should().Be("OnTime");
        items.Single(i => i!["type"]!.GetValue<string>() == "ResultReady")!["verdict"]!.GetValue<string>().Should().Be("OnTime");

        var otherPeriod = JsonNode.Parse(await leader.GetStringAsync("/api/late-entries?unit=UBND-BINHSON&from=2025-04-01&to=2025-04-30"))!;
        otherPeriod["totalCount"]!.GetValue<int>().Should().Be(0);
        (await App.ClientFor(Keys.Leader).GetAsync("/api/late-entries?unit=CA-BINHSON")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await App.ClientFor(Keys.Commune).GetAsync("/api/late-entries?unit=UBND-BINHSON")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_paper_receipt_dated_before_its_unit_was_retired_is_entered_under_that_unit_and_one_dated_after_is_refused_naming_the_successor()
    {
        // The commune centre is replaced on 1 July 2025; paper receipts of its last days are entered on 2 July.
        Clock.Set(Hanoi(2025, 7, 2, 9));
        using var admin = App.ClientFor(Keys.Admin);
        (await admin.PutAsJsonAsync("/api/units/HCC-BINHSON-MOI", new { name = "Trung tâm Phục vụ hành chính công xã Bình Sơn (mới)", level = "commune" }))
            .StatusCode.Should().Be(HttpStatusCode.OK);
        var moved = await admin.PostAsJsonAsync("/api/reorganisations", new { fromUnit = "HCC-BINHSON", toUnit = "HCC-BINHSON-MOI", effectiveAt = Hanoi(2025, 7, 1, 0) });
        moved.StatusCode.Should().Be(HttpStatusCode.OK, await moved.Content.ReadAsStringAsync());

        using var leader = App.ClientFor(Keys.Leader);
        object Paper(DateTimeOffset receivedAt) => new
        {
            procedureCode = "birth-registration", applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON", receivedAt,
        };
        var before = await leader.PostAsJsonAsync("/api/dossiers", Paper(Hanoi(2025, 6, 30, 15)));
        var dossier = JsonNode.Parse(await before.Content.ReadAsStringAsync())!;
        before.StatusCode.Should().Be(HttpStatusCode.Created, dossier.ToJsonString());
        dossier["receivingUnit"]!.GetValue<string>().Should().Be("HCC-BINHSON", "on 30 June the old centre received it");
        dossier["receiptCode"]!.GetValue<string>().Should().StartWith("HCC-BINHSON-250630-");
        dossier["journal"]![0]!["entryMode"]!.GetValue<string>().Should().Be("BackDated");

        var after = await leader.PostAsJsonAsync("/api/dossiers", Paper(Hanoi(2025, 7, 1, 9)));
        after.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await after.Content.ReadAsStringAsync()).Should().Contain("receivingUnit").And.Contain("HCC-BINHSON-MOI");
    }

    [Fact]
    public async Task A_completion_dated_before_the_previous_event_in_the_future_or_outside_the_window_is_refused_with_400_and_changes_nothing()
    {
        Clock.Set(Hanoi(2025, 3, 3, 9));
        var d = await ReceiveAsync(App, "land-first-certificate");
        Clock.Set(Hanoi(2025, 3, 10, 9));

        var (status, body) = await CompleteAtAsync(App, d, "check", "Done", Keys.Admin, Hanoi(2025, 3, 3, 8));
        status.Should().Be(HttpStatusCode.BadRequest, "08:00 is before the receipt at 09:00");
        body["errors"]!["occurredAt"]![0]!.GetValue<string>().Should().Contain("before the dossier's previous event");

        (status, body) = await CompleteAtAsync(App, d, "check", "Done", Keys.Admin, Hanoi(2025, 3, 11, 9));
        status.Should().Be(HttpStatusCode.BadRequest);
        body["errors"]!["occurredAt"]![0]!.GetValue<string>().Should().Contain("later than the server's time");

        Clock.Set(Hanoi(2025, 4, 20, 9));
        (status, body) = await CompleteAtAsync(App, d, "check", "Done", Keys.Admin, Hanoi(2025, 3, 5, 9));
        status.Should().Be(HttpStatusCode.BadRequest, "more than 30 days back");
        body["errors"]!["occurredAt"]![0]!.GetValue<string>().Should().Contain("/api/imports");

        (status, body) = await CompleteAtAsync(App, d, "check", "Done", Keys.Land, Hanoi(2025, 4, 18, 9));
        status.Should().Be(HttpStatusCode.Forbidden, "a clerk records acts as they happen");
        body["detail"]!.GetValue<string>().Should().Contain("Leader, Administrator");

        var unchanged = await GetAsync(App, d["id"]!.GetValue<string>());
        unchanged["version"]!.GetValue<int>().Should().Be(d["version"]!.GetValue<int>());
        OpenActivities(unchanged).Should().Be("check");

        // A paper receipt of a week ago, entered by the leader, counts from its real day.
        using var leader = App.ClientFor(Keys.Leader);
        var received = await leader.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration", applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON", receivedAt = Hanoi(2025, 4, 14, 9),
        });
        var paper = JsonNode.Parse(await received.Content.ReadAsStringAsync())!.AsObject();
        received.StatusCode.Should().Be(HttpStatusCode.Created, paper.ToJsonString());
        paper["receiptCode"]!.GetValue<string>().Should().StartWith("HCC-BINHSON-250414-");
        paper["journal"]![0]!["entryMode"]!.GetValue<string>().Should().Be("BackDated");
        (await App.ClientFor(Keys.Counter).PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration", applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON", receivedAt = Hanoi(2025, 4, 14, 9),
        })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Back_dated_pause_resume_and_return_keep_their_real_times()
    {
        Clock.Set(Hanoi(2025, 3, 3, 8));
        var d = await ReceiveAsync(App, "land-first-certificate");
        Clock.Set(Hanoi(2025, 3, 20, 9));
        d = (await CompleteAtAsync(App, d, "check", "RequestSupplement", Keys.Admin, Hanoi(2025, 3, 7, 16))).Body;
        d = (await CompleteAtAsync(App, d, "check", "SupplementReceived", Keys.Admin, Hanoi(2025, 3, 19, 9))).Body;
        var pause = d["time"]!["pauses"]!.AsArray().Single()!;
        pause["startedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 7, 16).UtcDateTime);
        pause["endedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 19, 9).UtcDateTime);

        d = await ActAsync(App, Keys.Leader, d, "return-without-resolution", new { reason = "Không đủ điều kiện", occurredAt = Hanoi(2025, 3, 19, 15) });
        d["stoppedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Hanoi(2025, 3, 19, 15).UtcDateTime);
        LastEntry(d, "DossierStopped")["entryMode"]!.GetValue<string>().Should().Be("BackDated");
    }
}
