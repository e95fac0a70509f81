using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Counter receipt: validation, receipt codes, pinning, idempotency.</summary>
public sealed class ReceiveDossierTests : ServerTest
{
    [Fact]
    public async Task Receipt_codes_count_per_unit_and_local_day()
    {
        var first = await ReceiveAsync(App, "birth-registration");
        var second = await ReceiveAsync(App, "birth-registration");
        Clock.Advance(TimeSpan.FromHours(17)); // 01:00 next day in Hanoi, still 3 March in UTC
        var nextDay = await ReceiveAsync(App, "birth-registration");

        first["receiptCode"]!.GetValue<string>().Should().Be("HCC-BINHSON-250303-0001");
        second["receiptCode"]!.GetValue<string>().Should().Be("HCC-BINHSON-250303-0002");
        nextDay["receiptCode"]!.GetValue<string>().Should().Be("HCC-BINHSON-250304-0001");
    }

    [Fact]
    public async Task A_dossier_with_every_field_wrong_gets_400_naming_each_field()
    {
        using var client = App.ClientFor(Keys.Counter);
        var response = await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "",
            applicant = new { name = "", idNumber = "12", phone = "abc" },
            channel = "fax",
            receivingUnit = "NOWHERE",
            receivedAt = DateTimeOffset.UtcNow.AddYears(5),
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        errors.Select(e => e.Key).Should().BeEquivalentTo(
            "procedureCode", "applicant.name", "applicant.idNumber", "applicant.phone", "channel", "receivingUnit", "receivedAt");
        errors["channel"]![0]!.GetValue<string>().Should().Contain("direct, online, postal");
    }

    [Fact]
    public async Task An_unknown_procedure_gets_400_pointing_to_the_procedure_list()
    {
        using var client = App.ClientFor(Keys.Counter);
        var response = await client.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "marriage",
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("GET /api/procedures");
    }

    [Fact]
    public async Task Malformed_JSON_gets_400_naming_the_field_never_500()
    {
        using var client = App.ClientFor(Keys.Counter);
        var response = await client.PostAsync("/api/dossiers",
            new StringContent("{\"procedureCode\": \"birth-registration\", \"applicant\": {\"name\": 42}}", Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("applicant.name");

        var garbage = await client.PostAsync("/api/dossiers", new StringContent("{not json", Encoding.UTF8, "application/json"));
        garbage.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_dossier_pins_the_exact_definition_version_and_stores_it()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d["procedure"]!["versionId"]!.GetValue<string>().Should().Be("land-first-certificate-v1");

        await using var store = App.OpenStore();
        var row = store.Dossiers.Single();
        row.DefinitionVersionId.Should().Be("land-first-certificate-v1");
        row.DefinitionVersion.Should().Be(1);
        row.FieldCode.Should().Be("land");
        row.ReceivedAt.Kind.Should().Be(DateTimeKind.Utc);
        row.ReceivedAt.Should().Be(Clock.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public async Task Repeating_a_receipt_with_the_same_Idempotency_Key_creates_one_dossier()
    {
        using var client = App.ClientFor(Keys.Counter);
        async Task<HttpResponseMessage> Send()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/dossiers")
            {
                Content = JsonContent.Create(new { procedureCode = "birth-registration", applicant = Applicant(), channel = "direct", receivingUnit = "HCC-BINHSON" }),
            };
            request.Headers.Add("Idempotency-Key", "counter-click-1");
            return await client.SendAsync(request);
        }

        var first = await Send();
        var second = await Send();

        first.StatusCode.Should().Be(HttpStatusCode.Created);
        second.StatusCode.Should().Be(HttpStatusCode.Created);
        (await second.Content.ReadAsStringAsync()).Should().Be(await first.Content.ReadAsStringAsync());
        second.Headers.Location.Should().Be(first.Headers.Location);
        await using var store = App.OpenStore();
        store.Dossiers.Count().Should().Be(1);
    }
}
