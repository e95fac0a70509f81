using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Host.Tests.Support;

/// <summary>The task acts (claim, release, assign, delegate, priority, complete) over HTTP with any client (token or key).</summary>
public static class TaskActs
{
    /// <summary>Sends an act on the task at <paramref name="activityId"/> of the dossier as read, with its version and a fresh Idempotency-Key.</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, JsonObject dossier, string activityId, string act, object? body = null)
    {
        var task = ClerkApi.OpenTask(dossier, activityId)["id"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task}/{act}")
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        return await client.SendAsync(request);
    }

    /// <summary>Sends an act that must succeed; returns the dossier after it.</summary>
    public static async Task<JsonObject> OkAsync(HttpClient client, JsonObject dossier, string activityId, string act, object? body = null)
    {
        var response = await SendAsync(client, dossier, activityId, act, body);
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Completes the task at <paramref name="activityId"/> with an outcome.</summary>
    public static Task<HttpResponseMessage> CompleteAsync(HttpClient client, JsonObject dossier, string activityId, string outcome = "Done") =>
        SendAsync(client, dossier, activityId, "complete", new { outcome, comment = $"{activityId}: {outcome}" });

    /// <summary>Reads a dossier with the client.</summary>
    public static async Task<JsonObject> GetAsync(HttpClient client, string dossierId)
    {
        var response = await client.GetAsync($"/api/dossiers/{dossierId}");
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>The journal entries of a type.</summary>
    public static List<JsonObject> Journal(JsonObject dossier, string type) =>
        [.. dossier["journal"]!.AsArray().Select(e => e!.AsObject()).Where(e => e["type"]!.GetValue<string>() == type)];

    /// <summary>The open task at an activity, as the dossier view shows it.</summary>
    public static JsonObject Task(JsonObject dossier, string activityId) => ClerkApi.OpenTask(dossier, activityId);
}
