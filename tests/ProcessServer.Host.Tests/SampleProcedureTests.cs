using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Every transition of the three sample procedures, through the HTTP API on a real SQLite file.</summary>
public sealed class SampleProcedureTests : ServerTest
{
    [Fact]
    public async Task Land_dossier_with_financial_obligation_passes_every_step_and_is_returned()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d["receiptCode"]!.GetValue<string>().Should().Be("HCC-BINHSON-250303-0001");
        d["procedure"]!["version"]!.GetValue<int>().Should().Be(1);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Received", 2, "check"));

        Clock.Advance(TimeSpan.FromHours(2));
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("InProgress", 4, "communeConfirm,taxNotice"));
        OpenTask(d, "communeConfirm")["unitCode"]!.GetValue<string>().Should().Be("UBND-BINHSON");
        OpenTask(d, "taxNotice")["unitCode"]!.GetValue<string>().Should().Be("THUE-QUANGNGAI");

        d = await CompleteAsync(App, d, "taxNotice", "Done", Keys.Tax);
        OpenActivities(d).Should().Be("communeConfirm", "the join waits for the commune branch");

        d = await CompleteAsync(App, d, "communeConfirm", "Done", Keys.Commune);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("AwaitingPayment", 6, "payment"));
        OpenTask(d, "payment")["unitCode"]!.GetValue<string>().Should().Be("HCC-BINHSON", "payment is recorded at the receiving counter");

        d = await CompleteAsync(App, d, "payment", "Paid", Keys.Counter);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("InProgress", 4, "prepare"));

        d = await CompleteAsync(App, d, "prepare", "Done", Keys.Land);
        d = await CompleteAsync(App, d, "sign", "ReturnForRework", Keys.Commune);
        OpenActivities(d).Should().Be("prepare", "the chairman sent the certificate back");
        d = await CompleteAsync(App, d, "prepare", "Done", Keys.Land);
        d = await CompleteAsync(App, d, "sign", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "updateRecords", "Done", Keys.Land);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("ResultReady", 9, "returnResult"));
        d["resultReadyAt"].Should().NotBeNull();

        Clock.Advance(TimeSpan.FromDays(1));
        d = await CompleteAsync(App, d, "returnResult", "Done", Keys.Counter);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Returned", 10, ""));

        var completed = d["journal"]!.AsArray().Where(j => j!["type"]!.GetValue<string>() == "TaskCompleted").ToList();
        completed.Select(j => j!["activityId"]!.GetValue<string>()).Should().Equal(
            "check", "taxNotice", "communeConfirm", "payment", "prepare", "sign", "prepare", "sign", "updateRecords", "returnResult");
        completed.Should().OnlyContain(j => j!["actor"] != null && j["startedAt"] != null && j["completedAt"] != null && j["comment"] != null);
        completed[1]!["actor"]!.GetValue<string>().Should().Be("tax-quangngai");
    }

    [Fact]
    public async Task Land_dossier_without_financial_obligation_skips_the_payment_wait()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        d = await CompleteAsync(App, d, "communeConfirm", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "taxNotice", "Done", Keys.Tax, data: new { hasFinancialObligation = false });
        OpenActivities(d).Should().Be("prepare");
        d["variables"]!["hasFinancialObligation"]!.GetValue<bool>().Should().BeFalse();
        d["journal"]!.AsArray().Should().Contain(j => j!["type"]!.GetValue<string>() == "DecisionTaken" && j["outcome"]!.GetValue<string>() == "False");
    }

    [Fact]
    public async Task Land_dossier_supplement_request_pauses_the_check_and_resumes_the_same_task()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var taskId = OpenTask(d, "check")["id"]!.GetValue<string>();

        d = await CompleteAsync(App, d, "check", "RequestSupplement", Keys.Land);
        (Status(d), National(d)).Should().Be(("AwaitingSupplement", 5));
        OpenTask(d, "check")["allowedOutcomes"]!.AsArray().Select(o => o!.GetValue<string>()).Should().Equal("SupplementReceived", "Reject");

        d = await CompleteAsync(App, d, "check", "SupplementReceived", Keys.Land);
        (Status(d), National(d)).Should().Be(("Received", 2));
        OpenTask(d, "check")["id"]!.GetValue<string>().Should().Be(taskId, "the step resumes, it does not start over");

        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        OpenActivities(d).Should().Be("communeConfirm,taxNotice");
    }

    [Fact]
    public async Task Land_dossier_rejected_at_check_is_stopped_with_national_code_8()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Reject", Keys.Land);
        (Status(d), National(d), OpenActivities(d)).Should().Be(("Stopped", 8, ""));
        d["stoppedAt"].Should().NotBeNull();

        var inbox = await App.ClientFor(Keys.Land).GetStringAsync("/api/inbox");
        JsonNode.Parse(inbox)!["totalCount"]!.GetValue<int>().Should().Be(0);
    }

    [Fact]
    public async Task Birth_registration_runs_same_day_steps_with_a_supplement_and_a_rework()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        (Status(d), OpenActivities(d)).Should().Be(("Received", "register"));
        OpenTask(d, "register")["timeLimitDays"]!.GetValue<decimal>().Should().Be(0.25m);

        d = await CompleteAsync(App, d, "register", "RequestSupplement", Keys.Commune);
        National(d).Should().Be(5);
        d = await CompleteAsync(App, d, "register", "SupplementReceived", Keys.Commune);
        d = await CompleteAsync(App, d, "register", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "sign", "ReturnForRework", Keys.Commune);
        OpenActivities(d).Should().Be("register");
        d = await CompleteAsync(App, d, "register", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "sign", "Done", Keys.Commune);
        (National(d), OpenActivities(d)).Should().Be((9, "returnResult"));
        d = await CompleteAsync(App, d, "returnResult", "Done", Keys.Counter);
        National(d).Should().Be(10);
    }

    [Fact]
    public async Task Birth_registration_rejected_is_stopped()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        d = await CompleteAsync(App, d, "register", "Reject", Keys.Commune);
        (Status(d), National(d)).Should().Be(("Stopped", 8));
    }

    [Theory]
    [InlineData("residence", "insurance")]
    [InlineData("insurance", "residence")]
    public async Task Liaison_dossier_joins_residence_and_insurance_in_either_order_before_the_result(string first, string second)
    {
        var keys = new Dictionary<string, string> { ["residence"] = Keys.Police, ["insurance"] = Keys.Insurance };
        var d = await ReceiveAsync(App, "birth-residence-insurance", channel: "online");
        d["variables"]!["liaisonGroup"]!.GetValue<string>().Should().Be("khai-sinh-thuong-tru-bhyt", "SetVariable ran at receipt");
        d["channel"]!.GetValue<string>().Should().Be("online");

        d = await CompleteAsync(App, d, "registerBirth", "Done", Keys.Commune);
        OpenActivities(d).Should().Be("insurance,residence");

        d = await CompleteAsync(App, d, first, "Done", keys[first]);
        (National(d), OpenActivities(d)).Should().Be((4, second));

        d = await CompleteAsync(App, d, second, "Done", keys[second]);
        (National(d), OpenActivities(d)).Should().Be((9, "returnResult"));
        d["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "BranchesJoined").Should().Be(1);

        d = await CompleteAsync(App, d, "returnResult", "Done", Keys.Counter);
        National(d).Should().Be(10);
    }

    [Fact]
    public async Task Liaison_residence_supplement_pauses_only_that_branch_while_insurance_goes_on()
    {
        var d = await ReceiveAsync(App, "birth-residence-insurance");
        d = await CompleteAsync(App, d, "registerBirth", "Done", Keys.Commune);
        d = await CompleteAsync(App, d, "residence", "RequestSupplement", Keys.Police);
        National(d).Should().Be(5);
        d = await CompleteAsync(App, d, "insurance", "Done", Keys.Insurance);
        (National(d), OpenActivities(d)).Should().Be((5, "residence"));
        d = await CompleteAsync(App, d, "residence", "SupplementReceived", Keys.Police);
        d = await CompleteAsync(App, d, "residence", "Done", Keys.Police);
        National(d).Should().Be(9);
    }
}
