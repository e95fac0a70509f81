using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.OData.Tests.Support;

/// <summary>Small HTTP helpers over the feed.</summary>
public static class Feed
{
    public const string PowerQueryAccept =
        "application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7";

    public static async Task<JsonObject> GetAsync(FeedServer server, string relative, string key = Keys.Reporter, int? pageSize = null)
    {
        using var http = server.ClientFor(key);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/odata/v1/" + relative);
        request.Headers.TryAddWithoutValidation("Accept", PowerQueryAccept);
        if (pageSize is not null)
        {
            request.Headers.Add("Prefer", $"odata.maxpagesize={pageSize}");
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, $"GET {relative}: {body}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Every row of a query, following each @odata.nextLink.</summary>
    public static async Task<List<JsonObject>> AllAsync(FeedServer server, string relative, string key = Keys.Reporter, int? pageSize = null)
    {
        var rows = new List<JsonObject>();
        var page = await GetAsync(server, relative, key, pageSize);
        while (true)
        {
            rows.AddRange(page["value"]!.AsArray().Select(r => r!.AsObject()));
            if (page["@odata.nextLink"]?.GetValue<string>() is not { } next)
            {
                return rows;
            }

            var uri = new Uri(next);
            uri.IsAbsoluteUri.Should().BeTrue();
            page = await GetAsync(server, uri.PathAndQuery["/odata/v1/".Length..], key, pageSize);
        }
    }

    public static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> RawAsync(FeedServer server, string relative, string? key = Keys.Reporter,
        Action<HttpRequestMessage>? configure = null)
    {
        using var http = server.ClientFor(key);
        var request = new HttpRequestMessage(HttpMethod.Get, relative.StartsWith('/') ? relative : "/odata/v1/" + relative);
        configure?.Invoke(request);
        var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static int Number(JsonObject row, string name) => row[name]!.GetValue<int>();

    public static string Text(JsonObject row, string name) => row[name]!.GetValue<string>();
}
