using System.Globalization;
using System.Text.Json.Nodes;

namespace ProcessServer.Faults;

/// <summary>An open task as the dossier view shows it.</summary>
public sealed record OpenTask(string Id, string ActivityId, string UnitCode, string Status, IReadOnlyList<string> AllowedOutcomes);

/// <summary>The well-formed clerk requests the scenarios build on.</summary>
public static class ClerkRequests
{
    /// <summary>The sample procedures shipped in workflows/.</summary>
    public static readonly string[] Procedures = ["birth-registration", "land-first-certificate", "birth-residence-insurance"];

    public const string Counter = "HCC-BINHSON";

    public static JsonObject ReceiveBody(string procedure, string applicantName, string idNumber, string unit = Counter, DateTimeOffset? receivedAt = null)
    {
        var body = new JsonObject
        {
            ["procedureCode"] = procedure,
            ["applicant"] = new JsonObject { ["name"] = applicantName, ["idNumber"] = idNumber, ["phone"] = "0905123456" },
            ["channel"] = "direct",
            ["receivingUnit"] = unit,
        };
        if (receivedAt is { } at)
        {
            body["receivedAt"] = at.ToString("O", CultureInfo.InvariantCulture);
        }

        return body;
    }

    public static Probe Receive(Principal clerk, JsonObject body, string? idempotencyKey)
    {
        var probe = Probe.Post("/api/dossiers").As(clerk).Json(body);
        return idempotencyKey is null ? probe : probe.Header("Idempotency-Key", idempotencyKey);
    }

    public static Probe Complete(Principal clerk, string taskId, int version, string outcome, string idempotencyKey, string? comment = null, JsonObject? data = null)
    {
        var body = new JsonObject { ["outcome"] = outcome, ["comment"] = comment };
        if (data is not null)
        {
            body["data"] = data;
        }

        return Probe.Post($"/api/tasks/{Uri.EscapeDataString(taskId)}/complete").As(clerk).Json(body)
            .Header("If-Match", $"\"{version}\"")
            .Header("Idempotency-Key", idempotencyKey);
    }

    public static Probe GetDossier(Principal key, string id) => Probe.Get($"/api/dossiers/{Uri.EscapeDataString(id)}").As(key);

    public static IReadOnlyList<OpenTask> OpenTasks(JsonNode dossier) => [.. dossier["currentTasks"]!.AsArray().Select(t => new OpenTask(
        t!["id"]!.GetValue<string>(),
        t["activityId"]!.GetValue<string>(),
        t["unitCode"]!.GetValue<string>(),
        t["status"]!.GetValue<string>(),
        [.. t["allowedOutcomes"]!.AsArray().Select(o => o!.GetValue<string>())]))];

    /// <summary>A 12-digit citizen number made from a random source (so runs with one seed repeat).</summary>
    public static string IdNumber(Random rng) => string.Concat(Enumerable.Range(0, 12).Select(_ => (char)('0' + rng.Next(10))));

    /// <summary>A key from a seeded random source, so a run's requests repeat with its seed.</summary>
    public static string NewKey(Random rng)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}
