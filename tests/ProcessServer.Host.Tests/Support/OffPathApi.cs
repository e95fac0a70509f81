using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Host.Tests.Support;

/// <summary>Helpers for acts off the happy path; every call is a real HTTP request.</summary>
public static class OffPathApi
{
    /// <summary>POSTs an act to /api/dossiers/{id}/{path} with If-Match (the dossier's version) and a fresh Idempotency-Key.</summary>
    public static async Task<(HttpStatusCode Status, JsonObject Body)> ActRawAsync(ServerApp app, string key, JsonObject dossier, string path, object body,
        bool ifMatch = true)
    {
        using var client = app.ClientFor(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/dossiers/{dossier["id"]!.GetValue<string>()}/{path}")
        {
            Content = JsonContent.Create(body),
        };
        if (ifMatch)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]!.GetValue<int>()}\"");
        }

        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>An act that must succeed; returns the new dossier view.</summary>
    public static async Task<JsonObject> ActAsync(ServerApp app, string key, JsonObject dossier, string path, object body)
    {
        var (status, result) = await ActRawAsync(app, key, dossier, path, body);
        status.Should().Be(HttpStatusCode.OK, result.ToJsonString());
        return result;
    }

    /// <summary>Completes the open task at <paramref name="activityId"/> as of <paramref name="occurredAt"/> (a late entry).</summary>
    public static async Task<(HttpStatusCode Status, JsonObject Body)> CompleteAtAsync(ServerApp app, JsonObject dossier, string activityId, string outcome, string key,
        DateTimeOffset occurredAt)
    {
        var task = ClerkApi.OpenTask(dossier, activityId);
        using var client = app.ClientFor(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["id"]!.GetValue<string>()}/complete")
        {
            Content = JsonContent.Create(new { outcome, comment = $"{activityId} on paper", occurredAt }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]!.GetValue<int>()}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    /// <summary>Types of the journal entries, in order.</summary>
    public static List<string> JournalTypes(JsonObject dossier) =>
        dossier["journal"]!.AsArray().Select(j => j!["type"]!.GetValue<string>()).ToList();

    /// <summary>The last journal entry of a type.</summary>
    public static JsonNode LastEntry(JsonObject dossier, string type) =>
        dossier["journal"]!.AsArray().Last(j => j!["type"]!.GetValue<string>() == type)!;
}
