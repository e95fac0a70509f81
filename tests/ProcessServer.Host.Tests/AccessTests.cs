using System.Net;
using System.Net.Http.Json;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>API keys, roles and unit boundaries.</summary>
public sealed class AccessTests : ServerTest
{
    [Theory]
    [InlineData("GET", "/api/inbox")]
    [InlineData("GET", "/api/dossiers/anything")]
    [InlineData("POST", "/api/dossiers")]
    [InlineData("POST", "/api/tasks/anything/complete")]
    [InlineData("GET", "/api/procedures")]
    public async Task A_request_without_an_API_key_gets_401_problem(string method, string path)
    {
        using var client = App.ClientFor(null);
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { }) });

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("X-Api-Key");
    }

    [Fact]
    public async Task A_wrong_API_key_gets_401_saying_the_key_is_not_valid()
    {
        using var client = App.ClientFor("not-a-key");
        var response = await client.GetAsync("/api/inbox");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await response.Content.ReadAsStringAsync()).Should().Contain("not valid");
    }

    [Fact]
    public async Task The_Elsa_Studio_authorization_header_form_is_accepted()
    {
        using var client = App.ClientFor(null);
        client.DefaultRequestHeaders.Add("Authorization", $"ApiKey {Keys.Land}");
        (await client.GetAsync("/api/inbox")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_clerk_cannot_complete_a_task_of_another_unit()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();

        var response = await CompleteRawAsync(App, Keys.Tax, task, "Done", 1, Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().Contain("VPDKDD-BINHSON");
        (await GetAsync(App, d["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_clerk_of_another_unit_sending_an_old_version_is_told_the_task_is_not_theirs_not_that_the_dossier_changed(bool afterRestart)
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();
        await CompleteRawAsync(App, Keys.Commune, task, "Done", 1, Guid.NewGuid().ToString());
        d = await GetAsync(App, d["id"]!.GetValue<string>());
        var next = d["currentTasks"]!.AsArray().Single()!;
        if (afterRestart)
        {
            // The server then knows the task's dossier only by reading the task.
            Restart();
        }

        var response = await CompleteRawAsync(App, Keys.Tax, next["id"]!.GetValue<string>(), "Done", 1, Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden, await response.Content.ReadAsStringAsync());
        (await response.Content.ReadAsStringAsync()).Should().Contain(next["unitCode"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_clerk_cannot_read_a_dossier_that_never_reached_their_unit()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        using var police = App.ClientFor(Keys.Police);
        (await police.GetAsync($"/api/dossiers/{d["id"]}")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        using var commune = App.ClientFor(Keys.Commune);
        (await commune.GetAsync($"/api/dossiers/{d["id"]}")).StatusCode.Should().Be(HttpStatusCode.OK, "the dossier has a task in the commune");
        using var counter = App.ClientFor(Keys.Counter);
        (await counter.GetAsync($"/api/dossiers/{d["receiptCode"]}")).StatusCode.Should().Be(HttpStatusCode.OK, "the counter received it; receipt codes work as ids");
    }

    [Fact]
    public async Task A_clerk_cannot_receive_for_another_unit_nor_read_its_inbox()
    {
        using var client = App.ClientFor(Keys.Land);
        var receive = await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "land-first-certificate",
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        receive.StatusCode.Should().Be(HttpStatusCode.Forbidden);

        (await client.GetAsync("/api/inbox?unit=HCC-BINHSON")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_reporter_key_cannot_use_the_clerk_API()
    {
        using var client = App.ClientFor(Keys.Reporter);
        var response = await client.GetAsync("/api/inbox");
        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
    }

    [Fact]
    public async Task An_administrator_sees_every_unit()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();
        var response = await CompleteRawAsync(App, Keys.Admin, task, "Done", 1, Guid.NewGuid().ToString());
        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }
}
