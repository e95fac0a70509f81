using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Designer.Tests.Support;
using ProcessServer.Engine.Activities;

namespace ProcessServer.Designer.Tests;

/// <summary>
/// The backend contract under /elsa/api (CONTRACT.md), over HTTP against the real store and engine:
/// the shapes and behaviours the Studio relies on, without a browser.
/// </summary>
public sealed class StudioApiTests : IDisposable
{
    private const string Land = "land-first-certificate";
    private readonly StudioServer _server = new();

    [Fact]
    public async Task Only_administrator_keys_reach_the_studio_api()
    {
        using var anonymous = _server.Client();
        (await anonymous.GetAsync("/elsa/api/workflow-definitions")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        foreach (var key in new[] { Keys.Counter, Keys.Reporter })
        {
            using var other = _server.StudioClient(key);
            (await other.GetAsync("/elsa/api/workflow-definitions")).StatusCode.Should().Be(HttpStatusCode.Forbidden, key);
        }

        using var admin = _server.StudioClient();
        var response = await admin.GetAsync("/elsa/api/workflow-definitions");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
    }

    [Fact]
    public async Task Cors_answers_preflights_of_a_configured_origin_without_a_key_and_exposes_the_headers_run_needs()
    {
        // A Studio hosted on another origin works once the operator lists that origin.
        using var server = new StudioServer(new Dictionary<string, string?> { ["ProcessServer:Cors:AllowedOrigins:0"] = "https://studio.example" });
        using var client = server.Client();
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/elsa/api/workflow-definitions");
        preflight.Headers.Add("Origin", "https://studio.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,x-tenant-id");
        var answer = await client.SendAsync(preflight);
        answer.StatusCode.Should().Be(HttpStatusCode.NoContent);
        string.Join(",", answer.Headers.GetValues("Access-Control-Allow-Headers")).ToUpperInvariant()
            .Should().Contain("AUTHORIZATION").And.Contain("CONTENT-TYPE").And.Contain("X-TENANT-ID");

        using var admin = server.StudioClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/elsa/api/workflow-definitions/{Land}/execute") { Content = JsonContent.Create(new { }) };
        request.Headers.Add("Origin", "https://studio.example");
        var execute = await admin.SendAsync(request);
        execute.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://studio.example");
        string.Join(",", execute.Headers.GetValues("Access-Control-Expose-Headers"))
            .Should().Contain("x-elsa-workflow-instance-id").And.Contain("x-elsa-workflow-cannot-start");
    }

    [Fact]
    public async Task Run_says_the_workflow_cannot_start_and_points_to_the_clerk_api()
    {
        using var admin = _server.StudioClient();
        var response = await admin.PostAsJsonAsync($"/elsa/api/workflow-definitions/{Land}/execute", new { versionOptions = "Latest" });
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        response.Headers.GetValues("x-elsa-workflow-cannot-start").Should().Equal("true");
        (await response.Content.ReadAsStringAsync()).Should().Contain("POST /api/dossiers");

        var instances = await admin.PostAsJsonAsync("/elsa/api/workflow-instances", new { page = 0, pageSize = 10 });
        JsonNode.Parse(await instances.Content.ReadAsStringAsync())!["totalCount"]!.GetValue<int>().Should().Be(0, "no dossier was started");
    }

    [Fact]
    public async Task Activity_descriptors_describe_every_activity_the_engine_runs_in_camel_case()
    {
        var items = (await GetAsync("/elsa/api/descriptors/activities?Refresh=True"))["items"]!.AsArray().Select(i => i!.AsObject()).ToList();

        foreach (var type in ActivityCatalog.Default.Types)
        {
            var descriptor = items.Should().ContainSingle(d => d["typeName"]!.GetValue<string>() == type.TypeName, type.TypeName).Subject;
            descriptor["version"]!.GetValue<int>().Should().Be(type.Version);
            descriptor["category"]!.GetValue<string>().Should().Be(type.Category);
            descriptor["isBrowsable"]!.GetValue<bool>().Should().BeTrue();
            var inputs = descriptor["inputs"]!.AsArray().Select(i => i!.AsObject()).ToList();
            inputs.Select(i => char.ToLowerInvariant(i["name"]!.GetValue<string>()[0]) + i["name"]!.GetValue<string>()[1..])
                .Should().Equal(type.Inputs.Select(i => i.Name));

            // Trap 4: every input says isBrowsable explicitly; trap 5: editor heights are numbers.
            inputs.Should().NotContain(i => i["isBrowsable"]!.GetValueKind() != JsonValueKind.True);
            AllPropertyNames(descriptor, skipValuesOf: ["constructionProperties", "uiSpecifications", "defaultValue"])
                .Should().OnlyContain(n => char.IsLower(n[0]), "the Studio reads camelCase only");
        }

        var step = items.Single(d => d["typeName"]!.GetValue<string>() == ActivityCatalog.Step);
        var unit = step["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "HandlingUnit")!;
        unit["uiHint"]!.GetValue<string>().Should().Be("dropdown");
        unit["uiSpecifications"]!["dropdown"]!["selectList"]!["items"]!.AsArray().Select(i => i!["value"]!.GetValue<string>())
            .Should().Contain(["", "HCC-BINHSON", "UBND-BINHSON", "VPDKDD-BINHSON", "THUE-QUANGNGAI"]);
        step["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "AllowedOutcomes")!["uiHint"]!.GetValue<string>().Should().Be("dynamic-outcomes");
        step["constructionProperties"]!["AllowedOutcomes"]!["expression"]!["value"]!.AsArray().Select(v => v!.GetValue<string>()).Should().Equal("Done");

        var receive = items.Single(d => d["typeName"]!.GetValue<string>() == ActivityCatalog.ReceiveDossier);
        receive["kind"]!.GetValue<string>().Should().Be("Trigger");
        receive["isStart"]!.GetValue<bool>().Should().BeTrue();
        items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.Finish")["isTerminal"]!.GetValue<bool>().Should().BeTrue();
        items.Single(d => d["typeName"]!.GetValue<string>() == "Elsa.FlowDecision")["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>())
            .Should().Equal("True", "False");

        // The other lists the editor loads before it renders.
        var expressions = (await GetAsync("/elsa/api/descriptors/expression-descriptors"))["items"]!.AsArray();
        expressions.Where(e => e!["isBrowsable"]!.GetValue<bool>()).Select(e => e!["type"]!.GetValue<string>()).Should().Equal("Literal");
        expressions.Select(e => e!["type"]!.GetValue<string>()).Should().Contain(t => t != "Literal" && t != "Object", "the Studio's expression editor needs one script syntax");
        foreach (var list in new[]
        {
            "descriptors/workflow-activation-strategies", "descriptors/log-persistence-strategies", "descriptors/incident-strategies",
            "descriptors/commit-strategies/workflows", "descriptors/commit-strategies/activities", "descriptors/storage-drivers",
            "descriptors/variables", "features/installed",
        })
        {
            (await GetAsync($"/elsa/api/{list}"))["items"].Should().BeOfType<JsonArray>(list);
        }
    }

    [Fact]
    public async Task An_activity_type_the_server_does_not_know_still_gets_a_descriptor_so_the_canvas_renders()
    {
        var definition = await ViewAsync(Land);
        var activities = definition["root"]!["activities"]!.AsArray();
        activities.Add(new JsonObject
        {
            ["id"] = "sms",
            ["nodeId"] = "Workflow1:flowchart:sms",
            ["name"] = "SendSms",
            ["type"] = "Acme.Notifications.SendSms",
            ["version"] = 3,
            ["metadata"] = new JsonObject(),
            ["phone"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "0905" } },
        });
        definition["root"]!["connections"]!.AsArray().Add(Connection("sms", "Sent", "check"));

        var saved = await SaveAsync(definition, publish: false);
        saved.StatusCode.Should().Be(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());

        var items = (await GetAsync("/elsa/api/descriptors/activities"))["items"]!.AsArray();
        var unknown = items.Should().ContainSingle(d => d!["typeName"]!.GetValue<string>() == "Acme.Notifications.SendSms").Subject!;
        unknown["version"]!.GetValue<int>().Should().Be(3);
        unknown["category"]!.GetValue<string>().Should().Be("Unknown");
        unknown["displayName"]!.GetValue<string>().Should().Contain("Unknown activity");
        unknown["isBrowsable"]!.GetValue<bool>().Should().BeFalse();
        unknown["ports"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).Should().Equal("Sent");

        // The unknown activity and its properties are kept as they were.
        var stored = await ViewAsync(Land);
        stored["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == "sms")!["phone"]!["expression"]!["value"]!.GetValue<string>().Should().Be("0905");
    }

    [Fact]
    public async Task Saving_a_published_procedure_creates_a_draft_with_values_of_their_declared_types_and_unknown_properties_kept()
    {
        var definition = await ViewAsync(Land);
        definition["isPublished"]!.GetValue<bool>().Should().BeTrue();
        definition["links"]!.AsArray().Select(l => l!["rel"]!.GetValue<string>()).Should().Contain("publish");

        // What the Studio writes after edits: every literal as a string.
        var check = Activity(definition, "check");
        check["timeLimitDays"] = Literal("Decimal", "2.5");
        check["pausesClock"] = Literal("Boolean", "True");
        check["allowedOutcomes"] = new JsonObject { ["typeName"] = "String[]", ["expression"] = new JsonObject { ["type"] = "Object", ["value"] = "[\"Done\",\"Reject\"]" } };
        check["role"] = new JsonObject { ["typeName"] = null, ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "land-registrar" }, ["memoryReference"] = null };
        check["acmeAudit"] = new JsonObject { ["keep"] = "7" };
        Activity(definition, "receive")["sameDay"] = Literal("Boolean", "False");
        definition["variables"]![0]!["value"] = "false";

        var response = await SaveAsync(definition, publish: false);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.Should().Be(HttpStatusCode.OK, body.ToJsonString());
        var draft = body["workflowDefinition"]!;
        draft["version"]!.GetValue<int>().Should().Be(2);
        draft["isLatest"]!.GetValue<bool>().Should().BeTrue();
        draft["isPublished"]!.GetValue<bool>().Should().BeFalse();
        draft["links"]!.AsArray().Select(l => l!["rel"]!.GetValue<string>()).Should().Contain("publish", "without it the editor turns read-only");

        var stored = await StoredAsync(Land, 2);
        var storedCheck = Activity(stored, "check");
        Value(storedCheck, "timeLimitDays").GetValue<decimal>().Should().Be(2.5m);
        Value(storedCheck, "pausesClock").GetValueKind().Should().Be(JsonValueKind.True);
        Value(storedCheck, "allowedOutcomes").AsArray().Select(o => o!.GetValue<string>()).Should().Equal("Done", "Reject");
        storedCheck["role"]!["typeName"]!.GetValue<string>().Should().Be("String");
        storedCheck["acmeAudit"]!["keep"]!.GetValue<string>().Should().Be("7");
        Value(Activity(stored, "receive"), "sameDay").GetValueKind().Should().Be(JsonValueKind.False);
        stored["variables"]![0]!["value"]!.GetValueKind().Should().Be(JsonValueKind.False);

        // Version 1 is untouched and still the one new dossiers start on.
        Value(Activity(await StoredAsync(Land, 1), "check"), "timeLimitDays").GetValue<decimal>().Should().Be(3m);
        Clerk.Version(await Clerk.ReceiveAsync(_server, Land)).Should().Be(1);
    }

    [Fact]
    public async Task A_value_that_is_not_of_its_declared_type_is_refused_with_a_message_the_studio_shows()
    {
        var definition = await ViewAsync(Land);
        Activity(definition, "check")["timeLimitDays"] = Literal("Decimal", "three days");

        var response = await SaveAsync(definition, publish: false);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        errors.Should().ContainSingle().Which.Should().Contain("Time limit (working days)").And.Contain("three days").And.Contain("check");
        (await VersionsAsync(Land)).Should().Be(1);
    }

    [Fact]
    public async Task A_definition_the_engine_cannot_run_is_saved_as_a_draft_but_never_published()
    {
        var definition = await ViewAsync(Land);
        definition["root"]!["connections"]!.AsArray().Add(Connection("check", "Done", "nowhere"));

        var response = await SaveAsync(definition, publish: true);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        errors.Should().Contain(e => e.Contains("nowhere", StringComparison.Ordinal));

        var latest = await ViewAsync(Land);
        latest["version"]!.GetValue<int>().Should().Be(2);
        latest["isPublished"]!.GetValue<bool>().Should().BeFalse();
        var published = await GetAsync($"/elsa/api/workflow-definitions/by-definition-id/{Land}?versionOptions=Published");
        published["version"]!.GetValue<int>().Should().Be(1);
        Clerk.Version(await Clerk.ReceiveAsync(_server, Land)).Should().Be(1);

        // The definition list's Publish is refused the same way (and answers 400 for the Studio).
        using var admin = _server.StudioClient();
        (await admin.PostAsJsonAsync($"/elsa/api/workflow-definitions/{Land}/publish", new { })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Publishing_an_unchanged_published_version_creates_no_new_version()
    {
        var definition = await ViewAsync(Land);

        // The designer re-measures nodes on every save; sizes do not make a new version.
        Activity(definition, "check")["metadata"]!["designer"]!["size"] = new JsonObject { ["width"] = 208.8, ["height"] = 54 };
        var response = await SaveAsync(definition, publish: true);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.Should().Be(HttpStatusCode.OK, body.ToJsonString());
        body["alreadyPublished"]!.GetValue<bool>().Should().BeTrue();
        body["workflowDefinition"]!["version"]!.GetValue<int>().Should().Be(1);
        (await VersionsAsync(Land)).Should().Be(1);
    }

    [Fact]
    public async Task Create_workflow_makes_a_new_procedure_with_everything_the_editor_dereferences()
    {
        using var admin = _server.StudioClient();
        (await GetAsync("/elsa/api/workflow-definitions/validation/is-name-unique?name=Workflow%201"))["isUnique"]!.GetValue<bool>().Should().BeTrue();

        // The body the Studio's "Create workflow" dialog posts (CONTRACT §3.3, examples/).
        var create = JsonNode.Parse("""
            {"model":{"definitionId":null,"name":"Đăng ký kết hôn","description":null,"toolVersion":"3.8.0.0","variables":null,"inputs":null,
             "outputs":null,"outcomes":null,"customProperties":null,"isReadonly":false,"options":null,
             "root":{"id":"8ee23eeeaf0f7769","type":"Elsa.Flowchart","version":1,"name":"Flowchart1"},
             "links":null,"createdAt":"0001-01-01T00:00:00+00:00","version":1,"isLatest":true,"isPublished":false,"id":null},"publish":null}
            """)!;
        var response = await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(create.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        response.StatusCode.Should().Be(HttpStatusCode.OK, body.ToJsonString());

        var created = body["workflowDefinition"]!;
        created["definitionId"]!.GetValue<string>().Should().Be("dang-ky-ket-hon");
        created["id"]!.GetValue<string>().Should().Be("dang-ky-ket-hon-v1");
        foreach (var list in new[] { "variables", "inputs", "outputs", "outcomes" })
        {
            created[list].Should().BeOfType<JsonArray>(list);
        }

        created["customProperties"].Should().BeOfType<JsonObject>();
        created["options"].Should().BeOfType<JsonObject>();
        created["root"]!["nodeId"]!.GetValue<string>().Should().Be("Workflow1:8ee23eeeaf0f7769");
        created["root"]!["activities"].Should().BeOfType<JsonArray>();
        created["root"]!["connections"].Should().BeOfType<JsonArray>();
        (await GetAsync("/elsa/api/workflow-definitions/validation/is-name-unique?name=%C4%90%C4%83ng%20k%C3%BD%20k%E1%BA%BFt%20h%C3%B4n"))["isUnique"]!.GetValue<bool>().Should().BeFalse();

        // A draft that was never published can be deleted; published procedures stay.
        (await admin.DeleteAsync("/elsa/api/workflow-definitions/dang-ky-ket-hon")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await admin.GetAsync("/elsa/api/workflow-definitions/by-definition-id/dang-ky-ket-hon")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await admin.DeleteAsync($"/elsa/api/workflow-definitions/{Land}")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await VersionsAsync(Land)).Should().Be(1);
    }

    [Fact]
    public async Task Retract_stops_new_dossiers_and_a_second_retract_is_a_message_not_a_crash()
    {
        using var admin = _server.StudioClient();
        var retracted = await admin.PostAsJsonAsync($"/elsa/api/workflow-definitions/{Land}/retract", new { });
        retracted.StatusCode.Should().Be(HttpStatusCode.OK);
        JsonNode.Parse(await retracted.Content.ReadAsStringAsync())!["isPublished"]!.GetValue<bool>().Should().BeFalse();

        var again = await admin.PostAsJsonAsync($"/elsa/api/workflow-definitions/{Land}/retract", new { });
        again.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await again.Content.ReadAsStringAsync())!["errors"]!.AsArray().Should().NotBeEmpty();

        using var counter = _server.Client(Keys.Counter);
        var refused = await counter.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = Land,
            applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234" },
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        var publish = await admin.PostAsJsonAsync($"/elsa/api/workflow-definitions/{Land}/publish", new { });
        JsonNode.Parse(await publish.Content.ReadAsStringAsync())!["workflowDefinition"]!["isPublished"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task The_definition_list_filters_and_pages_the_way_the_studio_asks()
    {
        var page = await GetAsync("/elsa/api/workflow-definitions?versionOptions=Latest&Page=0&PageSize=2&SearchTerm=&IsSystem=False&OrderDirection=Ascending");
        page["totalCount"]!.GetValue<int>().Should().Be(3);
        page["items"]!.AsArray().Should().HaveCount(2);
        page["links"]!.AsArray().Select(l => l!["rel"]!.GetValue<string>()).Should().Contain("bulk-publish");
        page["items"]![0]!["links"]!.AsArray().Select(l => l!["rel"]!.GetValue<string>()).Should().Contain("publish");

        var byVersionId = await GetAsync("/elsa/api/workflow-definitions?versionOptions=&Ids=birth-registration-v1");
        byVersionId["items"]!.AsArray().Select(i => i!["definitionId"]!.GetValue<string>()).Should().Equal("birth-registration");

        var definition = await ViewAsync(Land);
        Activity(definition, "check")["timeLimitDays"] = Literal("Decimal", "4");
        (await SaveAsync(definition, publish: false)).StatusCode.Should().Be(HttpStatusCode.OK);
        var history = await GetAsync($"/elsa/api/workflow-definitions?versionOptions=AllVersions&Page=0&PageSize=10&DefinitionIds={Land}&OrderBy=Version&OrderDirection=Descending");
        history["items"]!.AsArray().Select(i => (i!["version"]!.GetValue<int>(), i["isLatest"]!.GetValue<bool>(), i["isPublished"]!.GetValue<bool>()))
            .Should().Equal((2, true, false), (1, false, true));
        (await GetAsync($"/elsa/api/workflow-definitions?versionOptions=Published&DefinitionIds={Land}"))["items"]!.AsArray().Single()!["version"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task A_dossier_reads_as_a_workflow_instance_with_its_journal_executions_and_path()
    {
        var dossier = await Clerk.ReceiveAsync(_server, "birth-registration");
        dossier = await Clerk.CompleteAsync(_server, dossier, "register", "Done", Keys.Commune);
        var id = dossier["id"]!.GetValue<string>();

        using var admin = _server.StudioClient();
        var list = JsonNode.Parse(await (await admin.PostAsJsonAsync("/elsa/api/workflow-instances", new { page = 0, pageSize = 10, orderDirection = "Descending" })).Content.ReadAsStringAsync())!;
        var row = list["items"]!.AsArray().Single()!;
        row["id"]!.GetValue<string>().Should().Be(id);
        row["definitionVersionId"]!.GetValue<string>().Should().Be("birth-registration-v1");
        row["status"]!.GetValue<string>().Should().Be("Running");
        row["correlationId"]!.GetValue<string>().Should().Be(dossier["receiptCode"]!.GetValue<string>());

        var instance = await GetAsync($"/elsa/api/workflow-instances/{id}");
        instance["workflowState"]!["subStatus"]!.GetValue<string>().Should().Be("Suspended");
        instance["workflowState"]!["incidents"].Should().BeOfType<JsonArray>();
        (await GetAsync($"/elsa/api/workflow-instances/{id}/execution-state"))["status"]!.GetValue<string>().Should().Be("Running");
        (await GetAsync($"/elsa/api/workflow-instances/{id}/variables"))["items"].Should().BeOfType<JsonArray>();

        // The journal for the root's children, as the viewer asks for it.
        var journal = JsonNode.Parse(await (await admin.PostAsJsonAsync($"/elsa/api/workflow-instances/{id}/journal?skip=0&take=110", new
        {
            filter = new { activityNodeIds = new[] { "Workflow1:flowchart:receive", "Workflow1:flowchart:register", "Workflow1:flowchart:sign" }, excludedActivityTypes = new[] { "Elsa.Workflow", "Elsa.Flowchart" } },
        })).Content.ReadAsStringAsync())!;
        journal["items"]!.AsArray().Select(j => $"{j!["activityId"]}:{j["eventName"]}")
            .Should().Equal("receive:Completed", "register:Started", "register:Completed", "sign:Started");

        var report = JsonNode.Parse(await (await admin.PostAsJsonAsync("/elsa/api/activity-executions/report", new
        {
            workflowInstanceId = id,
            activityNodeIds = new[] { "Workflow1:flowchart:register", "Workflow1:flowchart:sign", "Workflow1:flowchart:returnResult" },
        })).Content.ReadAsStringAsync())!;
        report["stats"]!.AsArray().Select(s => (s!["activityId"]!.GetValue<string>(), s["completedCount"]!.GetValue<int>(), s["isBlocked"]!.GetValue<bool>()))
            .Should().Equal(("register", 1, false), ("sign", 0, true));

        var executions = await GetAsync($"/elsa/api/activity-executions/list?WorkflowInstanceId={id}&ActivityNodeId=Workflow1%3Aflowchart%3Aregister");
        var execution = executions["items"]!.AsArray().Single()!;
        execution["status"]!.GetValue<string>().Should().Be("Completed");
        (await GetAsync($"/elsa/api/activity-executions/by-id?id={Uri.EscapeDataString(execution["id"]!.GetValue<string>())}"))["activityId"]!.GetValue<string>().Should().Be("register");
        (await GetAsync($"/elsa/api/activity-execution-summaries/list?WorkflowInstanceId={id}&ActivityNodeId=Workflow1%3Aflowchart"))["items"]!.AsArray().Should().ContainSingle();

        // Dossiers change only through the clerk API.
        (await admin.PostAsync($"/elsa/api/cancel/workflow-instances/{id}", null)).StatusCode.Should().Be(HttpStatusCode.Conflict);
        Clerk.Status(await Clerk.GetAsync(_server, id)).Should().Be("InProgress");
    }

    public void Dispose() => _server.Dispose();

    private async Task<JsonObject> GetAsync(string path)
    {
        using var admin = _server.StudioClient();
        var response = await admin.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"{path}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private Task<JsonObject> ViewAsync(string definitionId) =>
        GetAsync($"/elsa/api/workflow-definitions/by-definition-id/{definitionId}?versionOptions=Latest");

    private async Task<JsonObject> StoredAsync(string code, int version)
    {
        using var admin = _server.Client(Keys.Admin);
        return JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{code}/definition?version={version}"))!.AsObject();
    }

    private async Task<int> VersionsAsync(string code)
    {
        using var admin = _server.Client(Keys.Admin);
        return JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{code}/versions"))!.AsArray().Count;
    }

    private async Task<HttpResponseMessage> SaveAsync(JsonObject definition, bool publish)
    {
        using var admin = _server.StudioClient();
        var body = new JsonObject { ["model"] = definition.DeepClone(), ["publish"] = publish };
        return await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
    }

    private static JsonObject Activity(JsonNode definition, string id) =>
        definition["root"]!["activities"]!.AsArray().Single(a => a!["id"]!.GetValue<string>() == id)!.AsObject();

    private static JsonNode Value(JsonObject activity, string input) => activity[input]!["expression"]!["value"]!;

    private static JsonObject Literal(string typeName, string value) => new()
    {
        ["typeName"] = typeName,
        ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value },
        ["memoryReference"] = null,
    };

    private static JsonObject Connection(string source, string port, string target) => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = port },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
        ["vertices"] = new JsonArray(),
    };

    private static IEnumerable<string> AllPropertyNames(JsonNode? node, string[] skipValuesOf)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, value) in obj)
                {
                    yield return name;
                    if (skipValuesOf.Contains(name))
                    {
                        continue;
                    }

                    foreach (var inner in AllPropertyNames(value, skipValuesOf))
                    {
                        yield return inner;
                    }
                }

                break;
            case JsonArray array:
                foreach (var inner in array.SelectMany(i => AllPropertyNames(i, skipValuesOf)))
                {
                    yield return inner;
                }

                break;
        }
    }
}
