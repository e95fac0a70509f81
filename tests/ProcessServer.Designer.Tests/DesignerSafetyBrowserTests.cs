using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Designer.Tests.Support;
using Xunit.Abstractions;

namespace ProcessServer.Designer.Tests;

/// <summary>
/// Issue 10 in the real Elsa Studio bundle in headless Chromium: what an administrator does in the
/// editor and the lists, and what the designer shows for each refusal. One server and one browser
/// serve the whole class; each test first puts the procedure it edits back on its published version.
/// </summary>
[Collection(BrowserTestGroup.Name)]
public sealed class DesignerSafetyBrowserTests(BrowserSession session, ITestOutputHelper output) : IClassFixture<BrowserSession>
{
    private const string Land = "land-first-certificate";
    private const string Birth = "birth-registration";
    private const string Linked = "birth-residence-insurance";

    private StudioServer Server => session.Server;

    [Fact]
    public async Task A_duplicate_outcome_chip_is_refused_in_the_editor_with_the_server_message_and_the_canvas_keeps_drawing()
    {
        using var admin = Server.StudioClient();
        await ResetDraftAsync(admin, Land);
        var before = await LatestAsync(admin, Land);

        var result = await session.RunAsync("duplicate-outcome", output, new { definitionId = Land, stepId = "sign", outcome = "Done" });

        result["status"]!.GetValue<int>().Should().Be(400);
        result["message"]!.GetValue<string>().Should().Contain("step 'Sign certificate' ('sign')").And.Contain("'Done' twice").And.Contain("remove the duplicate");
        result["nodes"]!.GetValue<int>().Should().Be(Activities(before).Count, "the canvas still draws every step");
        var after = await LatestAsync(admin, Land);
        after["version"]!.GetValue<int>().Should().Be(before["version"]!.GetValue<int>());
        Activity(after, "sign")["allowedOutcomes"]!.ToJsonString().Should().Be(Activity(before, "sign")["allowedOutcomes"]!.ToJsonString(), "nothing was saved");
    }

    [Fact]
    public async Task A_compound_condition_typed_in_the_editor_is_published_and_routes_dossiers_and_a_malformed_one_is_refused_with_its_position()
    {
        using var admin = Server.StudioClient();

        // The numeric variable is declared through /elsa/api (the Variables tab's dialog is not what
        // this test is about); the condition itself is typed into the decision's Condition field.
        await ResetDraftAsync(admin, Land, model => model["variables"]!.AsArray().Add(
            new JsonObject { ["id"] = "area", ["name"] = "area", ["typeName"] = "Decimal", ["isArray"] = false, ["value"] = "0" }));

        var result = await session.RunAsync("condition", output, new
        {
            definitionId = Land,
            decisionId = "decision",
            malformed = "area > 500 &&",
            valid = "area > 500 && hasFinancialObligation",
        });

        var malformed = result["results"]![0]!;
        malformed["status"]!.GetValue<int>().Should().Be(400);
        Texts(malformed["messages"]).Should().Contain(m => m.Contains("position 14", StringComparison.Ordinal) && m.Contains("missing after '&&'", StringComparison.Ordinal));
        var valid = result["results"]![1]!;
        valid["status"]!.GetValue<int>().Should().Be(200, valid["body"]!.GetValue<string>());
        Texts(valid["messages"]).Should().Contain(m => m.Contains("Workflow published", StringComparison.Ordinal));

        var published = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{Land}?versionOptions=Published"))!.AsObject();
        Activity(published, "decision")["condition"]!["expression"]!["value"]!.GetValue<string>().Should().Be("area > 500 && hasFinancialObligation");

        // Area 600 and owing fees: the payment wait; area 400: straight to preparing the certificate.
        foreach (var (area, expected) in new[] { (600m, "payment"), (400m, "prepare") })
        {
            var dossier = await Clerk.ReceiveAsync(Server, Land);
            Clerk.Version(dossier).Should().Be(published["version"]!.GetValue<int>());
            dossier = await Clerk.CompleteAsync(Server, dossier, "check", "Done", Keys.Land);
            dossier = await Clerk.CompleteAsync(Server, dossier, "communeConfirm", "Done", Keys.Commune);
            dossier = await Clerk.CompleteAsync(Server, dossier, "taxNotice", "Done", Keys.Tax, new { area, hasFinancialObligation = true });
            Clerk.OpenActivities(dossier).Should().Be(expected, $"area {area}");
        }
    }

