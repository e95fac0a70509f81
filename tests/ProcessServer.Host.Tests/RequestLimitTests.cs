using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// Request body limits per endpoint and field limits, on the real server on a loopback port
/// (Kestrel enforces body limits; the in-memory test server has none).
/// </summary>
public sealed class RequestLimitTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private ServerApp? _app;
    private int _port;

    [Theory]
    [InlineData("POST", "/api/dossiers", Keys.Counter)]
    [InlineData("POST", "/api/tasks/any-task/complete", Keys.Land)]
    [InlineData("PUT", "/api/procedures/birth-registration/draft", Keys.Admin)]
    [InlineData("POST", "/elsa/api/workflow-definitions", Keys.Admin)]
    [InlineData("POST", "/api/calendar/days-off", Keys.Admin)]
    public async Task A_31_MB_body_gets_413_with_a_problem_body_not_500(string method, string path, string key)
    {
        Start();
        using var client = Client(key);
        client.DefaultRequestHeaders.ExpectContinue = true;
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonBytes(31 * 1024 * 1024) };

        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["status"]!.GetValue<int>().Should().Be(413);
        problem["detail"]!.GetValue<string>().Should().Contain("at most").And.Contain("ProcessServer:Limits");
    }

    [Fact]
    public async Task A_chunked_body_that_grows_past_the_limit_gets_413_not_500()
    {
        Start(new Dictionary<string, string?> { ["ProcessServer:Limits:MaxBodyBytes"] = "20000" });
        using var client = Client(Keys.Counter);
        var bytes = JsonBytes(200_000);
        using var content = new StreamContent(await bytes.ReadAsStreamAsync());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/dossiers") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain("20,000 bytes");
    }

    [Fact]
    public async Task The_limit_is_per_endpoint_a_2_MB_definition_is_read_where_a_2_MB_dossier_is_refused()
    {
        Start();
        using var admin = Client(Keys.Admin);
        var definition = await DefinitionEdits.GetDefinitionAsync(_app!, "birth-registration");
        // A property the engine does not know (kept as is): the description itself has a field limit of its own.
        definition["x-attachments"] = new string('x', 2 * 1024 * 1024);
        var saved = await admin.PutAsJsonAsync("/api/procedures/birth-registration/draft", definition);
        saved.StatusCode.Should().Be(HttpStatusCode.OK, await saved.Content.ReadAsStringAsync());

        using var counter = Client(Keys.Counter);
        var receive = await counter.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
            data = new { note = new string('x', 2 * 1024 * 1024) },
        });
        receive.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task A_comment_or_variable_value_over_its_limit_gets_400_naming_the_field_and_nothing_is_stored()
    {
        Start();
        var dossier = await ReceiveAsync(_app!, "land-first-certificate");
        var task = OpenTask(dossier, "check")["id"]!.GetValue<string>();

        var longComment = await CompleteRawAsync(_app!, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString(), comment: new string('c', 2001));
        longComment.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = JsonNode.Parse(await longComment.Content.ReadAsStringAsync())!;
        problem["errors"]!["comment"]![0]!.GetValue<string>().Should().Be("comment is 2,001 characters; at most 2,000 are allowed (ProcessServer:Limits:MaxCommentLength).");

        var longValue = await CompleteRawAsync(_app!, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString(),
            data: new Dictionary<string, object> { ["hasFinancialObligation"] = new string('v', 5000) });
        longValue.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await longValue.Content.ReadAsStringAsync()).Should().Contain("\"data.hasFinancialObligation\"").And.Contain("MaxVariableValueLength");

        var manyVariables = await CompleteRawAsync(_app!, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString(),
            data: Enumerable.Range(0, 51).ToDictionary(i => $"v{i}", i => (object)i));
        manyVariables.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await manyVariables.Content.ReadAsStringAsync()).Should().Contain("data sets 51 variables; at most 50");

        (await GetAsync(_app!, dossier["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(1, "nothing was stored");
        (await CompleteRawAsync(_app!, Keys.Land, task, "Done", 1, Guid.NewGuid().ToString(), comment: new string('c', 2000)))
            .StatusCode.Should().Be(HttpStatusCode.OK, "a comment of exactly the limit is fine");
    }

    [Fact]
    public async Task Names_and_reasons_over_their_limits_get_400_and_the_limits_are_configurable()
    {
        Start(new Dictionary<string, string?>
        {
            ["ProcessServer:Limits:MaxNameLength"] = "20",
            ["ProcessServer:Limits:MaxCommentLength"] = "30",
        });
        using var counter = Client(Keys.Counter);
        var receive = await counter.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = Applicant(name: "Nguyễn Thị Hồng Nhung Phương"),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        receive.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await receive.Content.ReadAsStringAsync()).Should().Contain("applicant.name is 28 characters; at most 20 are allowed (ProcessServer:Limits:MaxNameLength)");

        var dossier = await ReceiveAsync(_app!, "birth-registration");
        using var commune = Client(Keys.Commune);
        var apology = await commune.PostAsJsonAsync($"/api/dossiers/{dossier["id"]}/apology", new { newDueAt = "2025-03-10T10:00:00Z", reason = new string('r', 31) });
        apology.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await apology.Content.ReadAsStringAsync()).Should().Contain("reason is 31 characters; at most 30");

        using var admin = Client(Keys.Admin);
        var day = await admin.PostAsJsonAsync("/api/calendar/days-off", new { date = "2026-11-24", name = new string('n', 21) });
        day.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await day.Content.ReadAsStringAsync()).Should().Contain("\"name\"");
    }

    public void Dispose()
    {
        _app?.Dispose();
        _database.Dispose();
    }

    private void Start(IDictionary<string, string?>? settings = null)
    {
        _app = new ServerApp(_database.DatabaseFile, _clock, settings);
        _port = FreePort();
        _app.UseKestrel(_port);
        _app.StartServer();
    }

    private HttpClient Client(string key)
    {
        // With Expect: 100-continue the client waits for the server's verdict before sending a large
        // body; the default wait (1 s) runs out on a loaded machine, the client starts sending anyway
        // and the server's 413-and-close then breaks the pipe under the test.
        var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) };
        var client = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>A JSON object of about <paramref name="size"/> bytes: one long string field.</summary>
    private static ByteArrayContent JsonBytes(int size)
    {
        var text = "{\"comment\":\"" + new string('x', size - 14) + "\"}";
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
