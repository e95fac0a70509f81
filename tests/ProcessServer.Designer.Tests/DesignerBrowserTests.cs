using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Designer.Tests.Support;
using Xunit.Abstractions;

namespace ProcessServer.Designer.Tests;

/// <summary>
/// The real Elsa Studio 3.8.2 bundle in headless Chromium against the real server: what an
/// administrator does in the designer, checked afterwards through the clerk API.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class DesignerBrowserTests(ITestOutputHelper output) : IDisposable
{
    private readonly StudioServer _server = new();

    [Fact]
    public async Task An_administrator_changes_a_step_time_limit_and_publishes_new_dossiers_use_it_while_one_in_flight_stays_on_its_version()
    {
        // A dossier received before the change: it must run to the end on version 1.
        var inFlight = await Clerk.ReceiveAsync(_server, "land-first-certificate");
        Clerk.Version(inFlight).Should().Be(1);

        var result = await Browser.RunAsync("edit-time-limit", _server, output, new
        {
            clerkKey = Keys.Counter,
            definitionId = "land-first-certificate",
            stepId = "communeConfirm",
            newLimit = "7",
        });

        // The sign-in form refuses keys that are not an Administrator's.
        result["refusals"]!["clerk"]!.GetValue<string>().Should().Contain("Administrator");
        result["refusals"]!["invalid"]!.GetValue<string>().Should().Contain("not valid");

        // Our activities in the toolbox under their categories.
        var categories = result["categories"]!.AsObject();
        Items(categories, "Procedure").Should().BeEquivalentTo("Receive dossier", "Step", "Await payment", "Result ready", "Return result");
        Items(categories, "Branching").Should().BeEquivalentTo("Decision", "Fork", "Join");
        Items(categories, "Primitives").Should().BeEquivalentTo("Set variable", "Finish");

        // The step's fields, with the configured unit shown by name.
        var fields = result["fields"]!.AsArray().Select(f => f!.GetValue<string>()).ToList();
        fields.Should().Contain(["Title", "Handling unit", "Role", "Time limit (working days)", "Allowed outcomes", "Instructions"]);
        result["previousLimit"]!.GetValue<string>().Should().Be("5");
        result["handlingUnit"]!.GetValue<string>().Should().Contain("Ủy ban nhân dân xã Bình Sơn (UBND-BINHSON)");
        result["publishedVersion"]!.GetValue<int>().Should().Be(2);
        result["externalRequests"]!.AsArray().Should().BeEmpty("the designer must work without internet access");

        // Stored with its declared type: the Studio sent "7", the definition holds the number 7.
        using (var admin = _server.Client(Keys.Admin))
        {
            var v2 = JsonNode.Parse(await admin.GetStringAsync("/api/procedures/land-first-certificate/definition"))!;
            v2["version"]!.GetValue<int>().Should().Be(2);
            var limit = v2["root"]!["activities"]!.AsArray().First(a => a!["id"]!.GetValue<string>() == "communeConfirm")!["timeLimitDays"]!["expression"]!["value"]!;
            limit.GetValueKind().Should().Be(System.Text.Json.JsonValueKind.Number);
            limit.GetValue<decimal>().Should().Be(7m);
        }

        // A new dossier starts on version 2 and its commune step gets 7 working days …
        var fresh = await Clerk.ReceiveAsync(_server, "land-first-certificate");
        Clerk.Version(fresh).Should().Be(2);
        fresh = await Clerk.CompleteAsync(_server, fresh, "check", "Done", Keys.Land);
        Clerk.Limit(Clerk.Task(fresh, "communeConfirm")).Should().Be(7m);

        // … while the dossier received before stays on version 1, with its 5 days.
        inFlight = await Clerk.CompleteAsync(_server, inFlight, "check", "Done", Keys.Land);
        Clerk.Version(inFlight).Should().Be(1);
        Clerk.Limit(Clerk.Task(inFlight, "communeConfirm")).Should().Be(5m);
    }

    [Fact]
    public async Task The_dossier_viewer_draws_the_path_a_completed_dossier_took()
    {
        // A land dossier without a financial obligation: the decision skips the payment wait.
        var dossier = await Clerk.ReceiveAsync(_server, "land-first-certificate");
        dossier = await Clerk.CompleteAsync(_server, dossier, "check", "Done", Keys.Land);
        dossier = await Clerk.CompleteAsync(_server, dossier, "taxNotice", "Done", Keys.Tax, new { hasFinancialObligation = false });
        dossier = await Clerk.CompleteAsync(_server, dossier, "communeConfirm", "Done", Keys.Commune);
        dossier = await Clerk.CompleteAsync(_server, dossier, "prepare", "Done", Keys.Land);
        dossier = await Clerk.CompleteAsync(_server, dossier, "sign", "Done", Keys.Commune);
        dossier = await Clerk.CompleteAsync(_server, dossier, "updateRecords", "Done", Keys.Land);
        dossier = await Clerk.CompleteAsync(_server, dossier, "returnResult", "Done", Keys.Counter);
        Clerk.Status(dossier).Should().Be("Returned");

        string[] path = ["receive", "check", "fork", "communeConfirm", "taxNotice", "join", "decision", "prepare", "sign", "updateRecords", "resultReady", "returnResult", "finish"];
        var result = await Browser.RunAsync("view-dossier", _server, output, new { receiptCode = dossier["receiptCode"]!.GetValue<string>(), path });

        result["url"]!.GetValue<string>().Should().EndWith($"/designer/viewer.html?instanceId={dossier["id"]}");

        // The whole procedure is drawn; the activities on the path carry their execution counts,
        // the payment wait the dossier skipped carries none.
        var executed = result["executed"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.GetValue<string>());
        executed.Keys.Should().Contain("payment");
        executed.Where(p => p.Value.Length > 0).Select(p => p.Key).Should().BeEquivalentTo(path);

        // The journal lists the steps in order, started and completed.
        var journal = result["journal"]!.AsArray().Select(j => j!.GetValue<string>()).ToList();
        string Entry(string name, string eventName) =>
            journal.First(j => j.StartsWith(name, StringComparison.Ordinal) && j.Contains(eventName, StringComparison.Ordinal));
        // Steps appear under their titles (activities without one under their names).
        journal.Should().ContainInOrder(
            Entry("ReceiveDossier", "Completed"),
            Entry("Check dossier, verify conditions", "Started"),
            Entry("Check dossier, verify conditions", "Completed"),
            Entry("HasFinancialObligation", "Completed"),
            Entry("Prepare certificate", "Completed"),
            Entry("Return the certificate against the tax receipts", "Completed"));
        journal.Should().NotContain(j => j.StartsWith("Applicant pays", StringComparison.Ordinal));
        result["externalRequests"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task A_procedure_drawn_from_scratch_in_the_designer_runs_end_to_end_through_the_clerk_api()
    {
        var result = await Browser.RunAsync("draw-procedure", _server, output, new
        {
            name = "Xác nhận tình trạng hôn nhân",
            stepTitle = "Verify the marital status",
            unitCode = "UBND-BINHSON",
            stepLimit = "0,5",
            totalLimit = "1",
        });

        var definitionId = result["definitionId"]!.GetValue<string>();
        definitionId.Should().Be("xac-nhan-tinh-trang-hon-nhan");
        var stepId = result["activityIds"]![1]!.GetValue<string>();

        // Received at the counter on the published version 1 …
        var dossier = await Clerk.ReceiveAsync(_server, definitionId);
        Clerk.Version(dossier).Should().Be(1);
        var task = Clerk.Task(dossier, stepId);
        task["title"]!.GetValue<string>().Should().Be("Verify the marital status");
        task["unitCode"]!.GetValue<string>().Should().Be("UBND-BINHSON");
        Clerk.Limit(task).Should().Be(0.5m);

        // … handled by the commune, result ready at the counter, and returned.
        dossier = await Clerk.CompleteAsync(_server, dossier, stepId, "Done", Keys.Commune);
        Clerk.Status(dossier).Should().Be("ResultReady");
        var returnTask = dossier["currentTasks"]!.AsArray().Single()!["activityId"]!.GetValue<string>();
        dossier = await Clerk.CompleteAsync(_server, dossier, returnTask, "Done", Keys.Counter);
        Clerk.Status(dossier).Should().Be("Returned");
        dossier["nationalStatus"]!["code"]!.GetValue<int>().Should().Be(10);
    }

    [Fact]
    public async Task An_activity_type_the_server_does_not_know_still_renders_on_the_canvas()
    {
        // A definition written elsewhere (say an Elsa server with an SMS module) and stored here.
        using var admin = _server.StudioClient();
        var definition = JsonNode.Parse(await admin.GetStringAsync("/elsa/api/workflow-definitions/by-definition-id/birth-registration?versionOptions=Latest"))!.AsObject();
        definition["root"]!["activities"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "sms",
            ["nodeId"] = "Workflow1:flowchart:sms",
            ["name"] = "NotifyApplicant",
            ["type"] = "Acme.Notifications.SendSms",
            ["version"] = 3,
            ["metadata"] = new JsonObject { ["designer"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 260, ["y"] = 360 } } },
            ["message"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "Your certificate is ready" } },
        });
        definition["root"]!["connections"]!.AsArray().Add(new JsonObject
        {
            ["source"] = new JsonObject { ["activity"] = "sms", ["port"] = "Sent" },
            ["target"] = new JsonObject { ["activity"] = "register", ["port"] = "In" },
        });
        var body = new JsonObject { ["model"] = definition, ["publish"] = false };
        var saved = await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        saved.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());
        var count = definition["root"]!["activities"]!.AsArray().Count;

        var result = await Browser.RunAsync("open-editor", _server, output, new { definitionId = "birth-registration", waitFor = "sms", expectedCount = count });

        var drawn = result["activities"]!.AsArray().Select(a => (Id: a!["id"]!.GetValue<string>(), Text: a["text"]!.GetValue<string>())).ToList();
        drawn.Should().HaveCount(count, "the whole canvas renders, not an empty one");
        drawn.Single(a => a.Id == "sms").Text.Should().Contain("NotifyApplicant").And.Contain("Unknown activity");
    }

    [Fact]
    public async Task A_second_tab_saving_an_older_copy_is_refused_and_the_editor_says_who_saved_and_to_reload()
    {
        var result = await Browser.RunAsync("two-tabs", _server, output, new { definitionId = "land-first-certificate", stepId = "communeConfirm" });

        result["statuses"]!.AsArray().Select(s => s!.GetValue<int>()).Should().Equal(200, 409);
        result["banner"]!.GetValue<string>().Should().Contain("admin saved version 2").And.Contain("Reload");

        // Steps are shown by their titles on the canvas.
        result["canvasLabels"]!.AsArray().Select(l => l!.GetValue<string>()).Should().Contain(l => l.Contains("Confirm current use, origin, disputes and planning", StringComparison.Ordinal));

        // The first tab's limit is what the server kept.
        using var admin = _server.Client(Keys.Admin);
        var draft = JsonNode.Parse(await admin.GetStringAsync("/api/procedures/land-first-certificate/definition?version=2"))!;
        draft["root"]!["activities"]!.AsArray().First(a => a!["id"]!.GetValue<string>() == "communeConfirm")!["timeLimitDays"]!["expression"]!["value"]!.GetValue<decimal>().Should().Be(7m);

        // The README's screenshot of the designer is this test's view of the editor.
        var shot = Directory.GetFiles(Browser.ShotsFolder("two-tabs"), "*-editor.png").Single();
        var docs = Path.Combine(Browser.ProjectFolder, "..", "..", "docs", "designer.png");
        if (Directory.Exists(Path.GetDirectoryName(docs)))
        {
            File.Copy(shot, docs, overwrite: true);
        }
    }

    [Fact]
    public async Task Run_shows_the_server_explanation_in_a_readable_toast_and_the_error_bar_is_readable()
    {
        var result = await Browser.RunAsync("refusals", _server, output, new { definitionId = "birth-registration", stepId = "register" });

        result["runStatus"]!.GetValue<int>().Should().Be(400);
        result["toast"]!.GetValue<string>().Should().Contain("Run was refused").And.Contain("POST /api/dossiers");
        result["errorBar"]!["background"]!.GetValue<string>().Should().Be("rgb(183, 28, 28)");
        result["errorBar"]!["color"]!.GetValue<string>().Should().Be("rgb(255, 255, 255)");
    }

    public void Dispose() => _server.Dispose();

    private static List<string> Items(JsonObject categories, string category) =>
        categories[category]!.AsArray().Select(i => i!.GetValue<string>()).ToList();
}

/// <summary>Browser tests run one at a time: each drives a WebAssembly app on a 2-core CI machine.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserTestGroup
{
    public const string Name = "Designer in the browser";
}
