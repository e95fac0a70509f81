using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;
using Xunit.Abstractions;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Seeded fuzzing of definitions through real HTTP (issue 9, finding 3): 2,200 mutations of the
/// sample procedures sent to the REST lifecycle and the designer backend. Nothing may answer 5xx,
/// a refusal may store nothing, and the lists and the feed keep answering throughout.
/// </summary>
public sealed class DefinitionFuzzTests(ITestOutputHelper output) : ServerTest
{
    private const int Mutations = 2_200;
    private static readonly string[] Codes = ["land-first-certificate", "birth-registration", "birth-residence-insurance"];

    // Values a mutation puts somewhere; markers become raw JSON text the tree cannot hold.
    private static readonly string[] Values =
    [
        "\"x\"", "\"\"", "0", "-1", "\"__HUGE__\"", "3000000000", "99999999999999999999999999999999", "true", "false", "null", "{}", "[]",
        "[\"Done\",\"Done\"]", "{\"type\":5,\"value\":1}", "{\"expression\":{\"type\":\"Literal\",\"value\":{\"a\":1}}}", "\"__LONE__\"",
        "\"0,5\"", "\"1e5\"", "\"Done\"", "\"ProcessServer.Step\"", "\"Elsa.FlowDecision\"", "\"area > '5'\"", "[1,2,3]", "\"__LONG__\"",
        "{\"activity\":\"nowhere\",\"port\":\"Done\"}", "\"2025-13-45\"", "1.5", "\"Int32\"", "\"Boolean\"",
    ];

    [Fact]
    public async Task Two_thousand_mutated_definitions_never_answer_5xx_and_a_refusal_stores_nothing()
    {
        var random = new Random(9_003);
        using var admin = App.ClientFor(Keys.Admin);
        var originals = new List<(string Code, JsonObject Plain, JsonObject Studio)>();
        foreach (var code in Codes)
        {
            originals.Add((code,
                JsonNode.Parse(await admin.GetStringAsync($"/api/procedures/{code}/definition"))!.AsObject(),
                JsonNode.Parse(await admin.GetStringAsync($"/elsa/api/workflow-definitions/by-definition-id/{code}?versionOptions=Latest"))!.AsObject()));
        }

        var statuses = new Dictionary<int, int>();
        var refusedUnchanged = 0;
        for (var i = 0; i < Mutations; i++)
        {
            var (code, plain, studio) = originals[random.Next(originals.Count)];
            var viaStudio = random.Next(2) == 0;
            var definition = (JsonObject)(viaStudio ? studio : plain).DeepClone();
            var applied = new List<string>();
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                applied.Add(Mutate(definition, random));
            }

            var json = Serialize(definition);
            var before = await SnapshotAsync();
            HttpResponseMessage response;
            string target;
            if (viaStudio)
            {
                var publish = random.Next(3) == 0;
                target = $"POST /elsa/api/workflow-definitions publish={publish}";
                response = await admin.PostAsync("/elsa/api/workflow-definitions",
                    new StringContent($"{{\"model\":{json},\"publish\":{(publish ? "true" : "false")}}}", Encoding.UTF8, "application/json"));
            }
            else
            {
                target = random.Next(3) switch
                {
                    0 => $"/api/procedures/{code}/draft?publish=true",
                    1 => $"/api/procedures/{code}/versions/1",
                    _ => $"/api/procedures/{code}/draft",
                };
                response = await admin.PutAsync(target, new StringContent(json, Encoding.UTF8, "application/json"));
                target = "PUT " + target;
            }

            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync();
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            status.Should().BeLessThan(500, $"mutation #{i} ({string.Join("; ", applied)}) via {target} answered {status}: {body}");
            if (status >= 400 && !body.Contains("saved as a draft but not published", StringComparison.Ordinal))
            {
                (await SnapshotAsync()).Should().Be(before, $"mutation #{i} ({string.Join("; ", applied)}) was refused with {status} but changed the store: {body}");
                refusedUnchanged++;
            }

            if (i % 200 == 199)
            {
                await ListsStillAnswerAsync();
            }
        }

        await ListsStillAnswerAsync();
        output.WriteLine($"{Mutations} mutations: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}× {s.Key}"))}; {refusedUnchanged} refusals left the store unchanged");
        statuses.Keys.Should().Contain(400, "the generator produces definitions that must be refused");
        statuses.Keys.Should().Contain(200, "and definitions that are stored");
    }

    private static string Mutate(JsonObject definition, Random random)
    {
        var slots = new List<(JsonNode Parent, object Key, string Path)>();
        Collect(definition, "$", slots);
        var (parent, key, path) = slots[random.Next(slots.Count)];
        switch (random.Next(5))
        {
            case 0 when parent is JsonObject obj:
                obj.Remove((string)key);
                return $"removed {path}";
            case 1 when parent is JsonArray array:
                array.Add(array[(int)key]?.DeepClone());
                return $"duplicated {path}";
            case 2 when parent is JsonObject obj && path.EndsWith(".id", StringComparison.Ordinal):
                obj["id"] = "check";
                return $"{path} = check";
            case 3 when parent is JsonObject obj:
                var value = obj[(string)key];
                obj.Remove((string)key);
                obj["__LONEKEY__"] = value;
                return $"renamed {path} to a lone surrogate";
            default:
                var replacement = Values[random.Next(Values.Length)];
                var node = JsonNode.Parse(replacement);
                if (parent is JsonObject o)
                {
                    o[(string)key] = node;
                }
                else
                {
                    ((JsonArray)parent)[(int)key] = node;
                }

                return $"{path} = {replacement}";
        }
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode Parent, object Key, string Path)> slots)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    slots.Add((obj, key, $"{path}.{key}"));
                    if (child is not null)
                    {
                        Collect(child, $"{path}.{key}", slots);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    slots.Add((array, i, $"{path}[{i}]"));
                    if (array[i] is { } child)
                    {
                        Collect(child, $"{path}[{i}]", slots);
                    }
                }

                break;
        }
    }

    private static string Serialize(JsonObject definition) => definition.ToJsonString()
        .Replace("\"__HUGE__\"", "1e400", StringComparison.Ordinal)
        .Replace("__LONEKEY__", "k\\udc00", StringComparison.Ordinal)
        .Replace("__LONE__", "a\\ud800b", StringComparison.Ordinal)
        .Replace("__LONG__", new string('x', 6_000), StringComparison.Ordinal);

    private async Task ListsStillAnswerAsync()
    {
        using var admin = App.ClientFor(Keys.Admin);
        using var reporter = App.ClientFor(Keys.Reporter);
        var urls = Codes.Select(c => (admin, $"/api/procedures/{c}/versions"))
            .Append((admin, "/api/procedures"))
            .Append((admin, "/elsa/api/workflow-definitions?versionOptions=Latest&Page=0&PageSize=100"))
            .Append((reporter, "/odata/v1/Procedures"));
        foreach (var (client, url) in urls)
        {
            var response = await client.GetAsync(url);
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"{url}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private async Task<string> SnapshotAsync()
    {
        await using var store = App.OpenStore();
        var rows = await store.WorkflowDefinitions.AsNoTracking().OrderBy(d => d.Id)
            .Select(d => new { d.Id, d.IsLatest, d.IsPublished, d.Json.Length }).ToListAsync();
        return string.Join("|", rows.Select(r => $"{r.Id}:{r.IsLatest}:{r.IsPublished}:{r.Length}"));
    }
}
