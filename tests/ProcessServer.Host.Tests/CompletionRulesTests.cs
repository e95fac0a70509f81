using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>Optimistic concurrency, idempotency and illegal transitions of task completion.</summary>
public sealed class CompletionRulesTests : ServerTest
{
    [Fact]
    public async Task Completing_with_a_stale_version_gets_409_and_changes_nothing()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        var tax = OpenTask(d, "taxNotice")["id"]!.GetValue<string>();
        var staleVersion = d["version"]!.GetValue<int>();
        d = await CompleteAsync(App, d, "communeConfirm", "Done", Keys.Commune);

        var response = await CompleteRawAsync(App, Keys.Tax, tax, "Done", staleVersion, Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["detail"]!.GetValue<string>().Should().Contain("reload");
        problem["currentVersion"]!.GetValue<int>().Should().Be(d["version"]!.GetValue<int>());
        var now = await GetAsync(App, d["id"]!.GetValue<string>());
        now["version"]!.GetValue<int>().Should().Be(d["version"]!.GetValue<int>());
        OpenActivities(now).Should().Be("taxNotice");
    }

    [Fact]
    public async Task Completing_without_If_Match_gets_428_and_without_Idempotency_Key_gets_400()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();

        var noIfMatch = await CompleteRawAsync(App, Keys.Commune, task, "Done", null, Guid.NewGuid().ToString());
        noIfMatch.StatusCode.Should().Be((HttpStatusCode)428);
        (await noIfMatch.Content.ReadAsStringAsync()).Should().Contain("If-Match");

        var noKey = await CompleteRawAsync(App, Keys.Commune, task, "Done", 1, null);
        noKey.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await noKey.Content.ReadAsStringAsync()).Should().Contain("Idempotency-Key");
    }

    [Fact]
    public async Task Repeating_a_completion_with_the_same_Idempotency_Key_returns_the_first_response_and_changes_nothing()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();
        var key = Guid.NewGuid().ToString();

        var first = await CompleteRawAsync(App, Keys.Commune, task, "Done", 1, key, comment: "checked");
        var firstBody = await first.Content.ReadAsStringAsync();
        first.StatusCode.Should().Be(HttpStatusCode.OK, firstBody);

        Clock.Advance(TimeSpan.FromMinutes(5));
        var again = await CompleteRawAsync(App, Keys.Commune, task, "Done", 1, key, comment: "checked");
        again.StatusCode.Should().Be(HttpStatusCode.OK);
        (await again.Content.ReadAsStringAsync()).Should().Be(firstBody);
        again.Headers.GetValues("Idempotent-Replayed").Should().Equal("true");
        again.Headers.ETag!.Tag.Should().Be(first.Headers.ETag!.Tag);

        await using var store = App.OpenStore();
        store.Journal.Count(j => j.Type == "TaskCompleted").Should().Be(1);
        store.Dossiers.Single().Version.Should().Be(2);
    }

    [Fact]
    public async Task Reusing_an_Idempotency_Key_for_a_different_request_gets_422()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();
        var key = Guid.NewGuid().ToString();
        (await CompleteRawAsync(App, Keys.Commune, task, "RequestSupplement", 1, key)).StatusCode.Should().Be(HttpStatusCode.OK);

        var other = await CompleteRawAsync(App, Keys.Commune, task, "SupplementReceived", 2, key);

        other.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await other.Content.ReadAsStringAsync()).Should().Contain("different request");
    }

    [Fact]
    public async Task An_outcome_the_step_does_not_allow_gets_422_naming_the_allowed_outcomes()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        var task = OpenTask(d, "check")["id"]!.GetValue<string>();

        var response = await CompleteRawAsync(App, Keys.Land, task, "Approve", 1, Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        detail.Should().Contain("Approve").And.Contain("Done, RequestSupplement, Reject");
        (await GetAsync(App, d["id"]!.GetValue<string>()))["version"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task Data_of_the_wrong_type_for_a_declared_variable_gets_422_naming_the_field()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        var tax = OpenTask(d, "taxNotice")["id"]!.GetValue<string>();

        var response = await CompleteRawAsync(App, Keys.Tax, tax, "Done", d["version"]!.GetValue<int>(), Guid.NewGuid().ToString(),
            data: new { hasFinancialObligation = "maybe" });

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await response.Content.ReadAsStringAsync()).Should().Contain("hasFinancialObligation").And.Contain("Boolean");
    }

    [Fact]
    public async Task Completing_a_task_that_was_already_completed_gets_409()
    {
        var d = await ReceiveAsync(App, "birth-registration");
        var task = OpenTask(d, "register")["id"]!.GetValue<string>();
        d = await CompleteAsync(App, d, "register", "Done", Keys.Commune);

        var response = await CompleteRawAsync(App, Keys.Commune, task, "Done", d["version"]!.GetValue<int>(), Guid.NewGuid().ToString());

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).Should().Contain("not pending");
    }

    [Fact]
    public async Task Completing_an_unknown_task_gets_404()
    {
        var response = await CompleteRawAsync(App, Keys.Commune, "no-such-task", "Done", 1, Guid.NewGuid().ToString());
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Two_clerks_completing_parallel_tasks_at_the_same_version_one_wins_the_other_gets_409()
    {
        var d = await ReceiveAsync(App, "land-first-certificate");
        d = await CompleteAsync(App, d, "check", "Done", Keys.Land);
        var version = d["version"]!.GetValue<int>();
        var commune = OpenTask(d, "communeConfirm")["id"]!.GetValue<string>();
        var tax = OpenTask(d, "taxNotice")["id"]!.GetValue<string>();

        var results = await Task.WhenAll(
            CompleteRawAsync(App, Keys.Commune, commune, "Done", version, Guid.NewGuid().ToString()),
            CompleteRawAsync(App, Keys.Tax, tax, "Done", version, Guid.NewGuid().ToString()));

        results.Select(r => r.StatusCode).Should().BeEquivalentTo([HttpStatusCode.OK, HttpStatusCode.Conflict]);
        var now = await GetAsync(App, d["id"]!.GetValue<string>());
        now["version"]!.GetValue<int>().Should().Be(version + 1);
        now["currentTasks"]!.AsArray().Should().HaveCount(1, "exactly one of the two completions landed");
    }
}
