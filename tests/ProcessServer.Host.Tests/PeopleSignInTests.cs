using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Sign-in of people with tokens of a real OpenID Connect provider, beside API keys.</summary>
public sealed class PeopleSignInTests : PeopleTest
{
    [Fact]
    public async Task A_person_signed_in_at_the_provider_acts_under_their_own_id_name_and_unit_and_the_journal_names_them()
    {
        using var cuc = await SignInAsync(Cuc);

        var received = await cuc.PostAsJsonAsync("/api/dossiers", new
        {
            procedureCode = "birth-registration",
            applicant = Applicant(),
            channel = "direct",
            receivingUnit = "HCC-BINHSON",
        });

        var body = await received.Content.ReadAsStringAsync();
        received.StatusCode.Should().Be(HttpStatusCode.Created, body);
        var entry = JsonNode.Parse(body)!["journal"]!.AsArray().First()!;
        entry["type"]!.GetValue<string>().Should().Be("DossierReceived");
        entry["actorId"]!.GetValue<string>().Should().Be(Cuc.Subject);
        entry["actorName"]!.GetValue<string>().Should().Be(Cuc.Name);
        entry["actor"]!.GetValue<string>().Should().Be(Cuc.Name);
        entry["actedForUnit"]!.GetValue<string>().Should().Be("HCC-BINHSON");

        using var admin = App.ClientFor(Keys.Admin);
        var people = JsonNode.Parse(await admin.GetStringAsync("/api/units/HCC-BINHSON/people"))!.AsArray();
        var person = people.Single(p => p!["id"]!.GetValue<string>() == Cuc.Subject)!;
        person["name"]!.GetValue<string>().Should().Be(Cuc.Name);
        person["kind"]!.GetValue<string>().Should().Be("Person");
        person["role"]!.GetValue<string>().Should().Be("Clerk");
    }

    [Fact]
    public async Task API_keys_keep_working_beside_tokens_and_their_journal_entries_name_the_key()
    {
        var d = await ReceiveAsync(App, "birth-registration");

        var entry = d["journal"]!.AsArray().First()!;
        entry["actorId"]!.GetValue<string>().Should().Be("counter-binhson");
        entry["actorName"]!.GetValue<string>().Should().Be("counter-binhson");
        entry["actedForUnit"]!.GetValue<string>().Should().Be("HCC-BINHSON");
    }

    [Fact]
    public async Task An_expired_token_gets_401_saying_it_expired()
    {
        var token = await Provider.TokenAsync(An);
        Clock.Advance(IdentityProvider.TokenLifetime + TimeSpan.FromMinutes(2));

        var response = await SendWith(token);

        await ShouldBe401(response, "expired");
    }

