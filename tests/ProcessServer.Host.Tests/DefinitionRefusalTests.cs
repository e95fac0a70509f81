using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Issue 9, finding 3: a definition is judged completely before anything is written; a bad one gets
/// 400 naming the activity and field and the fix, never 500, and nothing is stored; a stored version
/// this server cannot read is listed as broken and never breaks lists or the feed.
/// </summary>
public sealed class DefinitionRefusalTests : ServerTest
{
    private const string Land = "land-first-certificate";

    public static TheoryData<string, string, string> BadDefinitions => new()
    {
        // name of the case, a JavaScript-free edit as (path = JSON value), what the answer must say
        { "literal of the wrong JSON kind", "root.activities[check].timeLimitDays.expression.value={\"days\":3}", "Time limit (working days) must be a number" },
        { "Int32 overflow in a variable default", "variables[+]={\"name\":\"plots\",\"typeName\":\"Int32\",\"value\":3000000000}", "out of range for Int32" },
        { "duplicate variable names", "variables[+]={\"name\":\"hasFinancialObligation\",\"typeName\":\"Boolean\",\"value\":false}", "declared twice" },
        { "non-string name", "name=17", "name must be text" },
        { "non-string definitionId", "definitionId=17", "definitionId must be text" },
        { "duplicate outcome", "root.activities[sign].allowedOutcomes.expression.value=[\"Done\",\"ReturnForRework\",\"Done\"]", "'Done' twice" },
        { "lone surrogate", "description=\"LONE\"", "not valid Unicode" },
        { "expression type that is a number", "root.activities[check].title.expression.type=3", "Title must be written as" },
        { "a variable list that is an object", "variables={}", "variables must be a list" },
    };

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task A_bad_definition_sent_to_the_REST_API_is_refused_with_400_naming_the_field_and_nothing_is_stored(string name, string edit, string message)
    {
        var before = await SnapshotAsync();
        var body = Edit(await DefinitionEdits.GetDefinitionAsync(App, Land), edit);
        using var admin = App.ClientFor(Keys.Admin);

        foreach (var url in new[] { $"/api/procedures/{Land}/draft", $"/api/procedures/{Land}/draft?publish=true", $"/api/procedures/{Land}/versions/1" })
        {
            var response = await admin.PutAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().BeOneOf([400, 409], $"{name} at {url}: {text}");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                text.Should().Contain(message, name);
                JsonNode.Parse(text)!["errors"]!.AsArray().Should().NotBeEmpty();
            }
        }

        (await SnapshotAsync()).Should().Be(before, "nothing is stored when a definition is refused");
        (await admin.GetAsync($"/api/procedures/{Land}/versions")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [MemberData(nameof(BadDefinitions))]
    public async Task A_bad_definition_sent_by_the_designer_is_refused_with_400_messages_and_nothing_is_stored(string name, string edit, string message)
    {
        var before = await SnapshotAsync();
        using var admin = App.ClientFor(Keys.Admin);
        var model = JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{Land}?versionOptions=Latest"))!.AsObject();
        var edited = Edit(model, edit);

        foreach (var publish in new[] { false, true })
        {
            var body = $"{{\"model\":{edited},\"publish\":{(publish ? "true" : "false")}}}";
            var response = await admin.PostAsync("/elsa/api/workflow-definitions", new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, $"{name}: {text}");
            JsonNode.Parse(text)!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).Should().Contain(e => e.Contains(message, StringComparison.Ordinal), name);
        }

        (await SnapshotAsync()).Should().Be(before, "nothing is stored when a definition is refused");
    }

    [Fact]
    public async Task A_stored_version_this_server_cannot_read_is_listed_as_broken_and_lists_and_the_feed_keep_working()
    {
        await ClerkApi.ReceiveAsync(App, "birth-registration");
        await using (var store = App.OpenStore())
        {
            // As an older server might have left them: a published procedure whose JSON no longer
            // parses, and a draft of a sample with a name that is a number and duplicate variables.
            store.WorkflowDefinitions.Add(new Persistence.Entities.WorkflowDefinitionVersion
            {
                Id = "old-procedure-v1", DefinitionId = "old-procedure", Version = 1, Name = "Old procedure", Json = "{\"definitionId\": \"old-procedure\", \"root\": ",
                CreatedAt = Clock.GetUtcNow().UtcDateTime, PublishedAt = Clock.GetUtcNow().UtcDateTime, IsLatest = true, IsPublished = true,
            });
            var v1 = await store.WorkflowDefinitions.AsNoTracking().SingleAsync(d => d.Id == "birth-registration-v1");
            var broken = JsonNode.Parse(v1.Json)!.AsObject();
            broken["name"] = 5;
            broken["variables"] = JsonNode.Parse("[{\"name\":\"x\",\"typeName\":\"Int32\",\"value\":1},{\"name\":\"x\",\"typeName\":\"Int32\",\"value\":99999999999}]");
            await store.WorkflowDefinitions.Where(d => d.Id == v1.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.IsLatest, false));
            store.WorkflowDefinitions.Add(new Persistence.Entities.WorkflowDefinitionVersion
            {
                Id = "birth-registration-v2", DefinitionId = "birth-registration", Version = 2, Name = "Birth", Json = broken.ToJsonString(),
                CreatedAt = Clock.GetUtcNow().UtcDateTime, IsLatest = true,
            });
            await store.SaveChangesAsync();
        }

