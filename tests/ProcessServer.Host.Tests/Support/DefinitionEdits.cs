using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Host.Tests.Support;

/// <summary>Edits of an Elsa 3 definition as an administrator would make them in the designer.</summary>
public static class DefinitionEdits
{
    public static async Task<JsonObject> GetDefinitionAsync(ServerApp app, string code, int? version = null)
    {
        using var client = app.ClientFor(Keys.Admin);
        var text = await client.GetStringAsync($"/api/procedures/{code}/definition" + (version is null ? string.Empty : $"?version={version}"));
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Saves as a draft and publishes; returns the published version number.</summary>
    public static async Task<int> PublishAsync(ServerApp app, JsonObject definition)
    {
        using var client = app.ClientFor(Keys.Admin);
        var code = definition["definitionId"]!.GetValue<string>();
        var response = await client.PutAsJsonAsync($"/api/procedures/{code}/draft?publish=true", definition);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        var summary = JsonNode.Parse(body)!;
        summary["isPublished"]!.GetValue<bool>().Should().BeTrue();
        return summary["version"]!.GetValue<int>();
    }

    public static JsonArray Activities(JsonObject definition) => definition["root"]!["activities"]!.AsArray();

    public static JsonArray Connections(JsonObject definition) => definition["root"]!["connections"]!.AsArray();

    public static JsonObject Activity(JsonObject definition, string id) =>
        Activities(definition).Single(a => a!["id"]!.GetValue<string>() == id)!.AsObject();

    public static void SetInput(JsonObject definition, string activityId, string input, JsonNode value, string typeName = "String") =>
        Activity(definition, activityId)[input] = new JsonObject
        {
            ["typeName"] = typeName,
            ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value },
        };

    /// <summary>Renames an activity id everywhere (a "renamed step" in a new version).</summary>
    public static void RenameActivity(JsonObject definition, string from, string to)
    {
        var activity = Activity(definition, from);
        activity["id"] = to;
        activity["nodeId"] = $"Workflow1:flowchart:{to}";
        foreach (var connection in Connections(definition))
        {
            foreach (var end in new[] { "source", "target" })
            {
                if (connection![end]!["activity"]!.GetValue<string>() == from)
                {
                    connection[end]!["activity"] = to;
                }
            }
        }
    }

    /// <summary>Inserts a new step on every connection leaving (after, port).</summary>
    public static void InsertStepAfter(JsonObject definition, string after, string port, string id, string title, string unit, string role, decimal days)
    {
        var step = new JsonObject
        {
            ["id"] = id,
            ["nodeId"] = $"Workflow1:flowchart:{id}",
            ["name"] = id,
            ["type"] = "ProcessServer.Step",
            ["version"] = 1,
            ["customProperties"] = new JsonObject(),
            ["metadata"] = new JsonObject(),
        };
        Activities(definition).Add(step);
        SetInput(definition, id, "title", title);
        SetInput(definition, id, "handlingUnit", unit);
        SetInput(definition, id, "role", role);
        SetInput(definition, id, "timeLimitDays", days, "Decimal");
        foreach (var connection in Connections(definition).Where(c => c!["source"]!["activity"]!.GetValue<string>() == after && (c["source"]!["port"]?.GetValue<string>() ?? "Done") == port).ToList())
        {
            connection!["source"]!["activity"] = id;
            connection["source"]!["port"] = "Done";
        }

        Connections(definition).Add(Connection(after, port, id));
    }

    /// <summary>Removes a step with a single Done exit: what pointed at it now points where it led.</summary>
    public static void RemoveStep(JsonObject definition, string id)
    {
        var exit = Connections(definition).Single(c => c!["source"]!["activity"]!.GetValue<string>() == id)!;
        var next = exit["target"]!["activity"]!.GetValue<string>();
        Connections(definition).Remove(exit);
        foreach (var connection in Connections(definition).Where(c => c!["target"]!["activity"]!.GetValue<string>() == id).ToList())
        {
            connection!["target"]!["activity"] = next;
        }

        Activities(definition).Remove(Activity(definition, id));
    }

    public static JsonObject Connection(string source, string port, string target) => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = port },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
        ["vertices"] = new JsonArray(),
    };
}