    [Fact]
    public async Task Export_then_import_in_the_editor_creates_a_draft_equal_to_the_export_with_unknown_properties_kept()
    {
        using var admin = Server.StudioClient();

        // Properties the Studio does not know cannot be typed in it; another tool would have written
        // them, so they are saved through /elsa/api first.
        await ResetDraftAsync(admin, Birth, model =>
        {
            model["x-agency-notes"] = new JsonObject { ["reviewedBy"] = "Sở Tư pháp", ["year"] = 2025 };
            Activity(model, "register")["acme:checklist"] = new JsonArray("Birth notice", "Parents' ID cards");
        });
        var draft = await LatestAsync(admin, Birth);

        var result = await session.RunAsync("export-import", output, new { definitionId = Birth, activityId = "register" });

        result["fileName"]!.GetValue<string>().Should().EndWith(".json");
        var exported = JsonNode.Parse(result["exported"]!.GetValue<string>())!.AsObject();
        exported["version"]!.GetValue<int>().Should().Be(draft["version"]!.GetValue<int>(), "the editor exports the version it shows");
        exported["x-agency-notes"]!["reviewedBy"]!.GetValue<string>().Should().Be("Sở Tư pháp");
        result["importStatus"]!.GetValue<int>().Should().Be(200, result["importBody"]!.GetValue<string>());

        var imported = await LatestAsync(admin, Birth);
        imported["version"]!.GetValue<int>().Should().Be(draft["version"]!.GetValue<int>() + 1, "import always creates a new draft version");
        imported["isPublished"]!.GetValue<bool>().Should().BeFalse();
        JsonNode.DeepEquals(DesignerSafetyApiTests.Content(imported), DesignerSafetyApiTests.Content(exported)).Should().BeTrue(
            $"the imported draft equals the export.\nExported: {DesignerSafetyApiTests.Content(exported).ToJsonString()}\nImported: {DesignerSafetyApiTests.Content(imported).ToJsonString()}");
        Activity(imported, "register")["acme:checklist"]!.AsArray().Select(i => i!.GetValue<string>()).Should().Equal("Birth notice", "Parents' ID cards");
        var published = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{Birth}?versionOptions=Published"))!;
        published["version"]!.GetValue<int>().Should().Be(1, "import never touches the published version");
    }

    [Fact]
    public async Task Save_As_then_an_edit_in_the_editor_changes_only_the_copy()
    {
        using var admin = Server.StudioClient();
        var original = await LatestAsync(admin, Linked);
        var originalTitle = Activity(original, "residence")["title"]!["expression"]!["value"]!.GetValue<string>();

        var result = await session.RunAsync("save-as", output, new
        {
            definitionId = Linked,
            stepId = "residence",
            newName = "Liên thông khai sinh – bản sao",
            newTitle = "Register permanent residence (trial copy)",
        });

        result["copyStatus"]!.GetValue<int>().Should().Be(200);
        var copyId = result["copyId"]!.GetValue<string>();
        copyId.Should().NotBe(Linked);
        result["url"]!.GetValue<string>().Should().EndWith($"/designer/editor.html?definitionId={copyId}", "the page follows the address to the copy");
        result["editStatus"]!.GetValue<int>().Should().Be(200);
        result["editedDefinitionId"]!.GetValue<string>().Should().Be(copyId, "the edit is saved into the copy");

        var copy = await LatestAsync(admin, copyId);
        Activity(copy, "residence")["title"]!["expression"]!["value"]!.GetValue<string>().Should().Be("Register permanent residence (trial copy)");
        var after = await LatestAsync(admin, Linked);
        after["version"]!.GetValue<int>().Should().Be(original["version"]!.GetValue<int>(), "the original got no new version");
        Activity(after, "residence")["title"]!["expression"]!["value"]!.GetValue<string>().Should().Be(originalTitle);
    }