    [Fact]
    public async Task A_token_within_the_clock_skew_of_its_expiry_is_still_accepted()
    {
        var token = await Provider.TokenAsync(An);
        Clock.Advance(IdentityProvider.TokenLifetime + TimeSpan.FromSeconds(10));

        (await SendWith(token)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_signed_by_another_provider_claiming_the_same_issuer_gets_401_about_the_signature()
    {
        await using var rogue = await IdentityProvider.StartAsync(Clock, issuer: Provider.Authority);
        rogue.Add(An);
        var token = await rogue.TokenAsync(An);

        var response = await SendWith(token);

        await ShouldBe401(response, "signature");
    }

    [Fact]
    public async Task A_token_issued_for_another_API_gets_401_naming_the_audience()
    {
        var token = await Provider.TokenAsync(An, scope: IdentityProvider.OtherAudience);

        var response = await SendWith(token);

        var detail = await ShouldBe401(response, "audience");
        detail.Should().Contain(IdentityProvider.OtherAudience).And.Contain(IdentityProvider.Audience);
    }

    [Fact]
    public async Task A_bearer_token_that_is_not_a_JWT_gets_401()
    {
        await ShouldBe401(await SendWith("not-a-token"), "JWT");
    }

    [Fact]
    public async Task A_person_whose_token_names_no_unit_gets_403_saying_so()
    {
        using var vo = await SignInAsync(Vo);

        var response = await vo.GetAsync("/api/inbox");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadAsStringAsync()).Should().Contain("names no unit").And.Contain(Vo.Subject);
    }

    [Fact]
    public async Task A_clerk_token_is_refused_the_administrator_operations_with_403_naming_the_role()
    {
        using var an = await SignInAsync(An);

        var response = await an.GetAsync("/api/procedures/land-first-certificate/versions");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Clerk").And.Contain("Administrator");
    }

    [Fact]
    public async Task An_administrator_signed_in_at_the_provider_uses_the_designer_backend_and_publishing_records_them()
    {
        using var quan = await SignInAsync(Quan);

        (await quan.GetAsync("/elsa/api/features/installed")).StatusCode.Should().Be(HttpStatusCode.OK);
        var published = await quan.PostAsync("/api/procedures/birth-registration/versions/1/publish", null);
        published.StatusCode.Should().Be(HttpStatusCode.OK, await published.Content.ReadAsStringAsync());

        var audit = JsonNode.Parse(await quan.GetStringAsync("/api/audit?action=ProcedurePublished"))!.AsArray();
        var entry = audit.Should().ContainSingle().Subject!;
        entry["actorId"]!.GetValue<string>().Should().Be(Quan.Subject);
        entry["actorName"]!.GetValue<string>().Should().Be(Quan.Name);
        entry["subject"]!.GetValue<string>().Should().Be("birth-registration v1");
    }

    [Fact]
    public async Task A_report_request_and_a_migration_plan_record_who_asked_and_for_which_unit()
    {
        using var bao = await SignInAsync(Bao);
        var csv = await bao.GetAsync("/api/reports/period.csv?from=2025-01-01&to=2025-03-31");
        csv.StatusCode.Should().Be(HttpStatusCode.OK, await csv.Content.ReadAsStringAsync());
        using var quan = await SignInAsync(Quan);
        var plan = await quan.PostAsJsonAsync("/api/migrations", new { procedureCode = "birth-registration", sourceVersions = new[] { 1 }, targetVersion = 1 });
        plan.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the target cannot be a source; the plan is refused and nothing is recorded");

        var reports = JsonNode.Parse(await quan.GetStringAsync("/api/audit?action=ReportRequested"))!.AsArray();

        var report = reports.Should().ContainSingle().Subject!;
        report["actorId"]!.GetValue<string>().Should().Be(Bao.Subject);
        report["actedForUnit"]!.GetValue<string>().Should().Be("HCC-BINHSON");
        report["detail"]!["units"]!.AsArray().Select(u => u!.GetValue<string>()).Should().Equal("HCC-BINHSON");
        JsonNode.Parse(await quan.GetStringAsync("/api/audit?action=MigrationPlanned"))!.AsArray().Should().BeEmpty();
    }

    private async Task<HttpResponseMessage> SendWith(string token)
    {
        using var client = App.ClientFor(null);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync("/api/inbox");
    }

    private static async Task<string> ShouldBe401(HttpResponseMessage response, string reason)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, body);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer").Which.Parameter.Should().Contain("invalid_token");
        var detail = JsonNode.Parse(body)!["detail"]!.GetValue<string>();
        detail.Should().Contain(reason);
        return detail;
    }
}

/// <summary>A province whose provider names its claims differently.</summary>
public sealed class ConfiguredClaimNamesTests : PeopleTest
{
    private static readonly Account Officer = new("officer.land", "pw", "opaque-guid-41", "Lý Thị Địa", "chuyen-vien", "VPDKDD-BINHSON");

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ProcessServer:OpenIdConnect:SubjectClaim"] = "preferred_username",
        ["ProcessServer:OpenIdConnect:RoleValues:chuyen-vien"] = "Clerk",
    };

    [Fact]
    public async Task The_claims_read_for_id_and_role_follow_the_configuration()
    {
        Provider.Add(Officer);
        var d = await ReceiveAsync(App, "land-first-certificate");
        using var officer = await SignInAsync(Officer);

        var claimed = await TaskActs.OkAsync(officer, d, "check", "claim");

        var holder = TaskActs.Task(claimed, "check")["assignee"]!;
        holder["id"]!.GetValue<string>().Should().Be("officer.land", "the id is read from preferred_username here");
        holder["name"]!.GetValue<string>().Should().Be(Officer.Name);
        TaskActs.Journal(claimed, "TaskClaimed").Single()["actorId"]!.GetValue<string>().Should().Be("officer.land");
    }
}
