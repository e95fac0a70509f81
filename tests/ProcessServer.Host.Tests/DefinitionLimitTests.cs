using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>Issue 9, finding 5 (definitions): field limits are configuration, and going over one is a 400 naming the field.</summary>
public sealed class DefinitionLimitTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ServerApp _app;

    public DefinitionLimitTests() => _app = new ServerApp(_database.DatabaseFile, new ManualClock(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero)),
        new Dictionary<string, string?>
        {
            ["ProcessServer:Definitions:Limits:MaxNameChars"] = "90",
            ["ProcessServer:Definitions:Limits:MaxDescriptionChars"] = "700",
            ["ProcessServer:Definitions:Limits:MaxActivityNameChars"] = "90",
            ["ProcessServer:Definitions:Limits:MaxVariableValueChars"] = "30",
            ["ProcessServer:Definitions:Limits:MaxDefinitionChars"] = "60000",
        });

    [Theory]
    [InlineData("name", "name")]
    [InlineData("description", "description")]
    [InlineData("activityName", "root.activities[1].name")]
    [InlineData("stepTitle", "root.activities[1].title.expression.value")]
    [InlineData("variableValue", "variables[0].value")]
    [InlineData("total", "definition")]
    public async Task A_definition_over_a_configured_limit_is_refused_with_400_naming_the_field(string what, string field)
    {
        using var admin = _app.ClientFor(Keys.Admin);
        var definition = JsonNode.Parse(await admin.GetStringAsync("/api/procedures/land-first-certificate/definition"))!.AsObject();
        var check = definition["root"]!["activities"]![1]!;
        var text = new string('x', 1_000);
        switch (what)
        {
            case "name": definition["name"] = text; break;
            case "description": definition["description"] = text; break;
            case "activityName": check["name"] = text; break;
            case "stepTitle": check["title"]!["expression"]!["value"] = text; break;
            case "variableValue": definition["variables"]![0]!["typeName"] = "String"; definition["variables"]![0]!["value"] = text; break;
            default: definition["notes"] = new string('n', 60_000); break;
        }

        var response = await admin.PutAsync("/api/procedures/land-first-certificate/draft", new StringContent(definition.ToJsonString(), Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, body);
        var error = JsonNode.Parse(body)!["errors"]!.AsArray().Should().ContainSingle().Subject!;
        error["field"]!.GetValue<string>().Should().Be(field);
        error["message"]!.GetValue<string>().Should().Contain("the limit is").And.MatchRegex("shorten|split", "the message says the fix");
    }

    public void Dispose()
    {
        _app.Dispose();
        _database.Dispose();
    }
}
