using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Designer.Tests.Support;

namespace ProcessServer.Designer.Tests;

/// <summary>
/// Issue 10 through /elsa/api and the REST API over HTTP, without a browser: the same checks the
/// browser tests make (a duplicate outcome refused, a stale second tab refused, a compound condition
/// evaluated and a malformed one refused with its position, export and import round-tripping,
/// incomplete procedures refused naming the step).
/// </summary>
public sealed class DesignerSafetyApiTests : IDisposable
{
    private const string Land = "land-first-certificate";
    private readonly StudioServer _server = new();

    [Fact]
    public async Task A_duplicate_outcome_is_refused_with_a_message_naming_the_step_and_nothing_is_saved()
    {
        using var admin = _server.StudioClient();
        var model = await LatestAsync(admin, Land);
        Activity(model, "sign")["allowedOutcomes"] = Input("String[]", "[\"Done\",\"ReturnForRework\",\"Done\"]", "Object");

        var response = await SaveAsync(admin, model, publish: false);

        response.Status.Should().Be(HttpStatusCode.BadRequest);
        Messages(response.Body).Should().ContainSingle().Which.Should().Contain("step 'Sign certificate' ('sign')").And.Contain("'Done' twice").And.Contain("remove the duplicate");
        (await LatestAsync(admin, Land))["version"]!.GetValue<int>().Should().Be(1, "nothing was saved");
    }

    [Fact]
    public async Task A_second_tab_saving_an_older_copy_is_refused_with_409_naming_who_saved_and_when()
    {
        using var admin = _server.StudioClient();
        var tabA = await LatestAsync(admin, Land);
        var tabB = await LatestAsync(admin, Land);

        // Tab A sets a limit (a new draft, version 2), then saves again on the copy the server returned.
        Activity(tabA, "communeConfirm")["timeLimitDays"] = Input("Decimal", "7");
        var first = await SaveAsync(admin, tabA, publish: false);
        first.Status.Should().Be(HttpStatusCode.OK, first.Body.ToJsonString());
        tabA = first.Body["workflowDefinition"]!.AsObject();
        Activity(tabA, "prepare")["timeLimitDays"] = Input("Decimal", "4");
        (await SaveAsync(admin, tabA, publish: false)).Status.Should().Be(HttpStatusCode.OK, "a tab keeps saving on the copy each save returns");

        // Tab B still holds version 1: its save would overwrite A's limits, so it is refused.
        tabB["description"] = "edited in tab B";
        var stale = await SaveAsync(admin, tabB, publish: false);

        stale.Status.Should().Be(HttpStatusCode.Conflict);
        stale.Body["savedBy"]!.GetValue<string>().Should().Be("admin");
        stale.Body["savedAt"]!.GetValue<DateTime>().Should().Be(_server.Clock.GetUtcNow().UtcDateTime);
        Messages(stale.Body).Single().Should().Contain("admin saved version 2").And.Contain("Reload");
        var stored = await LatestAsync(admin, Land);
        Activity(stored, "communeConfirm")["timeLimitDays"]!["expression"]!["value"]!.GetValue<decimal>().Should().Be(7m, "A's limit is kept");
        stored["description"]!.GetValue<string>().Should().NotBe("edited in tab B");

        // The same with a publish click from the stale tab.
        (await SaveAsync(admin, tabB, publish: true)).Status.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Two_REST_saves_from_the_same_ETag_the_second_is_refused_with_409()
    {
        using var admin = _server.Client(Keys.Admin);
        var read = await admin.GetAsync($"/api/procedures/{Land}/definition");
        var etag = read.Headers.ETag!.Tag;
        var definition = JsonNode.Parse(await read.Content.ReadAsStringAsync())!.AsObject();

        async Task<HttpResponseMessage> Put(string description)
        {
            definition["description"] = description;
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/procedures/{Land}/draft") { Content = new StringContent(definition.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.TryAddWithoutValidation("If-Match", etag);
            return await admin.SendAsync(request);
        }

        var first = await Put("first");
        first.StatusCode.Should().Be(HttpStatusCode.OK);
        first.Headers.ETag!.Tag.Should().NotBe(etag);
        var second = await Put("second");
        second.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await second.Content.ReadAsStringAsync()).Should().Contain("admin saved version 2");
    }

