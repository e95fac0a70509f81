using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The server started as an operator starts it (<c>dotnet ProcessServer.Host.dll</c>, no environment
/// name, so Production): it refuses keys anyone could guess and takes the operator's keys and units
/// as the whole lists.
/// </summary>
public sealed class ProductionStartTests : IDisposable
{
    private readonly TempDatabase _folder = new();

    [Fact]
    public async Task Started_without_an_environment_name_the_server_refuses_development_empty_and_short_keys_naming_each_entry_and_the_fix()
    {
        var shortSecret = "only-twenty-chars-ok";
        using var server = HostProcess.Start(_folder.Folder, environment: null,
            "--ProcessServer:ApiKeys:0:Name=admin", "--ProcessServer:ApiKeys:0:Key=dev-admin-key", "--ProcessServer:ApiKeys:0:Role=Administrator",
            "--ProcessServer:ApiKeys:1:Name=reporter", "--ProcessServer:ApiKeys:1:Key=", "--ProcessServer:ApiKeys:1:Role=Reporter",
            "--ProcessServer:ApiKeys:2:Name=province", $"--ProcessServer:ApiKeys:2:Key={shortSecret}", "--ProcessServer:ApiKeys:2:Role=Reporter",
            "--ProcessServer:ApiKeys:3:Name=strong", $"--ProcessServer:ApiKeys:3:Key={NewKey()}", "--ProcessServer:ApiKeys:3:Role=Administrator");

        (await server.ExitsWithinAsync(TimeSpan.FromSeconds(60))).Should().BeTrue("the server must not start with guessable keys; it is serving instead:\n" + server.Output);
        server.ExitCode.Should().Be(1);
        var message = server.Errors;
        message.Should().Contain("ProcessServer refuses to start (environment Production)");
        message.Should().Contain("ProcessServer:ApiKeys:0 (\"admin\", from the command line) is the development key 'dev-admin-key'");
        message.Should().Contain("ProcessServer:ApiKeys:1 (\"reporter\", from the command line) has an empty Key");
        message.Should().Contain("ProcessServer:ApiKeys:2 (\"province\", from the command line) has a key of 20 characters; outside Development a key needs at least 32");
        message.Should().Contain("openssl rand -base64 32").And.Contain("ProcessServer__ApiKeys__2__Key");
        message.Should().NotContain("\"strong\"", "a good key is not a problem");
        message.Should().NotContain(shortSecret, "a secret, even a weak one, is not printed to logs");
        message.Should().NotContain("   at ", "the operator gets the reasons, not a stack trace");
    }

    [Fact]
    public async Task Started_without_an_environment_name_and_no_keys_the_server_refuses_and_points_at_the_sample()
    {
        using var server = HostProcess.Start(_folder.Folder);

        (await server.ExitsWithinAsync(TimeSpan.FromSeconds(60))).Should().BeTrue("a production server without keys would accept the development keys or nobody:\n" + server.Output);
        server.ExitCode.Should().Be(1);
        server.Errors.Should().Contain("No API keys are configured").And.Contain("appsettings.Units-and-keys.json");
    }

    [Fact]
    public async Task Following_the_sample_a_production_server_knows_only_the_operators_keys_and_units()
    {
        // What appsettings.samples/README.md says: copy the sample as appsettings.Production.json and fill in the keys.
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "appsettings.samples", "appsettings.Units-and-keys.json")))!;
        var keys = sample["ProcessServer"]!["ApiKeys"]!.AsArray();
        keys.Select(k => k!["Key"]!.GetValue<string>()).Should().OnlyContain(k => k.Length == 0, "the sample holds no secret anyone could copy");
        foreach (var key in keys)
        {
            key!["Key"] = NewKey();
        }

        await File.WriteAllTextAsync(Path.Combine(_folder.Folder, "appsettings.Production.json"), sample.ToJsonString());
        var admin = keys[0]!["Key"]!.GetValue<string>();

        using var server = HostProcess.Start(_folder.Folder);
        await server.WaitUntilServingAsync();

        foreach (var development in new[] { Keys.Admin, Keys.Counter, Keys.Tax, Keys.Insurance })
        {
            using var client = server.Client(development);
            (await client.GetAsync("/api/procedures")).StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{development} is a development key");
        }

        using var operatorClient = server.Client(admin);
        (await operatorClient.GetAsync("/api/procedures")).StatusCode.Should().Be(HttpStatusCode.OK);

        // The units are the sample's three, not those merged with the development units by position.
        var receive = await operatorClient.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = ClerkApi.Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        receive.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await receive.Content.ReadAsStringAsync()).Should().Contain("known units: HCC-TINH, HCC-XA-A, UBND-XA-A.");
    }

    [Fact]
    public async Task A_production_server_answers_bad_OData_queries_with_a_code_and_a_message_and_no_stack_trace_or_inner_error()
    {
        var admin = NewKey();
        using var server = HostProcess.Start(_folder.Folder, environment: null,
            "--ProcessServer:ApiKeys:0:Name=admin", $"--ProcessServer:ApiKeys:0:Key={admin}", "--ProcessServer:ApiKeys:0:Role=Administrator");
        await server.WaitUntilServingAsync();
        using var client = server.Client(admin);

        foreach (var query in new[]
                 {
                     "/odata/v1/Dossiers?$filter=NoSuchColumn%20eq%201",
                     "/odata/v1/Dossiers?$search=land",
                     "/odata/v1/Dossiers?$orderby=NoSuchColumn%20desc",
                     "/odata/v1/Dossiers?$skiptoken=not-a-token",
                     "/odata/v1/PeriodReportFor(From=2026-06-30,To=2026-13-01)",
                 })
        {
            var response = await client.GetAsync(query);
            var body = await response.Content.ReadAsStringAsync();
            ((int)response.StatusCode).Should().BeInRange(400, 499, $"{query}: {body}");
            var error = JsonNode.Parse(body)!["error"]!;
            error["code"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace(query);
            error["message"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace(query);
            body.Should().NotContainEquivalentOf("innererror", query).And.NotContainEquivalentOf("stacktrace", query).And.NotContain("   at ", query);
        }
    }

    [Fact]
    public async Task A_production_server_hides_its_API_description_and_stops_key_guessing_by_default()
    {
        var admin = NewKey();
        using var server = HostProcess.Start(_folder.Folder, environment: null,
            "--ProcessServer:ApiKeys:0:Name=admin", $"--ProcessServer:ApiKeys:0:Key={admin}", "--ProcessServer:ApiKeys:0:Role=Administrator");
        await server.WaitUntilServingAsync();
        using var anonymous = server.Client();

        (await anonymous.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await anonymous.GetAsync("/swagger/index.html")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
        {
            using var guesser = server.Client(NewKey());
            statuses.Add((await guesser.GetAsync("/api/procedures")).StatusCode);
        }

        statuses.Take(20).Should().OnlyContain(s => s == HttpStatusCode.Unauthorized);
        statuses[20].Should().Be(HttpStatusCode.TooManyRequests, "20 wrong keys a minute is the default limit");
        using var client = server.Client(admin);
        (await client.GetAsync("/api/procedures")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    public void Dispose() => _folder.Dispose();

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "ProcessServer.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("ProcessServer.sln not found above the test folder");
    }
}
