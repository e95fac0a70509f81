using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Host.Tests.Support;

/// <summary>Thin helpers over the clerk API; every call is a real HTTP request to the server.</summary>
public static class ClerkApi
{
    public static object Applicant(string name = "Nguyễn Văn An", string id = "051090001234") =>
        new { name, idNumber = id, phone = "0905123456" };

    public static async Task<JsonObject> ReceiveAsync(ServerApp app, string procedureCode, string key = Keys.Counter,
        string unit = "HCC-BINHSON", object? data = null, string channel = "direct")
    {
        using var client = app.ClientFor(key);
        return await ReceiveAsync(client, procedureCode, unit, data, channel);
    }

    /// <summary>A receipt through any client (e.g. of a server started as a separate process).</summary>
    public static async Task<JsonObject> ReceiveAsync(HttpClient client, string procedureCode,
        string unit = "HCC-BINHSON", object? data = null, string channel = "direct")
    {
        var response = await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode,
            applicant = Applicant(),
            channel,
            receivingUnit = unit,
            data,
        });
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    public static async Task<JsonObject> GetAsync(ServerApp app, string dossierId, string key = Keys.Admin)
    {
        using var client = app.ClientFor(key);
        var response = await client.GetAsync($"/api/dossiers/{dossierId}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    public static async Task<HttpResponseMessage> CompleteRawAsync(ServerApp app, string key, string taskId, string outcome,
        int? version, string? idempotencyKey, object? data = null, string? comment = null)
    {
        using var client = app.ClientFor(key);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{taskId}/complete")
        {
            Content = JsonContent.Create(new { outcome, comment, data }),
        };
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await client.SendAsync(request);
    }

    /// <summary>Completes the only open task at <paramref name="activityId"/> and returns the new dossier view.</summary>
    public static async Task<JsonObject> CompleteAsync(ServerApp app, JsonObject dossier, string activityId, string outcome,
        string key, object? data = null)
    {
        var task = OpenTask(dossier, activityId);
        var response = await CompleteRawAsync(app, key, task["id"]!.GetValue<string>(), outcome,
            dossier["version"]!.GetValue<int>(), Guid.NewGuid().ToString(), data, $"{activityId}: {outcome}");
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Starts a migration run (202) and follows GET /api/migrations/{id} until the background run completes.</summary>
    public static async Task<JsonObject> ExecuteMigrationAsync(HttpClient admin, string planId)
    {
        var started = await admin.PostAsync($"/api/migrations/{planId}/execute", null);
        started.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted, await started.Content.ReadAsStringAsync());
        return await AwaitMigrationAsync(admin, planId);
    }

    /// <summary>Follows GET /api/migrations/{id} until the run is Completed (the run is in the background).</summary>
    public static async Task<JsonObject> AwaitMigrationAsync(HttpClient admin, string planId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            var status = JsonNode.Parse(await admin.GetStringAsync($"/api/migrations/{planId}"))!.AsObject();
            if (status["status"]!.GetValue<string>() == "Completed" || DateTime.UtcNow > deadline)
            {
                status["status"]!.GetValue<string>().Should().Be("Completed", "the background run should finish within two minutes");
                return status;
            }

            await Task.Delay(20);
        }
    }

    public static JsonObject OpenTask(JsonObject dossier, string activityId)
    {
        var tasks = dossier["currentTasks"]!.AsArray().Where(t => t!["activityId"]!.GetValue<string>() == activityId).ToList();
        tasks.Should().ContainSingle($"dossier should wait at '{activityId}' but waits at {OpenActivities(dossier)}");
        return tasks[0]!.AsObject();
    }

    public static string OpenActivities(JsonObject dossier) =>
        string.Join(",", dossier["currentTasks"]!.AsArray().Select(t => t!["activityId"]!.GetValue<string>()).Order(StringComparer.Ordinal));

    public static int National(JsonObject dossier) => dossier["nationalStatus"]!["code"]!.GetValue<int>();

    public static string Status(JsonObject dossier) => dossier["status"]!.GetValue<string>();
}
