using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Designer.Tests.Support;

/// <summary>The clerk API, as counters and handlers use it: every call is real HTTP to the server.</summary>
public static class Clerk
{
    public static async Task<JsonObject> ReceiveAsync(StudioServer server, string procedureCode, string unit = "HCC-BINHSON", object? data = null)
    {
        using var client = server.Client(Keys.Counter);
        var response = await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode,
            applicant = new { name = "Nguyễn Văn An", idNumber = "051090001234", phone = "0905123456" },
            channel = "direct",
            receivingUnit = unit,
            data,
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    public static async Task<JsonObject> GetAsync(StudioServer server, string dossierId)
    {
        using var client = server.Client(Keys.Admin);
        var body = await client.GetStringAsync($"/api/dossiers/{dossierId}");
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Completes the only open task at <paramref name="activityId"/> and returns the new dossier view.</summary>
    public static async Task<JsonObject> CompleteAsync(StudioServer server, JsonObject dossier, string activityId, string outcome, string key, object? data = null)
    {
        var task = Task(dossier, activityId);
        using var client = server.Client(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["id"]}/complete")
        {
            Content = JsonContent.Create(new { outcome, comment = $"{activityId}: {outcome}", data }),
        };
        request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]}\"");
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>The open task at an activity.</summary>
    public static JsonObject Task(JsonObject dossier, string activityId)
    {
        var tasks = dossier["currentTasks"]!.AsArray().Where(t => t!["activityId"]!.GetValue<string>() == activityId).ToList();
        tasks.Should().ContainSingle($"the dossier should wait at '{activityId}' but waits at {OpenActivities(dossier)}");
        return tasks[0]!.AsObject();
    }

    public static string OpenActivities(JsonObject dossier) =>
        string.Join(",", dossier["currentTasks"]!.AsArray().Select(t => t!["activityId"]!.GetValue<string>()).Order(StringComparer.Ordinal));

    public static int Version(JsonObject dossier) => dossier["procedure"]!["version"]!.GetValue<int>();

    public static string Status(JsonObject dossier) => dossier["status"]!.GetValue<string>();

    public static decimal? Limit(JsonObject task) => task["timeLimitDays"]?.GetValue<decimal>();
}