    [Fact]
    public async Task A_compound_condition_takes_the_right_branch_and_a_malformed_one_is_refused_with_its_position()
    {
        using var admin = _server.StudioClient();
        var model = await LatestAsync(admin, Land);
        model["variables"]!.AsArray().Add(new JsonObject { ["id"] = "area", ["name"] = "area", ["typeName"] = "Decimal", ["isArray"] = false, ["value"] = "0" });
        Activity(model, "decision")["condition"] = Input("Boolean", "area > 500 &&");

        var malformed = await SaveAsync(admin, model, publish: true);
        malformed.Status.Should().Be(HttpStatusCode.BadRequest);
        Messages(malformed.Body).Should().Contain(m => m.Contains("position 14", StringComparison.Ordinal) && m.Contains("missing after '&&'", StringComparison.Ordinal));

        // The edits were kept as a draft; the answer names the draft's revision, which the editor's
        // next save carries (the host pages forward it), so that save is not refused as stale.
        model = await LatestAsync(admin, Land);
        malformed.Body["savedToken"]!.GetValue<string>().Should().Be(model["customProperties"]!["processServerRevision"]!.GetValue<string>());
        Activity(model, "decision")["condition"] = Input("Boolean", "area > 500 && hasFinancialObligation");
        var published = await SaveAsync(admin, model, publish: true);
        published.Status.Should().Be(HttpStatusCode.OK, published.Body.ToJsonString());

        // Area 600 and owing fees: the payment wait; area 400: straight to preparing the certificate.
        foreach (var (area, expected) in new[] { (600m, "payment"), (400m, "prepare") })
        {
            var dossier = await Clerk.ReceiveAsync(_server, Land);
            dossier = await Clerk.CompleteAsync(_server, dossier, "check", "Done", Keys.Land);
            dossier = await Clerk.CompleteAsync(_server, dossier, "communeConfirm", "Done", Keys.Commune);
            dossier = await Clerk.CompleteAsync(_server, dossier, "taxNotice", "Done", Keys.Tax, new { area, hasFinancialObligation = true });
            dossier["currentTasks"]!.AsArray().Single()!["activityId"]!.GetValue<string>().Should().Be(expected, $"area {area}");
        }
    }

    [Fact]
    public async Task Publishing_an_incomplete_procedure_is_refused_naming_the_step()
    {
        using var admin = _server.StudioClient();
        var cases = new (string Name, Action<JsonObject> Break, string Message)[]
        {
            ("no total limit", m => Activity(m, "receive").Remove("timeLimitDays"), "no total time limit"),
            ("cleared step limit", m => Activity(m, "prepare")["timeLimitDays"] = Input("Decimal", ""), "step 'Prepare certificate' ('prepare'): the time limit is empty"),
            ("no result ready", m =>
            {
                Activities(m).Remove(Activity(m, "resultReady"));
                var connections = m["root"]!["connections"]!.AsArray();
                connections.Remove(connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == "resultReady"));
                connections.Single(c => c!["target"]!["activity"]!.GetValue<string>() == "resultReady")!["target"]!["activity"] = "returnResult";
            }, "no 'ProcessServer.ResultReady' (Result ready)"),
            ("unconnected step", m => Activities(m).Add(new JsonObject { ["id"] = "archive", ["type"] = "ProcessServer.Step", ["version"] = 1, ["title"] = Input("String", "Archive the file") }),
                "step 'Archive the file' ('archive') has no connection leading to it"),
            ("decision branch to nothing", m =>
            {
                var connections = m["root"]!["connections"]!.AsArray();
                connections.Remove(connections.Single(c => c!["source"]!["activity"]!.GetValue<string>() == "decision" && c["source"]!["port"]!.GetValue<string>() == "True"));
            }, "decision 'HasFinancialObligation' ('decision'): its outcome 'True' is connected to nothing"),
        };

