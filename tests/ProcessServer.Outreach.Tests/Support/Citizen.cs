using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Outreach.Tests.Support;

/// <summary>Receipts that keep the look-up secret, and the citizens' endpoints, over real HTTP.</summary>
public static class Citizen
{
    /// <summary>Receives a dossier; returns its view and the secret from the Lookup-Secret header.</summary>
    public static async Task<(JsonObject Dossier, string Secret)> ReceiveAsync(ServerApp app, string procedureCode, string? idempotencyKey = null)
    {
        using var counter = app.ClientFor(Keys.Counter);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/dossiers")
        {
            Content = JsonContent.Create(new
            {
                procedureCode,
                applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
                channel = "direct",
                receivingUnit = "HCC-BINHSON",
            }),
        };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        var response = await counter.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        response.Headers.TryGetValues("Lookup-Secret", out var secrets).Should().BeTrue("the receipt hands out the look-up secret");
        return (JsonNode.Parse(body)!.AsObject(), secrets!.Single());
    }

    public static async Task<HttpResponseMessage> LookupRawAsync(ServerApp app, string receiptCode, string secret)
    {
        using var client = app.ClientFor(null);
        return await client.PostAsJsonAsync("/api/public/lookup", new { receiptCode, secret });
    }

    public static async Task<JsonObject> LookupAsync(ServerApp app, JsonObject dossier, string secret)
    {
        var response = await LookupRawAsync(app, dossier["receiptCode"]!.GetValue<string>(), secret);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    public static async Task<HttpResponseMessage> RateAsync(ServerApp app, JsonObject dossier, string secret, bool satisfied, string? comment = null)
    {
        using var client = app.ClientFor(null);
        return await client.PostAsJsonAsync("/api/public/rating", new { receiptCode = dossier["receiptCode"]!.GetValue<string>(), secret, satisfied, comment });
    }
}
