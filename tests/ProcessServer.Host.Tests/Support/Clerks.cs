using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;

namespace ProcessServer.Host.Tests.Support;

/// <summary>Clerks who act on whatever task is open, choosing the outcome that moves a dossier forward.</summary>
public static class Clerks
{
    public static readonly IReadOnlyDictionary<string, string> KeyByUnit = new Dictionary<string, string>
    {
        ["HCC-BINHSON"] = Keys.Counter,
        ["UBND-BINHSON"] = Keys.Commune,
        ["VPDKDD-BINHSON"] = Keys.Land,
        ["THUE-QUANGNGAI"] = Keys.Tax,
        ["CA-BINHSON"] = Keys.Police,
        ["BHXH-QUANGNGAI"] = Keys.Insurance,
    };

    public static string ForwardOutcome(JsonNode task)
    {
        var allowed = task["allowedOutcomes"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        return allowed.Contains("Done") ? "Done" : allowed.Contains("Paid") ? "Paid" : allowed.Contains("SupplementReceived") ? "SupplementReceived" : allowed[0];
    }

    /// <summary>Completes the first open task with a forward outcome; returns the new dossier view.</summary>
    public static async Task<JsonObject> AdvanceAsync(ServerApp app, JsonObject dossier, int taskIndex = 0)
    {
        var tasks = dossier["currentTasks"]!.AsArray();
        var task = tasks[taskIndex % tasks.Count]!;
        var response = await ClerkApi.CompleteRawAsync(app, KeyByUnit[task["unitCode"]!.GetValue<string>()], task["id"]!.GetValue<string>(),
            ForwardOutcome(task), dossier["version"]!.GetValue<int>(), Guid.NewGuid().ToString());
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonNode.Parse(body)!.AsObject();
    }
}
