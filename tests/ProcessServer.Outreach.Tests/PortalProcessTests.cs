using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using ProcessServer.Outreach.Tests.Support;

namespace ProcessServer.Outreach.Tests;

/// <summary>
/// The server as a real process (<c>dotnet ProcessServer.Host.dll</c>) talking to the stand-in
/// portal: killed between commit and send, and two processes sharing one PostgreSQL database.
/// </summary>
public sealed class PortalProcessTests : IAsyncLifetime
{
    private TempDatabase Folder { get; } = new();
    private StandInPortal _portal = null!;

    public async Task InitializeAsync() => _portal = await StandInPortal.StartAsync();

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        Folder.Dispose();
    }

    [Fact]
    public async Task Nothing_committed_is_lost_when_the_server_process_is_killed_between_commit_and_send()
    {
        // The portal answers slowly and then not at all: the changes commit, their messages are
        // in flight or waiting when the process dies.
        _portal.Delay = TimeSpan.FromSeconds(30);
        var codes = new List<string>();
        using (var server = Start(Folder.Folder))
        {
            await server.WaitUntilServingAsync();
            for (var i = 0; i < 4; i++)
            {
                codes.Add(await RunBirthAsync(server));
            }

            await Waits.UntilAsync(() => _portal.Arrived > 0, "a message is being sent when the process is killed");
            _portal.Accepted.Should().BeEmpty();
        }

        _portal.Delay = TimeSpan.Zero;
        using (var restarted = Start(Folder.Folder))
        {
            await restarted.WaitUntilServingAsync();
            await _portal.WaitForAsync(a => codes.All(c => a.Count(r => r.ReceiptCode == c) == 6), within: TimeSpan.FromSeconds(60),
                because: "every message committed before the kill is sent by the restarted server");
        }

        foreach (var code in codes)
        {
            _portal.StatusesOf(code).Should().Equal(["2", "4", "9", "9", "10", "10"], "order per dossier holds across the kill");
        }

        _portal.Requests.Count(r => r.Status == 0).Should().BeGreaterThan(0, "the killed process had a call in flight");
        foreach (var repeats in _portal.Requests.GroupBy(r => r.MessageId))
        {
            repeats.Select(r => r.Content).Distinct().Should().ContainSingle("a message sent again after the kill has the content it had before");
        }

        _portal.Accepted.Select(r => r.MessageId).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Two_server_processes_on_one_PostgreSQL_database_send_each_message_exactly_once_in_order()
    {
        using var postgres = new PostgresServer();
        var database = postgres.NewDatabase();
        string[] store = ["--Database:Provider=Postgres", $"--Database:ConnectionString={database}"];
        using var first = Start(Folder.Folder, store);
        await first.WaitUntilServingAsync();
        var second = Path.Combine(Folder.Folder, "second");
        Directory.CreateDirectory(second);
        using var other = Start(second, store);
        await other.WaitUntilServingAsync();

        // Receipts one after another (concurrent receipts on PostgreSQL can exhaust the receipt
        // number retries: reported separately); the steps of all dossiers run at once on both servers.
        var received = new List<JsonObject>();
        for (var i = 0; i < 16; i++)
        {
            received.Add(await ReceiveBirthAsync(i % 2 == 0 ? first : other));
        }

        var codes = await Task.WhenAll(received.Select((d, i) => FinishBirthAsync(d, i % 3 == 0 ? other : first, i % 2 == 0 ? other : first)));
        await _portal.WaitForAsync(a => a.Count == codes.Length * 6, within: TimeSpan.FromSeconds(90));
        await Task.Delay(500);

        _portal.Requests.Should().HaveCount(codes.Length * 6, "no message was sent twice, by the same or the other process");
        _portal.Requests.Select(r => r.MessageId).Should().OnlyHaveUniqueItems();
        foreach (var code in codes)
        {
            _portal.StatusesOf(code).Should().Equal(["2", "4", "9", "9", "10", "10"]);
        }
    }

    private HostProcess Start(string folder, params string[] extra)
    {
        var bin = AppContext.BaseDirectory;
        var development = Path.Combine(folder, "appsettings.Development.json");
        if (!File.Exists(development))
        {
            File.Copy(Path.Combine(bin, "appsettings.Development.json"), development);
        }

        var settings = _portal.Settings(maxAttempts: 100).Select(kv => $"--{kv.Key}={kv.Value}");
        return HostProcess.Start(folder, "Development", settings.Concat(extra).ToArray());
    }

    /// <summary>Receives a birth registration and takes it to the end; returns its receipt code.</summary>
    private static async Task<string> RunBirthAsync(HostProcess server) => await FinishBirthAsync(await ReceiveBirthAsync(server), server, server);

    private static async Task<JsonObject> ReceiveBirthAsync(HostProcess server)
    {
        using var counter = server.Client(Keys.Counter);
        var received = await counter.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = new { name = "Trần Thị Bình", idNumber = "051190004321", phone = "0905000111" },
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        var dossier = JsonNode.Parse(await received.Content.ReadAsStringAsync())!.AsObject();
        received.StatusCode.Should().Be(HttpStatusCode.Created, dossier.ToJsonString());
        return dossier;
    }

    private static async Task<string> FinishBirthAsync(JsonObject dossier, HostProcess communeServer, HostProcess counterServer)
    {
        using var counter = counterServer.Client(Keys.Counter);
        using var commune = communeServer.Client(Keys.Commune);
        foreach (var (client, activity) in new[] { (commune, "register"), (commune, "sign"), (counter, "returnResult") })
        {
            var task = dossier["currentTasks"]!.AsArray().Single(t => t!["activityId"]!.GetValue<string>() == activity)!;
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/tasks/{task["id"]}/complete") { Content = JsonContent.Create(new { outcome = "Done" }) };
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{dossier["version"]}\"");
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
            var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            dossier = JsonNode.Parse(body)!.AsObject();
        }

        return dossier["receiptCode"]!.GetValue<string>();
    }
}