        foreach (var (name, breakIt, message) in cases)
        {
            // Each case starts from the published version 1; without the editor's revision token the
            // save goes to the draft the previous case left.
            var model = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{Land}?versionOptions=Published"))!.AsObject();
            model["customProperties"]!.AsObject().Remove("processServerRevision");
            breakIt(model);
            var response = await SaveAsync(admin, model, publish: true);
            response.Status.Should().Be(HttpStatusCode.BadRequest, name);
            Messages(response.Body).Should().Contain(m => m.Contains(message, StringComparison.Ordinal), name);
            using var clerkView = _server.Client(Keys.Admin);
            var versions = JsonNode.Parse(await clerkView.GetStringAsync($"/api/procedures/{Land}/versions"))!.AsArray();
            versions.Where(v => v!["isPublished"]!.GetValue<bool>()).Select(v => v!["version"]!.GetValue<int>()).Should().Equal([1], name);
        }
    }

    [Fact]
    public async Task Export_then_import_round_trips_a_procedure_with_unknown_properties_and_never_touches_the_published_version()
    {
        using var admin = _server.StudioClient();
        var model = await LatestAsync(admin, Land);
        model["x-agency-notes"] = new JsonObject { ["reviewedBy"] = "Sở Tư pháp", ["year"] = 2025 };
        Activity(model, "check")["acme:checklist"] = new JsonArray("ID card", "Survey map");
        (await SaveAsync(admin, model, publish: false)).Status.Should().Be(HttpStatusCode.OK);

        var export = await admin.GetAsync($"/elsa/api/workflow-definitions/{Land}/export?versionOptions=Latest");
        export.StatusCode.Should().Be(HttpStatusCode.OK);
        export.Content.Headers.ContentDisposition!.FileName!.Trim('"').Should().EndWith("-v2.json");
        var exported = JsonNode.Parse(await export.Content.ReadAsStringAsync())!.AsObject();
        exported["x-agency-notes"]!["reviewedBy"]!.GetValue<string>().Should().Be("Sở Tư pháp");

        // Imported into the same procedure: a new draft (version 3), equal to the export; version 1 stays published.
        var imported = await admin.PostAsync("/elsa/api/workflow-definitions/import", new StringContent(exported.ToJsonString(), Encoding.UTF8, "application/json"));
        var importedText = await imported.Content.ReadAsStringAsync();
        imported.StatusCode.Should().Be(HttpStatusCode.OK, importedText);
        var draft = JsonNode.Parse(importedText)!.AsObject();
        draft["version"]!.GetValue<int>().Should().Be(3);
        draft["isPublished"]!.GetValue<bool>().Should().BeFalse();
        JsonNode.DeepEquals(Content(draft), Content(exported)).Should().BeTrue("the imported draft equals the export");
        Activity(draft, "check")["acme:checklist"]!.AsArray().Should().HaveCount(2);
        var published = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{Land}?versionOptions=Published"))!;
        published["version"]!.GetValue<int>().Should().Be(1);

        // Several at once: a zip from the bulk export, imported as files into new procedures.
        var zip = await admin.PostAsync("/elsa/api/bulk-actions/export/workflow-definitions",
            new StringContent("{\"ids\":[\"birth-registration-v1\",\"land-first-certificate-v2\"]}", Encoding.UTF8, "application/json"));
        zip.Content.Headers.ContentType!.MediaType.Should().Be("application/zip");
        var bytes = await zip.Content.ReadAsByteArrayAsync();
        using (var archive = new ZipArchive(new MemoryStream(bytes)))
        {
            archive.Entries.Select(e => e.Name).Should().HaveCount(2).And.OnlyContain(n => n.EndsWith(".json", StringComparison.Ordinal));
        }

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        form.Add(file, "files", "procedures.zip");
        var bad = new StringContent("{\"name\": 5, \"root\": {\"type\": \"Elsa.Flowchart\"}}", Encoding.UTF8, "application/json");
        form.Add(bad, "files", "broken.json");
        var result = JsonNode.Parse(await (await admin.PostAsync("/elsa/api/workflow-definitions/import-files", form)).Content.ReadAsStringAsync())!;
        result["count"]!.GetValue<int>().Should().Be(2);
        result["errors"]!.AsArray().Single()!.GetValue<string>().Should().StartWith("broken.json: ").And.Contain("name must be text");
    }

    [Fact]
    public async Task Search_ignores_accents_the_dossier_list_shows_the_national_status_and_Test_explains_itself()
    {
        using var admin = _server.StudioClient();
        var found = JsonNode.Parse(await admin.GetStringAsync("/elsa/api/workflow-definitions?versionOptions=Latest&SearchTerm=dang%20ky%20dat%20dai"))!;
        found["items"]!.AsArray().Select(i => i!["definitionId"]!.GetValue<string>()).Should().Equal(Land);

        var dossier = await Clerk.ReceiveAsync(_server, Land);
        var list = JsonNode.Parse(await (await admin.PostAsync("/elsa/api/workflow-instances", new StringContent("{\"page\":0,\"pageSize\":10}", Encoding.UTF8, "application/json"))).Content.ReadAsStringAsync())!;
        var national = dossier["nationalStatus"]!["code"]!.GetValue<int>();
        list["items"]!.AsArray().Single()!["name"]!.GetValue<string>().Should().EndWith($" · {national} {(national == 2 ? "Được tiếp nhận" : "Đang xử lý")}");

        var test = await admin.PostAsync("/elsa/api/tests/activities", new StringContent("{}", Encoding.UTF8, "application/json"));
        test.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        Messages(JsonNode.Parse(await test.Content.ReadAsStringAsync())!.AsObject()).Single().Should().Contain("not built yet");
    }

    public void Dispose() => _server.Dispose();

    /// <summary>A definition without what the server stamps on every version (id, version, dates, revision, title labels).</summary>
    internal static JsonObject Content(JsonObject definition)
    {
        var copy = (JsonObject)definition.DeepClone();
        foreach (var key in new[] { "id", "version", "createdAt", "isLatest", "isPublished", "links" })
        {
            copy.Remove(key);
        }

        (copy["customProperties"] as JsonObject)?.Remove("processServerRevision");

        // Canvas labels the server shows from step titles are presentation, not content.
        foreach (var metadata in copy["root"]!["activities"]!.AsArray().Select(a => a!["metadata"]).OfType<JsonObject>())
        {
            if (metadata["processServerTitleLabel"] is { } made)
            {
                if (metadata["displayText"]?.ToString() == made.ToString())
                {
                    metadata.Remove("displayText");
                }

                metadata.Remove("processServerTitleLabel");
            }
        }

        return copy;
    }

    private static async Task<JsonObject> LatestAsync(HttpClient admin, string definitionId) =>
        JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{definitionId}?versionOptions=Latest"))!.AsObject();

    private static async Task<(HttpStatusCode Status, JsonObject Body)> SaveAsync(HttpClient admin, JsonObject model, bool publish)
    {
        var body = new JsonObject { ["model"] = model.DeepClone(), ["publish"] = publish };
        var response = await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static IReadOnlyList<string> Messages(JsonObject problem) => problem["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

    private static JsonArray Activities(JsonObject model) => model["root"]!["activities"]!.AsArray();

    private static JsonObject Activity(JsonObject model, string id) => Activities(model).Single(a => a!["id"]!.GetValue<string>() == id)!.AsObject();

    private static JsonObject Input(string typeName, string value, string syntax = "Literal") => new()
    {
        ["typeName"] = typeName,
        ["expression"] = new JsonObject { ["type"] = syntax, ["value"] = value },
        ["memoryReference"] = null,
    };
}