    [Fact]
    public async Task Publishing_each_incomplete_procedure_in_the_editor_is_refused_with_a_message_naming_the_step()
    {
        using var admin = Server.StudioClient();
        const string StepLimit = "Time limit (working days)";
        const string TotalLimit = "Total time limit (working days)";

        // Limits are cleared in the editor as an administrator would. Removing a node with its
        // connections, dropping a connection and adding a loose step are prepared through /elsa/api:
        // dragging precise edges on the canvas is not practical to drive; the Publish click and
        // what the editor shows are the browser's.
        var cases = new (string Name, Action<JsonObject>? Break, object[] Clear, string Message)[]
        {
            ("no total limit", null, [new { activityId = "receive", label = TotalLimit }], "no total time limit"),
            ("cleared step limit", null, [new { activityId = "prepare", label = StepLimit }], "step 'Prepare certificate' ('prepare'): the time limit is empty"),
            ("no result ready", m =>
            {
                Activities(m).Remove(Activity(m, "resultReady"));
                var connections = m["root"]!["connections"]!.AsArray();
                connections.Remove(connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == "resultReady"));
                connections.Single(c => c!["target"]!["activity"]!.GetValue<string>() == "resultReady")!["target"]!["activity"] = "returnResult";
            }, [], "no 'ProcessServer.ResultReady' (Result ready)"),
            ("unconnected step", m => Activities(m).Add(new JsonObject
            {
                ["id"] = "archive",
                ["type"] = "ProcessServer.Step",
                ["version"] = 1,
                ["title"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "Archive the file" } },
                ["metadata"] = new JsonObject { ["designer"] = new JsonObject { ["position"] = new JsonObject { ["x"] = 300, ["y"] = 520 } } },
            }), [], "step 'Archive the file' ('archive') has no connection leading to it"),
            ("decision branch to nothing", m =>
            {
                var connections = m["root"]!["connections"]!.AsArray();
                connections.Remove(connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == "decision" && c["source"]!["port"]!.GetValue<string>() == "True"));
            }, [], "decision 'HasFinancialObligation' ('decision'): its outcome 'True' is connected to nothing"),
        };

        var publishedBefore = await PublishedVersionsAsync();
        foreach (var (name, breakIt, clear, message) in cases)
        {
            await ResetDraftAsync(admin, Land, breakIt);
            var result = await session.RunAsync("publish", output, new { definitionId = Land, activityId = "prepare", clear });

            result["status"]!.GetValue<int>().Should().Be(400, name);
            Texts(result["messages"]).Should().Contain(m => m.Contains(message, StringComparison.Ordinal), name);
            (await PublishedVersionsAsync()).Should().Equal(publishedBefore, name);
        }

        await ResetDraftAsync(admin, Land);
    }

    [Fact]
    public async Task Each_refusal_the_Studio_does_not_explain_shows_the_server_message_and_the_page_keeps_working()
    {
        // A procedure with a published version and a dossier: it cannot be deleted; the dossier
        // cannot be cancelled or deleted from the designer.
        var dossier = await Clerk.ReceiveAsync(Server, Linked);
        var receiptCode = dossier["receiptCode"]!.GetValue<string>();

        var result = await session.RunAsync("refusals-explained", output, new { procedure = Linked, receiptCode, definitionId = Land, stepId = "prepare" });

        // What each toast says is the server's own answer to the same call.
        using var admin = Server.StudioClient();
        var deleteAnswer = await ProblemAsync(await admin.DeleteAsync($"/elsa/api/workflow-definitions/{Linked}"));
        var cancelAnswer = await ProblemAsync(await admin.PostAsync($"/elsa/api/cancel/workflow-instances/{dossier["id"]}", null));
        var testAnswer = await ProblemAsync(await admin.PostAsync("/elsa/api/tests/activities", new StringContent("{}", Encoding.UTF8, "application/json")));

        Shown(result, "deleteProcedure").Should().Contain(deleteAnswer).And.Contain("published or has dossiers");
        Shown(result, "cancelDossier").Should().Contain(cancelAnswer).And.Contain("can only change through the clerk API");
        Shown(result, "deleteDossier").Should().Contain("can only change through the clerk API");
        Shown(result, "test").Should().Contain(testAnswer).And.Contain("not built yet");
        foreach (var action in new[] { "deleteProcedure", "cancelDossier", "deleteDossier", "test" })
        {
            result[action]!["status"]!.GetValue<int>().Should().BeGreaterThanOrEqualTo(400, action);
            result[action]!["errorBar"]!.GetValue<bool>().Should().BeFalse($"{action}: the toast explains the refusal and the page keeps working");
        }

        result["dossierStillListed"]!.GetValue<int>().Should().Be(1);
        (await Clerk.GetAsync(Server, dossier["id"]!.GetValue<string>()))["status"]!.GetValue<string>().Should().Be(Clerk.Status(dossier));
        (await LatestAsync(admin, Linked))["isPublished"]!.GetValue<bool>().Should().BeTrue();
    }

    private static string Shown(JsonObject result, string action) => result[action]!["toast"]!.GetValue<string>();

    private static async Task<string> ProblemAsync(HttpResponseMessage response)
    {
        response.StatusCode.Should().NotBe(HttpStatusCode.OK);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return problem["errors"] is JsonArray { Count: > 0 } errors ? errors[0]!.GetValue<string>() : problem["detail"]!.GetValue<string>();
    }

    private async Task<IReadOnlyList<int>> PublishedVersionsAsync()
    {
        using var clerkView = Server.Client(Keys.Admin);
        var versions = JsonNode.Parse(await clerkView.GetStringAsync($"/api/procedures/{Land}/versions"))!.AsArray();
        return versions.Where(v => v!["isPublished"]!.GetValue<bool>()).Select(v => v!["version"]!.GetValue<int>()).ToList();
    }

    /// <summary>
    /// Puts the published version back as the procedure's draft (changed by <paramref name="change"/>), so
    /// each test starts from a known copy whatever the tests before it left.
    /// </summary>
    private static async Task ResetDraftAsync(HttpClient admin, string definitionId, Action<JsonObject>? change = null)
    {
        var model = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{definitionId}?versionOptions=Published"))!.AsObject();
        model["customProperties"]!.AsObject().Remove("processServerRevision");
        change?.Invoke(model);
        var body = new JsonObject { ["model"] = model, ["publish"] = false };
        var response = await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static async Task<JsonObject> LatestAsync(HttpClient admin, string definitionId) =>
        JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{definitionId}?versionOptions=Latest"))!.AsObject();

    private static List<string> Texts(JsonNode? array) => array!.AsArray().Select(t => t!.GetValue<string>()).ToList();

    private static JsonArray Activities(JsonObject model) => model["root"]!["activities"]!.AsArray();

    private static JsonObject Activity(JsonObject model, string id) => Activities(model).Single(a => a!["id"]!.GetValue<string>() == id)!.AsObject();
}
