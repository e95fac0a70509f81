using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Serilog.AspNetCore's request events as an operator gets them: the real server process, its
/// appsettings.json, the JSON log file the configuration names.
/// </summary>
public sealed class RequestLoggingTests : IDisposable
{
    private const string Template = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms for {Caller}";
    private readonly TempDatabase _work = new();

    [Fact]
    public async Task Each_request_is_one_event_naming_the_caller_and_the_dossier_and_procedure_it_touched()
    {
        string id, task, receiptCode;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json"), Path.Combine(_work.Folder, "appsettings.Development.json"));
        using (var server = HostProcess.Start(_work.Folder, "Development"))
        {
            await server.WaitUntilServingAsync();
            using var counter = server.Client(Keys.Counter);
            var d = await ClerkApi.ReceiveAsync(counter, "land-first-certificate");
            id = d["id"]!.GetValue<string>();
            receiptCode = d["receiptCode"]!.GetValue<string>();
            task = d["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == "check")!["id"]!.GetValue<string>();

            using var land = server.Client(Keys.Land);
            using var complete = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task}/complete") { Content = JsonContent.Create(new { outcome = "Done" }) };
            complete.Headers.TryAddWithoutValidation("If-Match", $"\"{d["version"]!.GetValue<int>()}\"");
            complete.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            var completed = await land.SendAsync(complete);
            completed.StatusCode.Should().Be(HttpStatusCode.OK, await completed.Content.ReadAsStringAsync());
            (await land.GetAsync("/api/dossiers/NO-SUCH-DOSSIER")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            using var anonymous = server.Client();
            (await anonymous.GetAsync($"/odata/v1/Units?api_key={Keys.Reporter}")).StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var events = RequestEvents();
        var completion = events.Single(e => (string?)e["RequestPath"] == $"/api/tasks/{task}/complete");
        completion["StatusCode"]!.GetValue<int>().Should().Be(200);
        ((string?)completion["RequestMethod"]).Should().Be("POST");
        ((string?)completion["Caller"]).Should().Be("land-registry-binhson");
        ((string?)completion["CallerRole"]).Should().Be("Clerk");
        completion["CallerUnits"]!.AsArray().Select(u => (string?)u).Should().Equal("VPDKDD-BINHSON");
        ((string?)completion["TaskId"]).Should().Be(task);
        ((string?)completion["DossierId"]).Should().Be(id);
        ((string?)completion["ReceiptCode"]).Should().Be(receiptCode);
        ((string?)completion["ProcedureCode"]).Should().Be("land-first-certificate");
        completion["DefinitionVersion"]!.GetValue<int>().Should().Be(1);
        completion["Elapsed"]!.GetValue<double>().Should().BePositive();

        var receipt = events.Single(e => (string?)e["RequestPath"] == "/api/dossiers" && (string?)e["RequestMethod"] == "POST");
        ((string?)receipt["DossierId"]).Should().Be(id);
        receipt["StatusCode"]!.GetValue<int>().Should().Be(201);

        var missing = events.Single(e => (string?)e["RequestPath"] == "/api/dossiers/NO-SUCH-DOSSIER");
        missing["StatusCode"]!.GetValue<int>().Should().Be(404);
        ((string?)missing["DossierRef"]).Should().Be("NO-SUCH-DOSSIER");
        missing.ContainsKey("DossierId").Should().BeFalse("no dossier was touched");

        var feed = events.Single(e => (string?)e["RequestPath"] == "/odata/v1/Units");
        ((string?)feed["RequestQuery"]).Should().Be("?api_key=***", "an API key in the query string never reaches the log");
        ((string?)feed["Caller"]).Should().Be("reporter");
        string.Concat(LogLines()).Should().NotContain(Keys.Reporter);
    }

    public void Dispose() => _work.Dispose();

    /// <summary>The properties of every request event in the JSON log file.</summary>
    private List<JsonObject> RequestEvents() =>
        LogLines()
            .Select(line => JsonNode.Parse(line)!.AsObject())
            .Where(e => (string?)e["MessageTemplate"] == Template)
            .Select(e => e["Properties"]!.AsObject())
            .ToList();

    private string[] LogLines()
    {
        var files = Directory.GetFiles(Path.Combine(_work.Folder, "logs"), "processserver-*.json");
        files.Should().ContainSingle();
        return File.ReadAllLines(files[0]);
    }
}
