using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.TaskActs;

namespace ProcessServer.Host.Tests;

/// <summary>A unit is abolished and its open work moves to its successor; history stays under the unit as it was.</summary>
public sealed class ReorganisationTests : ServerTest
{
    private const string OldCentre = "HCC-BINHSON";
    private const string NewCentre = "HCC-BINHSON-MOI";

    [Fact]
    public async Task A_service_centres_open_work_in_several_procedures_held_and_paused_moves_to_its_successor_and_every_dossier_runs_to_its_end()
    {
        using var admin = App.ClientFor(Keys.Admin);
        using var counter = App.ClientFor(Keys.Counter);
        using var land = App.ClientFor(Keys.Land);
        using var tax = App.ClientFor(Keys.Tax);
        using var commune = App.ClientFor(Keys.Commune);

        // Week one at the old centre: a land dossier waiting for payment (clock paused), a birth
        // registration whose result waits at the counter (claimed by the counter clerk), a liaison
        // dossier at the commune (its hand-over at the counter is still ahead), a land dossier at the check.
        var paying = await ReceiveAsync(App, "land-first-certificate");
        paying = await CompleteAsync(App, paying, "check", "Done", Keys.Land);
        paying = await CompleteAsync(App, paying, "taxNotice", "Done", Keys.Tax);
        paying = await CompleteAsync(App, paying, "communeConfirm", "Done", Keys.Commune);
        OpenActivities(paying).Should().Be("payment");
        var birth = await ReceiveAsync(App, "birth-registration");
        birth = await CompleteAsync(App, birth, "register", "Done", Keys.Commune);
        birth = await CompleteAsync(App, birth, "sign", "Done", Keys.Commune);
        birth = await OkAsync(counter, birth, "returnResult", "claim");
        var liaison = await ReceiveAsync(App, "birth-residence-insurance", channel: "online");
        var checking = await ReceiveAsync(App, "land-first-certificate");
        var finished = await ReceiveAsync(App, "birth-registration");
        finished = await CompleteAsync(App, finished, "register", "Done", Keys.Commune);
        finished = await CompleteAsync(App, finished, "sign", "Done", Keys.Commune);
        finished = await CompleteAsync(App, finished, "returnResult", "Done", Keys.Counter);

        // 1 July: the new centre exists; the old one's work moves to it.
        Clock.Set(new DateTimeOffset(2025, 3, 10, 1, 0, 0, TimeSpan.Zero));
        (await admin.PutAsJsonAsync($"/api/units/{NewCentre}", new { name = "Trung tâm Phục vụ hành chính công xã Bình Sơn (mới)", level = "commune", parent = "HCC-TINH" }))
            .StatusCode.Should().Be(HttpStatusCode.OK);
        var request = new { fromUnit = OldCentre, toUnit = NewCentre };

        var dry = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/reorganisations/dry-run", request)).Content.ReadAsStringAsync())!;
        dry["dryRun"]!.GetValue<bool>().Should().BeTrue();
        dry["dossiers"]!.GetValue<int>().Should().Be(4, "the paying, birth, liaison and checking dossiers have work at the old centre; the returned one does not");
        dry["tasks"]!.GetValue<int>().Should().Be(2, "the payment and the claimed hand-over are open there now");
        var dryItems = dry["items"]!.AsArray().ToDictionary(i => i!["receiptCode"]!.GetValue<string>(), i => i!);
        dryItems[birth["receiptCode"]!.GetValue<string>()]["tasks"]!.AsArray().Single()!["holderName"]!.GetValue<string>().Should().Be("counter-binhson");
        dryItems[checking["receiptCode"]!.GetValue<string>()]["laterSteps"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Contain("Return the certificate against the tax receipts");
        (await GetAsync(App, paying["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(paying["version"]!.GetValue<int>(), "a dry run changes nothing");

        var run = await admin.PostAsJsonAsync("/api/reorganisations", request);
        var moved = JsonNode.Parse(await run.Content.ReadAsStringAsync())!;
        run.StatusCode.Should().Be(HttpStatusCode.OK, moved.ToJsonString());
        moved["dossiers"]!.GetValue<int>().Should().Be(4);
        moved["tasks"]!.GetValue<int>().Should().Be(2);
        moved["failed"]!.GetValue<int>().Should().Be(0);

        // The paused payment and the claimed hand-over are now the new centre's; the holder keeps the claim.
        paying = await GetAsync(App, paying["id"]!.GetValue<string>());
        Task(paying, "payment")["unitCode"]!.GetValue<string>().Should().Be(NewCentre);
        paying["procedure"]!["version"]!.GetValue<int>().Should().Be(1, "dossiers keep their procedure version");
        National(paying).Should().Be(6, "still waiting for the payment, clock paused");
        var reorganised = Journal(paying, "UnitReorganised").Single();
        reorganised["actorId"]!.GetValue<string>().Should().Be("admin");
        reorganised["data"]!["fromUnit"]!.GetValue<string>().Should().Be(OldCentre);
        birth = await GetAsync(App, birth["id"]!.GetValue<string>());
        Task(birth, "returnResult")["assignee"]!["name"]!.GetValue<string>().Should().Be("counter-binhson");
        birth["heldBy"]!.AsArray().Single()!["unitName"]!.GetValue<string>().Should().Be("Trung tâm Phục vụ hành chính công xã Bình Sơn (mới)");

        // A second run finds nothing left: the act is idempotent.
        var again = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/reorganisations", request)).Content.ReadAsStringAsync())!;
        again["dossiers"]!.GetValue<int>().Should().Be(0);
        again["alreadyMoved"]!.GetValue<int>().Should().Be(4);

        // The old centre no longer receives; its clerk's key (still naming it) works for the successor.
        var refused = await counter.PostAsJsonAsync("/api/dossiers", new { procedureCode = "birth-registration", applicant = Applicant(), channel = "direct", receivingUnit = OldCentre });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).Should().Contain(NewCentre);
        var fresh = await ReceiveAsync(App, "birth-registration", unit: NewCentre);
        fresh["receivingUnit"]!.GetValue<string>().Should().Be(NewCentre);

        // Every dossier runs to its end; steps addressed to the old centre start at the new one. The move
        // was a change of each dossier (a new version), so the clerks work from a fresh read.
        liaison = await GetAsync(App, liaison["id"]!.GetValue<string>());
        checking = await GetAsync(App, checking["id"]!.GetValue<string>());
        paying = await CompleteAsync(App, paying, "payment", "Paid", Keys.Counter);
        paying = await CompleteAsync(App, paying, "prepare", "Done", Keys.Land);
        paying = await CompleteAsync(App, paying, "sign", "Done", Keys.Commune);
        paying = await CompleteAsync(App, paying, "updateRecords", "Done", Keys.Land);
        Task(paying, "returnResult")["unitCode"]!.GetValue<string>().Should().Be(NewCentre);
        paying = await CompleteAsync(App, paying, "returnResult", "Done", Keys.Counter);
        Status(paying).Should().Be("Returned");

        birth = JsonNode.Parse(await (await CompleteAsync(counter, birth, "returnResult")).Content.ReadAsStringAsync())!.AsObject();
        Status(birth).Should().Be("Returned");

        liaison = await CompleteAsync(App, liaison, "registerBirth", "Done", Keys.Commune);
        liaison = await CompleteAsync(App, liaison, "insurance", "Done", Keys.Insurance);
        liaison = await CompleteAsync(App, liaison, "residence", "Done", Keys.Police);
        Task(liaison, "returnResult")["unitCode"]!.GetValue<string>().Should().Be(NewCentre);
        liaison = await CompleteAsync(App, liaison, "returnResult", "Done", Keys.Counter);
        Status(liaison).Should().Be("Returned");

        checking = await CompleteAsync(App, checking, "check", "Done", Keys.Land);
        checking = await CompleteAsync(App, checking, "taxNotice", "Done", Keys.Tax, new { hasFinancialObligation = false });
        checking = await CompleteAsync(App, checking, "communeConfirm", "Done", Keys.Commune);
        checking = await CompleteAsync(App, checking, "prepare", "Done", Keys.Land);
        checking = await CompleteAsync(App, checking, "sign", "Done", Keys.Commune);
        checking = await CompleteAsync(App, checking, "updateRecords", "Done", Keys.Land);
        Task(checking, "returnResult")["unitCode"]!.GetValue<string>().Should().Be(NewCentre);
        checking = await CompleteAsync(App, checking, "returnResult", "Done", Keys.Counter);
        Status(checking).Should().Be("Returned");

        // The report of the week before the move shows the old centre, by the name it had.
        var before = await ReportRowsAsync(admin, "2025-03-03", "2025-03-07");
        before.Select(r => r["UnitCode"]!.GetValue<string>()).Distinct().Should().Equal(OldCentre);
        before.Should().OnlyContain(r => r["UnitName"]!.GetValue<string>() == "Trung tâm Phục vụ hành chính công xã Bình Sơn");
        before.Sum(r => r["Received"]!.GetValue<int>()).Should().Be(5);

        // The month as a whole: history under the old centre, the new dossier under the new one.
        var month = await ReportRowsAsync(admin, "2025-03-01", "2025-03-31");
        month.Where(r => r["UnitCode"]!.GetValue<string>() == OldCentre).Sum(r => r["Received"]!.GetValue<int>()).Should().Be(5);
        month.Where(r => r["UnitCode"]!.GetValue<string>() == NewCentre).Sum(r => r["Received"]!.GetValue<int>()).Should().Be(1);

        var units = JsonNode.Parse(await admin.GetStringAsync("/api/units"))!.AsArray();
        var old = units.Single(u => u!["code"]!.GetValue<string>() == OldCentre)!;
        old["successor"]!.GetValue<string>().Should().Be(NewCentre);
        old["current"]!.GetValue<bool>().Should().BeFalse();

        // The reporting feed's unit directory carries the same dated data: parent, successor, validity.
        var feedUnits = JsonNode.Parse(await admin.GetStringAsync("/odata/v1/Units"))!["value"]!.AsArray()
            .ToDictionary(u => u!["Code"]!.GetValue<string>(), u => u!.AsObject());
        feedUnits[OldCentre]["Successor"]!.GetValue<string>().Should().Be(NewCentre);
        feedUnits[OldCentre]["ValidTo"]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(2025, 3, 10, 1, 0, 0, TimeSpan.Zero), "retired when the move ran");
        feedUnits[NewCentre]["Parent"]!.GetValue<string>().Should().Be("HCC-TINH");
        feedUnits[NewCentre]["Successor"].Should().BeNull();
        feedUnits[NewCentre]["ValidTo"].Should().BeNull();

        // In the month's table both centres are commune units, each with its total, under one commune subtotal.
        var totals = JsonNode.Parse(await admin.GetStringAsync("/odata/v1/PeriodReportTotals?from=2025-03-01&to=2025-03-31&$orderby=Position"))!["value"]!.AsArray()
            .Select(r => r!.AsObject()).ToList();
        totals.Select(r => (r["Kind"]!.GetValue<string>(), r["Level"]!.GetValue<string>(), r["UnitCode"]!.GetValue<string>())).Should().Equal(
            ("Level", "commune", ""), ("Unit", "commune", OldCentre), ("Unit", "commune", NewCentre), ("Total", "", ""));
        totals[1]["UnitName"]!.GetValue<string>().Should().Be("Trung tâm Phục vụ hành chính công xã Bình Sơn", "the old centre by the name it had");
        foreach (var column in new[] { "Received", "Resolved", "InProgress" })
        {
            totals[1][column]!.GetValue<int>().Should().Be(month.Where(r => r["UnitCode"]!.GetValue<string>() == OldCentre).Sum(r => r[column]!.GetValue<int>()), column);
            totals[2][column]!.GetValue<int>().Should().Be(month.Where(r => r["UnitCode"]!.GetValue<string>() == NewCentre).Sum(r => r[column]!.GetValue<int>()), column);
            totals[0][column]!.GetValue<int>().Should().Be(totals[1][column]!.GetValue<int>() + totals[2][column]!.GetValue<int>(), column);
            totals[3][column]!.GetValue<int>().Should().Be(month.Sum(r => r[column]!.GetValue<int>()), column);
        }

        totals[0]["Received"]!.GetValue<int>().Should().Be(6);
        var audit = JsonNode.Parse(await admin.GetStringAsync("/api/audit?action=UnitReorganised"))!.AsArray();
        audit.Should().HaveCount(2, "each run is recorded");
        audit.Select(a => a!["actorId"]!.GetValue<string>()).Should().OnlyContain(a => a == "admin");
    }

    [Fact]
    public async Task A_reorganisation_moves_the_steps_deadlines_and_refuses_a_second_successor_or_an_unknown_unit()
    {
        using var admin = App.ClientFor(Keys.Admin);
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        (await admin.PutAsJsonAsync("/api/units/UBND-BINHSON-MOI", new { name = "Ủy ban nhân dân xã Bình Sơn (mới)", level = "commune" }))
            .StatusCode.Should().Be(HttpStatusCode.OK);

        var unknown = await admin.PostAsJsonAsync("/api/reorganisations", new { fromUnit = "UBND-BINHSON", toUnit = "NOWHERE" });
        unknown.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await unknown.Content.ReadAsStringAsync()).Should().Contain("toUnit");
        (await admin.PostAsJsonAsync("/api/reorganisations", new { fromUnit = "UBND-BINHSON", toUnit = "UBND-BINHSON-MOI", releaseHeld = true }))
            .StatusCode.Should().Be(HttpStatusCode.OK);

        await using (var store = App.OpenStore())
        {
            var task = store.Tasks.Single(t => t.DossierId == d["id"]!.GetValue<string>() && t.ActivityId == "communeConfirm");
            task.UnitCode.Should().Be("UBND-BINHSON-MOI");
            store.Deadlines.Where(x => x.TaskId == task.Id && x.Status == "Pending").Select(x => x.UnitCode).ToList()
                .Should().HaveCount(2).And.OnlyContain(u => u == "UBND-BINHSON-MOI");
        }

        var second = await admin.PostAsJsonAsync("/api/reorganisations", new { fromUnit = "UBND-BINHSON", toUnit = "HCC-TINH" });
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await second.Content.ReadAsStringAsync()).Should().Contain("UBND-BINHSON-MOI");
        using var clerk = App.ClientFor(Keys.Commune);
        (await clerk.PostAsJsonAsync("/api/reorganisations/dry-run", new { fromUnit = "UBND-BINHSON", toUnit = "HCC-TINH" }))
            .StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    private static async Task<List<JsonObject>> ReportRowsAsync(HttpClient admin, string from, string to)
    {
        var response = await admin.GetAsync($"/odata/v1/PeriodReport?from={from}&to={to}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return [.. JsonNode.Parse(body)!["value"]!.AsArray().Select(r => r!.AsObject())];
    }
}
