using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

/// <summary>
/// Issue 9, finding 4: how long a 10,000-activity definition takes to be accepted or refused through
/// the HTTP API, and how clerks' completions fare while such saves run (validation runs outside the
/// SQLite write gate; only the write itself holds it).
/// </summary>
internal static class DefinitionsBenchmark
{
    private const string Admin = "dev-admin-key";

    public static async Task RunAsync(HttpClient http, int activities)
    {
        Console.WriteLine($"definitions: a {activities:N0}-activity procedure saved, published and refused through the API");
        var valid = Chain(activities);
        var validText = valid.ToJsonString();
        Console.WriteLine($"definition size: {validText.Length / 1_000_000.0:0.0} MB of JSON");

        // Warm-up (JIT): a small save of each kind.
        await Time(http, HttpMethod.Put, "/api/procedures/warm-up/draft", Chain(50, "warm-up").ToJsonString(), HttpStatusCode.OK);

        Report("accepted: save as draft (new)", [await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft", validText, HttpStatusCode.OK)]);
        var updates = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            updates.Add(await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft", validText, HttpStatusCode.OK));
        }

        Report("accepted: save draft again", updates);
        Report("accepted: save and publish", [await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft?publish=true", validText, HttpStatusCode.OK)]);
        var studio = new JsonObject { ["model"] = Chain(activities), ["publish"] = false }.ToJsonString();
        Report("accepted: designer save (new draft)", [await Time(http, HttpMethod.Post, "/elsa/api/workflow-definitions", studio, HttpStatusCode.OK)]);

        // The case that was quadratic: every activity connected to an activity that does not exist.
        var broken = Chain(activities);
        var connections = broken["root"]!["connections"]!.AsArray();
        connections.Clear();
        for (var i = 0; i < activities; i++)
        {
            connections.Add(Connection($"s{i}", "Done", $"missing{i}"));
        }

        var brokenText = broken.ToJsonString();
        var refused = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            refused.Add(await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft?publish=true", brokenText, HttpStatusCode.UnprocessableEntity));
        }

        Report($"refused: {activities:N0} broken connections", refused);

        var duplicates = Chain(activities);
        foreach (var activity in duplicates["root"]!["activities"]!.AsArray())
        {
            activity!["id"] = "same";
        }

        Report("refused: every id the same", [await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft", duplicates.ToJsonString(), HttpStatusCode.BadRequest)]);

        // Clerks complete steps while an administrator saves the big procedure over and over.
        var quiet = await Completions(http, 60, null);
        using var saving = new CancellationTokenSource();
        var saves = 0;
        var saver = Task.Run(async () =>
        {
            while (!saving.IsCancellationRequested)
            {
                await Time(http, HttpMethod.Put, "/api/procedures/big-procedure/draft", validText, HttpStatusCode.OK);
                saves++;
            }
        });
        var busy = await Completions(http, 60, saver);
        await saving.CancelAsync();
        await saver;
        Console.WriteLine();
        Report("completion, no saves", quiet);
        Report($"completion, during {saves} big saves", busy);
    }

    private static async Task<List<double>> Completions(HttpClient http, int count, Task? background)
    {
        var latencies = new List<double>();
        for (var i = 0; i < count && background is not { IsCompleted: true }; i++)
        {
            var dossier = await Send(http, HttpMethod.Post, "/api/dossiers", "dev-counter-key",
                """{"procedureCode":"birth-registration","applicant":{"name":"Trần Thị Bình","idNumber":"051190004321","phone":"0905000111"},"channel":"direct","receivingUnit":"HCC-BINHSON"}""", null);
            var task = dossier["currentTasks"]![0]!;
            var watch = Stopwatch.StartNew();
            await Send(http, HttpMethod.Post, $"/api/tasks/{task["id"]}/complete", "dev-commune-key", """{"outcome":"Done"}""", dossier["version"]!.GetValue<int>());
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        return latencies;
    }

    private static async Task<JsonObject> Send(HttpClient http, HttpMethod method, string path, string key, string body, int? version)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!.AsObject();
    }

    private static async Task<double> Time(HttpClient http, HttpMethod method, string path, string body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Api-Key", Admin);
        var watch = Stopwatch.StartNew();
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}, expected {(int)expected}: {text[..Math.Min(text.Length, 600)]}");
        }

        return elapsed;
    }

    /// <summary>receive → steps → result ready → return result → finish, <paramref name="activities"/> activities in all.</summary>
    private static JsonObject Chain(int activities, string code = "big-procedure")
    {
        var list = new JsonArray { Activity("receive", "ProcessServer.ReceiveDossier", ("timeLimitDays", "Decimal", 15m), ("fieldCode", "String", "land")) };
        var steps = activities - 4;
        for (var i = 0; i < steps; i++)
        {
            list.Add(Activity($"s{i}", "ProcessServer.Step", ("title", "String", $"Step {i}"), ("role", "String", "land-registrar"), ("timeLimitDays", "Decimal", 0.5m)));
        }

        list.Add(Activity("resultReady", "ProcessServer.ResultReady"));
        list.Add(Activity("returnResult", "ProcessServer.ReturnResult"));
        list.Add(Activity("finish", "Elsa.Finish"));
        var ids = list.Select(a => a!["id"]!.GetValue<string>()).ToList();
        var connections = new JsonArray();
        for (var i = 0; i < ids.Count - 1; i++)
        {
            connections.Add(Connection(ids[i], "Done", ids[i + 1]));
        }

        return new JsonObject
        {
            ["definitionId"] = code,
            ["name"] = "A very large procedure",
            ["variables"] = new JsonArray(),
            ["root"] = new JsonObject { ["id"] = "flowchart", ["type"] = "Elsa.Flowchart", ["activities"] = list, ["connections"] = connections },
        };
    }

    private static JsonObject Activity(string id, string type, params (string Name, string TypeName, object Value)[] inputs)
    {
        var activity = new JsonObject { ["id"] = id, ["type"] = type, ["version"] = 1 };
        foreach (var (name, typeName, value) in inputs)
        {
            activity[name] = new JsonObject
            {
                ["typeName"] = typeName,
                ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = JsonValue.Create(value) },
            };
        }

        return activity;
    }

    private static JsonObject Connection(string source, string port, string target) => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = port },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
    };

    private static void Report(string name, List<double> samples)
    {
        samples.Sort();
        double At(double q) => samples[Math.Min(samples.Count - 1, (int)Math.Ceiling(q * samples.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-40}: {(samples.Count == 1 ? $"{samples[0]:0} ms" : $"p50 {At(0.5):0} ms, p99 {At(0.99):0} ms, max {samples[^1]:0} ms ({samples.Count} runs)")}"));
    }
}