        using var admin = App.ClientFor(Keys.Admin);
        var procedures = JsonNode.Parse(await admin.GetStringAsync("/api/procedures"))!.AsArray();
        var old = procedures.Single(p => p!["code"]!.GetValue<string>() == "old-procedure")!;
        old["isBroken"]!.GetValue<bool>().Should().BeTrue();
        old["problem"]!.GetValue<string>().Should().Contain("no longer runs");

        var versions = JsonNode.Parse(await admin.GetStringAsync("/api/procedures/old-procedure/versions"))!.AsArray();
        versions.Single()!["isBroken"]!.GetValue<bool>().Should().BeTrue();
        var birth = JsonNode.Parse(await admin.GetStringAsync("/api/procedures/birth-registration/versions"))!.AsArray();
        birth[0]!["isBroken"]!.GetValue<bool>().Should().BeTrue();
        birth[0]!["problems"]!.AsArray().Should().NotBeEmpty();
        birth[1]!["isBroken"]!.GetValue<bool>().Should().BeFalse();

        using var reporter = App.ClientFor(Keys.Reporter);
        var feed = await reporter.GetAsync("/odata/v1/Procedures?$filter=IsBroken eq true&$select=Code,Version");
        var feedText = await feed.Content.ReadAsStringAsync();
        feed.StatusCode.Should().Be(HttpStatusCode.OK, feedText);
        JsonNode.Parse(feedText)!["value"]!.AsArray().Select(r => $"{r!["Code"]} v{r["Version"]}").Should().BeEquivalentTo("old-procedure v1", "birth-registration v2");

        foreach (var url in new[]
                 {
                     "/elsa/api/workflow-definitions?versionOptions=Latest&Page=0&PageSize=50",
                     "/elsa/api/workflow-definitions/by-definition-id/old-procedure?versionOptions=Latest",
                     "/elsa/api/workflow-definitions/by-definition-id/birth-registration?versionOptions=Latest",
                     "/api/procedures/old-procedure/definition",
                 })
        {
            var response = await admin.GetAsync(url);
            response.StatusCode.Should().Be(HttpStatusCode.OK, url);
        }
    }

    /// <summary>Applies "path=json": path segments are properties, [n] indexes, [id] an activity by id, [+] appends; LONE is a lone surrogate.</summary>
    internal static string Edit(JsonObject definition, string edit)
    {
        var equals = edit.IndexOf('=', StringComparison.Ordinal);
        var path = edit[..equals];
        var value = JsonNode.Parse(edit[(equals + 1)..].Replace("LONE", "__LONE__", StringComparison.Ordinal));
        JsonNode current = definition;
        var segments = path.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment.StartsWith('['))
            {
                var key = segment[1..^1];
                var array = current.AsArray();
                if (key == "+")
                {
                    array.Add(value);
                    break;
                }

                var index = int.TryParse(key, out var n) ? n : array.Select((a, k) => (a, k)).Single(p => p.a!["id"]?.ToString() == key).k;
                if (last)
                {
                    array[index] = value;
                }
                else
                {
                    current = array[index]!;
                }
            }
            else if (last)
            {
                current.AsObject()[segment] = value;
            }
            else
            {
                current = current[segment]!;
            }
        }

        return definition.ToJsonString().Replace("__LONE__", "\\ud800", StringComparison.Ordinal);
    }

    private async Task<string> SnapshotAsync()
    {
        using (App.ClientFor(null))
        {
            // The first client starts the server, which creates the store.
        }

        await using var store = App.OpenStore();
        var rows = await store.WorkflowDefinitions.AsNoTracking().OrderBy(d => d.Id)
            .Select(d => new { d.Id, d.Version, d.IsLatest, d.IsPublished, d.Json.Length }).ToListAsync();
        return string.Join("|", rows.Select(r => $"{r.Id}:{r.Version}:{r.IsLatest}:{r.IsPublished}:{r.Length}"));
    }
}
