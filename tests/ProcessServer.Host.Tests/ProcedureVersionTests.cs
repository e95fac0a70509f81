using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.DefinitionEdits;

namespace ProcessServer.Host.Tests;

/// <summary>The definition lifecycle: drafts, publish, retract, versions, delete, immutability and pinning.</summary>
public sealed class ProcedureVersionTests : ServerTest
{
    private const string Birth = "birth-registration";

    [Fact]
    public async Task Saving_a_published_procedure_creates_the_next_version_as_a_draft_and_saving_again_updates_that_draft()
    {
        var definition = await GetDefinitionAsync(App, Birth);
        SetInput(definition, "sign", "timeLimitDays", 0.5m, "Decimal");
        using var admin = App.ClientFor(Keys.Admin);

        var first = JsonNode.Parse(await (await admin.PutAsJsonAsync($"/api/procedures/{Birth}/draft", definition)).Content.ReadAsStringAsync())!;
        SetInput(definition, "sign", "timeLimitDays", 0.75m, "Decimal");
        var second = JsonNode.Parse(await (await admin.PutAsJsonAsync($"/api/procedures/{Birth}/draft", definition)).Content.ReadAsStringAsync())!;

        (first["version"]!.GetValue<int>(), first["isPublished"]!.GetValue<bool>(), first["isLatest"]!.GetValue<bool>()).Should().Be((2, false, true));
        second["version"]!.GetValue<int>().Should().Be(2, "a draft is updated in place");
        second["id"]!.GetValue<string>().Should().Be(first["id"]!.GetValue<string>());

        var versions = JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{Birth}/versions"))!.AsArray();
        versions.Select(v => (v!["version"]!.GetValue<int>(), v["isLatest"]!.GetValue<bool>(), v["isPublished"]!.GetValue<bool>()))
            .Should().Equal((2, true, false), (1, false, true));
        var stored = await GetDefinitionAsync(App, Birth, 2);
        Activity(stored, "sign")["timeLimitDays"]!["expression"]!["value"]!.GetValue<decimal>().Should().Be(0.75m);
    }

    [Fact]
    public async Task Publishing_makes_new_dossiers_start_on_the_new_version_while_in_flight_ones_stay_pinned()
    {
        var before = await ReceiveAsync(App, Birth);
        var definition = await GetDefinitionAsync(App, Birth);
        SetInput(definition, "register", "timeLimitDays", 0.5m, "Decimal");
        SetInput(definition, "register", "title", "Register the birth (v2)");
        (await PublishAsync(App, definition)).Should().Be(2);

        var after = await ReceiveAsync(App, Birth);
        after["procedure"]!["version"]!.GetValue<int>().Should().Be(2);
        OpenTask(after, "register")["timeLimitDays"]!.GetValue<decimal>().Should().Be(0.5m);
        OpenTask(after, "register")["title"]!.GetValue<string>().Should().Be("Register the birth (v2)");

        before = await GetAsync(App, before["id"]!.GetValue<string>());
        before["procedure"]!["version"]!.GetValue<int>().Should().Be(1);
        OpenTask(before, "register")["timeLimitDays"]!.GetValue<decimal>().Should().Be(0.25m);
        foreach (var (activity, key) in new[] { ("register", Keys.Commune), ("sign", Keys.Commune), ("returnResult", Keys.Counter) })
        {
            before = await CompleteAsync(App, before, activity, "Done", key);
        }

        National(before).Should().Be(10);
        before["procedure"]!["version"]!.GetValue<int>().Should().Be(1);

        using var admin = App.ClientFor(Keys.Admin);
        var versions = JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{Birth}/versions"))!.AsArray();
        versions.Select(v => (v!["version"]!.GetValue<int>(), v["inFlightDossiers"]!.GetValue<int>(), v["totalDossiers"]!.GetValue<int>()))
            .Should().Equal((2, 1, 1), (1, 0, 1));
    }

    [Fact]
    public async Task A_published_version_is_immutable_and_cannot_be_deleted()
    {
        var definition = await GetDefinitionAsync(App, Birth);
        SetInput(definition, "sign", "title", "changed");
        using var admin = App.ClientFor(Keys.Admin);

        var update = await admin.PutAsJsonAsync($"/api/procedures/{Birth}/versions/1", definition);
        update.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await update.Content.ReadAsStringAsync()).Should().Contain("immutable").And.Contain("/draft");

        var delete = await admin.DeleteAsync($"/api/procedures/{Birth}/versions/1");
        delete.StatusCode.Should().Be(HttpStatusCode.Conflict);
        Activity(await GetDefinitionAsync(App, Birth, 1), "sign")["title"]!["expression"]!["value"]!.GetValue<string>().Should().Be("Sign birth certificate");
    }

    [Fact]
    public async Task A_draft_that_cannot_run_is_saved_with_its_problems_but_never_published()
    {
        var definition = await GetDefinitionAsync(App, Birth);
        Connections(definition).Add(Connection("sign", "Done", "nowhere"));
        using var admin = App.ClientFor(Keys.Admin);

        var saved = JsonNode.Parse(await (await admin.PutAsJsonAsync($"/api/procedures/{Birth}/draft", definition)).Content.ReadAsStringAsync())!;
        saved["problems"]!.AsArray().Select(p => p!["message"]!.GetValue<string>()).Should().ContainSingle(m => m.Contains("nowhere"));

        var publish = await admin.PostAsync($"/api/procedures/{Birth}/versions/2/publish", null);
        publish.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = JsonNode.Parse(await publish.Content.ReadAsStringAsync())!;
        problem["detail"]!.GetValue<string>().Should().Contain("'nowhere'");
        problem["errors"]!.AsArray().Should().NotBeEmpty();
        (await ReceiveAsync(App, Birth))["procedure"]!["version"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task Deleting_a_draft_leaves_the_published_version_latest()
    {
        var definition = await GetDefinitionAsync(App, Birth);
        using var admin = App.ClientFor(Keys.Admin);
        (await admin.PutAsJsonAsync($"/api/procedures/{Birth}/draft", definition)).StatusCode.Should().Be(HttpStatusCode.OK);

        (await admin.DeleteAsync($"/api/procedures/{Birth}/versions/2")).StatusCode.Should().Be(HttpStatusCode.NoContent);

        var versions = JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{Birth}/versions"))!.AsArray();
        versions.Select(v => (v!["version"]!.GetValue<int>(), v["isLatest"]!.GetValue<bool>())).Should().Equal((1, true));
    }

    [Fact]
    public async Task Retracting_stops_new_dossiers_but_running_ones_finish()
    {
        var running = await ReceiveAsync(App, Birth);
        using var admin = App.ClientFor(Keys.Admin);
        (await admin.PostAsync($"/api/procedures/{Birth}/retract", null)).StatusCode.Should().Be(HttpStatusCode.OK);

        using var counter = App.ClientFor(Keys.Counter);
        var refused = await counter.PostAsJsonAsync("/api/dossiers", new { procedureCode = Birth, applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON" });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await refused.Content.ReadAsStringAsync()).Should().Contain("no published version");

        running = await CompleteAsync(App, running, "register", "Done", Keys.Commune);
        OpenActivities(running).Should().Be("sign");
    }

    [Fact]
    public async Task Only_administrators_manage_versions()
    {
        using var clerk = App.ClientFor(Keys.Counter);
        (await clerk.GetAsync($"/api/procedures/{Birth}/versions")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await clerk.PostAsync($"/api/procedures/{Birth}/retract", null)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
