using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>The OpenAPI document and its UI are served.</summary>
public sealed class OpenApiTests : ServerTest
{
    [Fact]
    public async Task OpenApi_document_describes_the_clerk_API_and_the_UI_is_served()
    {
        using var client = App.ClientFor(null);
        var document = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;

        document["paths"]!.AsObject().Select(p => p.Key).Should().Contain(
            ["/api/dossiers", "/api/dossiers/{idOrReceiptCode}", "/api/inbox", "/api/tasks/{taskId}/complete", "/api/procedures"]);
        document["paths"]!["/api/tasks/{taskId}/complete"]!["post"]!["responses"]!.AsObject().Select(r => r.Key)
            .Should().Contain(["200", "409", "422", "428"]);
        document["components"]!["securitySchemes"]!["ApiKey"]!["name"]!.GetValue<string>().Should().Be("X-Api-Key");

        var ui = await client.GetAsync("/swagger/index.html");
        ui.StatusCode.Should().Be(HttpStatusCode.OK);
        (await ui.Content.ReadAsStringAsync()).Should().Contain("swagger-ui");
    }
}
