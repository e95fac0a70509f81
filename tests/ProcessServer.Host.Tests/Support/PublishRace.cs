using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;

namespace ProcessServer.Host.Tests.Support;

/// <summary>
/// Concurrent publishes, saves and retracts of one procedure through real HTTP, and the invariant
/// they must leave in the store: at most one published and exactly one latest version. Shared by
/// the SQLite and PostgreSQL tests.
/// </summary>
public static class PublishRace
{
    /// <summary>
    /// <paramref name="count"/> administrators press Publish in the designer at once, each on a
    /// copy with a different step title: every call succeeds, each publishes its own new version.
    /// </summary>
    /// <remarks>
    /// The copies carry no revision token (as a script posting definitions would not), so none is
    /// refused as stale; <see cref="DesignerTabsPublishAtOnceAsync"/> covers copies that carry one.
    /// </remarks>
    public static async Task DesignerPublishesAtOnceAsync(ServerApp app, string code, int count)
    {
        using var admin = app.ClientFor(Keys.Admin);
        var loaded = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{code}?versionOptions=Latest"))!.AsObject();
        loaded["customProperties"]!.AsObject().Remove("processServerRevision");
        using var start = new SemaphoreSlim(0);
        var calls = Enumerable.Range(1, count).Select(async n =>
        {
            var model = (JsonObject)loaded.DeepClone();
            model["description"] = $"edited in tab {n}";
            var body = new JsonObject { ["model"] = model, ["publish"] = true }.ToJsonString();
            using var client = app.ClientFor(Keys.Admin);
            await start.WaitAsync();
            var response = await client.PostAsync("/elsa/api/workflow-definitions", new StringContent(body, Encoding.UTF8, "application/json"));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToList();
        start.Release(count);
        var results = await Task.WhenAll(calls);

        results.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK, string.Join("\n", results.Select(r => r.Body)));
        var published = results.Select(r => JsonNode.Parse(r.Body)!["workflowDefinition"]!["version"]!.GetValue<int>()).ToList();
        published.Should().OnlyHaveUniqueItems("each publish made a version of its own");
        await AssertOnePublishedAndOneLatestAsync(app, code, expectPublished: true);
        var highest = await HighestVersionAsync(app, code);
        (await PublishedVersionAsync(app, code)).Should().Be(highest, "the last publish wins and its version is the newest");
        (await ClerkApi.ReceiveAsync(app, code))["procedure"]!["version"]!.GetValue<int>().Should().Be(highest, "new dossiers start on the one published version");
    }

    /// <summary>
    /// <paramref name="count"/> designer tabs opened on the same version press Publish at once: one
    /// wins, every other is refused as stale (409) instead of publishing over it, and the store keeps
    /// one published and one latest version.
    /// </summary>
    public static async Task DesignerTabsPublishAtOnceAsync(ServerApp app, string code, int count)
    {
        using var admin = app.ClientFor(Keys.Admin);
        var loaded = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{code}?versionOptions=Latest"))!.AsObject();
        using var start = new SemaphoreSlim(0);
        var calls = Enumerable.Range(1, count).Select(async n =>
        {
            var model = (JsonObject)loaded.DeepClone();
            model["description"] = $"edited in tab {n}";
            var body = new JsonObject { ["model"] = model, ["publish"] = true }.ToJsonString();
            using var client = app.ClientFor(Keys.Admin);
            await start.WaitAsync();
            var response = await client.PostAsync("/elsa/api/workflow-definitions", new StringContent(body, Encoding.UTF8, "application/json"));
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }).ToList();
        start.Release(count);
        var results = await Task.WhenAll(calls);

        results.Count(r => r.StatusCode == HttpStatusCode.OK).Should().Be(1, string.Join("\n", results.Select(r => r.Body)));
        results.Count(r => r.StatusCode == HttpStatusCode.Conflict).Should().Be(count - 1);
        await AssertOnePublishedAndOneLatestAsync(app, code, expectPublished: true);
    }

    /// <summary>
    /// REST saves with ?publish=true, publishes of older versions and retracts, all at once: each
    /// call answers a clear status (never 5xx) and the store keeps its invariant.
    /// </summary>
    public static async Task RestPublishesAndRetractsAtOnceAsync(ServerApp app, string code, int rounds)
    {
        var definition = await DefinitionEdits.GetDefinitionAsync(app, code);
        using var start = new SemaphoreSlim(0);
        var calls = new List<Task<HttpResponseMessage>>();
        for (var n = 0; n < rounds; n++)
        {
            var copy = (JsonObject)definition.DeepClone();
            copy["description"] = $"REST edit {n}";
            calls.Add(Call(async c => await c.PutAsJsonAsync($"/api/procedures/{code}/draft?publish=true", copy)));
            calls.Add(Call(c => c.PostAsync($"/api/procedures/{code}/versions/1/publish", null)));
            calls.Add(Call(c => c.PostAsync($"/api/procedures/{code}/retract", null)));
        }

        start.Release(calls.Count);
        var responses = await Task.WhenAll(calls);
        foreach (var response in responses)
        {
            ((int)response.StatusCode).Should().BeOneOf([200, 409], await response.Content.ReadAsStringAsync());
        }

        await AssertOnePublishedAndOneLatestAsync(app, code, expectPublished: null);

        // Retract is deterministic: afterwards nothing is published and receipt says so.
        using var admin = app.ClientFor(Keys.Admin);
        await admin.PostAsync($"/api/procedures/{code}/retract", null);
        (await PublishedVersionAsync(app, code)).Should().BeNull();
        var refused = await admin.PostAsJsonAsync("/api/dossiers", new { procedureCode = code, applicant = ClerkApi.Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON" });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);

        // Publishing the latest again makes it the one version new dossiers start on.
        var latest = await HighestVersionAsync(app, code);
        (await admin.PostAsync($"/api/procedures/{code}/versions/{latest}/publish", null)).StatusCode.Should().Be(HttpStatusCode.OK);
        await AssertOnePublishedAndOneLatestAsync(app, code, expectPublished: true);
        (await ClerkApi.ReceiveAsync(app, code))["procedure"]!["version"]!.GetValue<int>().Should().Be(latest);

        Task<HttpResponseMessage> Call(Func<HttpClient, Task<HttpResponseMessage>> send) => Task.Run(async () =>
        {
            using var client = app.ClientFor(Keys.Admin);
            await start.WaitAsync();
            return await send(client);
        });
    }

    /// <summary>The store holds at most one published version and exactly one latest one.</summary>
    public static async Task AssertOnePublishedAndOneLatestAsync(ServerApp app, string code, bool? expectPublished)
    {
        await using var store = app.OpenStore();
        var versions = await store.WorkflowDefinitions.AsNoTracking().Where(d => d.DefinitionId == code)
            .Select(d => new { d.Version, d.IsLatest, d.IsPublished }).ToListAsync();
        var description = string.Join(", ", versions.OrderBy(v => v.Version).Select(v => $"v{v.Version}{(v.IsLatest ? " latest" : "")}{(v.IsPublished ? " published" : "")}"));
        versions.Count(v => v.IsLatest).Should().Be(1, description);
        versions.Count(v => v.IsPublished).Should().BeLessThanOrEqualTo(1, description);
        if (expectPublished is { } expected)
        {
            versions.Any(v => v.IsPublished).Should().Be(expected, description);
        }

        // Through the API the same: the versions list flags one latest, at most one published.
        using var admin = app.ClientFor(Keys.Admin);
        var listed = JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{code}/versions"))!.AsArray();
        listed.Count(v => v!["isLatest"]!.GetValue<bool>()).Should().Be(1);
        listed.Count(v => v!["isPublished"]!.GetValue<bool>()).Should().BeLessThanOrEqualTo(1);
    }

    private static async Task<int> HighestVersionAsync(ServerApp app, string code)
    {
        await using var store = app.OpenStore();
        return await store.WorkflowDefinitions.Where(d => d.DefinitionId == code).MaxAsync(d => d.Version);
    }

    private static async Task<int?> PublishedVersionAsync(ServerApp app, string code)
    {
        await using var store = app.OpenStore();
        return await store.WorkflowDefinitions.Where(d => d.DefinitionId == code && d.IsPublished).Select(d => (int?)d.Version).SingleOrDefaultAsync();
    }
}
