using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.DefinitionEdits;

namespace ProcessServer.Host.Tests;

/// <summary>Explicit, audited migration of in-flight dossiers between versions.</summary>
public sealed class MigrationTests : ServerTest
{
    private const string Land = "land-first-certificate";

    [Fact]
    public async Task Migrating_a_mix_from_v1_to_v3_with_a_partial_mapping_moves_exactly_the_unblocked_dossiers()
    {
        // Dossiers at every kind of position on v1.
        var at = new Dictionary<string, JsonObject>
        {
            ["check"] = await ReceiveAsync(App, Land),
            ["fork"] = await Advance(await ReceiveAsync(App, Land), ("check", "Done", Keys.Land)),
            ["halfJoined"] = await Advance(await ReceiveAsync(App, Land), ("check", "Done", Keys.Land), ("taxNotice", "Done", Keys.Tax)),
            ["payment"] = await Advance(await ReceiveAsync(App, Land), ("check", "Done", Keys.Land), ("taxNotice", "Done", Keys.Tax), ("communeConfirm", "Done", Keys.Commune)),
            ["sign"] = await Advance(await ReceiveAsync(App, Land), ("check", "Done", Keys.Land), ("taxNotice", "Done", Keys.Tax), ("communeConfirm", "Done", Keys.Commune), ("payment", "Paid", Keys.Counter), ("prepare", "Done", Keys.Land)),
            ["updateRecords"] = await Advance(await ReceiveAsync(App, Land), ("check", "Done", Keys.Land), ("taxNotice", "Done", Keys.Tax), ("communeConfirm", "Done", Keys.Commune), ("payment", "Paid", Keys.Counter), ("prepare", "Done", Keys.Land), ("sign", "Done", Keys.Commune)),
        };

        // v2 changes a limit; v3 renames the commune step, adds a legal review and removes updateRecords.
        var v2 = await GetDefinitionAsync(App, Land);
        SetInput(v2, "check", "timeLimitDays", 4m, "Decimal");
        await PublishAsync(App, v2);
        var v3 = await GetDefinitionAsync(App, Land);
        RenameActivity(v3, "communeConfirm", "communeReview");
        InsertStepAfter(v3, "prepare", "Done", "legalReview", "Legal review", "VPDKDD-BINHSON", "land-registrar", 1m);
        RemoveStep(v3, "updateRecords");
        (await PublishAsync(App, v3)).Should().Be(3);

        using var admin = App.ClientFor(Keys.Admin);
        var created = await admin.PostAsJsonAsync("/api/migrations", new
        {
            procedureCode = Land,
            sourceVersions = new[] { 1 },
            targetVersion = 3,
            mapping = new Dictionary<string, string> { ["communeConfirm"] = "communeReview", ["payment"] = "legalReview" },
            timePolicy = "KeepElapsed",
        });
        created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var planId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var dry = JsonNode.Parse(await (await admin.PostAsync($"/api/migrations/{planId}/dry-run", null)).Content.ReadAsStringAsync())!;
        var verdicts = dry["items"]!.AsArray().ToDictionary(i => i!["dossierId"]!.GetValue<string>(), i => i!);
        string Verdict(string position) => verdicts[at[position]["id"]!.GetValue<string>()]["summary"]!.GetValue<string>();
        Verdict("check").Should().Be("migrates: task check → check");
        Verdict("halfJoined").Should().Be("migrates: task communeConfirm → communeReview");
        Verdict("fork").Should().Contain("communeConfirm → communeReview").And.Contain("taxNotice → taxNotice");
        Verdict("sign").Should().Be("migrates: task sign → sign");
        Verdict("payment").Should().StartWith("blocked:").And.Contain("incompatible");
        Verdict("updateRecords").Should().StartWith("blocked:").And.Contain("'updateRecords'").And.Contain("no mapping");
        dry["counts"]!["migrated"]!.GetValue<int>().Should().Be(4);
        dry["counts"]!["blocked"]!.GetValue<int>().Should().Be(2);
        (await GetAsync(App, at["check"]["id"]!.GetValue<string>()))["procedure"]!["version"]!.GetValue<int>().Should().Be(1, "a dry run changes nothing");

        var run = await ExecuteMigrationAsync(admin, planId);
        run["results"]!.AsArray().Where(r => r!["outcome"]!.GetValue<string>() == "Blocked").Should().HaveCount(2)
            .And.OnlyContain(r => r!["reasons"]!.AsArray().Count > 0);
        (run["counts"]!["migrated"]!.GetValue<int>(), run["counts"]!["blocked"]!.GetValue<int>()).Should().Be((4, 2));

        foreach (var (position, before) in at)
        {
            var now = await GetAsync(App, before["id"]!.GetValue<string>());
            var blocked = position is "payment" or "updateRecords";
            now["procedure"]!["version"]!.GetValue<int>().Should().Be(blocked ? 1 : 3, position);
            now["currentTasks"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).Should().BeEquivalentTo(
                before["currentTasks"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()), "task ids survive a move, so inboxes stay valid");
            var moves = now["journal"]!.AsArray().Where(j => j!["type"]!.GetValue<string>() == "DossierMigrated").ToList();
            moves.Should().HaveCount(blocked ? 0 : 1);
            if (!blocked)
            {
                moves[0]!["actor"]!.GetValue<string>().Should().Be("admin");
                (moves[0]!["data"]!["fromVersion"]!.GetValue<int>(), moves[0]!["data"]!["toVersion"]!.GetValue<int>()).Should().Be((1, 3));
                moves[0]!["data"]!["moves"]!.AsArray().Should().NotBeEmpty();
            }

            // Every dossier, moved or blocked, still runs to the end.
            for (var guard = 0; now["currentTasks"]!.AsArray().Count > 0; guard++)
            {
                guard.Should().BeLessThan(20);
                now = await Clerks.AdvanceAsync(App, now);
            }

            National(now).Should().Be(10, position);
            var completed = now["journal"]!.AsArray().Where(j => j!["type"]!.GetValue<string>() == "TaskCompleted")
                .GroupBy(j => j!["activityId"]!.GetValue<string>()).Where(g => g.Count() > 1).Select(g => g.Key);
            completed.Should().BeEmpty($"no completed step runs again ({position})");
            if (!blocked)
            {
                now["journal"]!.AsArray().Should().NotContain(j => j!["activityId"] != null && j["activityId"]!.GetValue<string>() == "updateRecords" && j["type"]!.GetValue<string>() == "TaskCreated" && position != "updateRecords");
            }
        }

        var again = await ExecuteMigrationAsync(admin, planId);
        (again["counts"]!["migrated"]!.GetValue<int>(), again["counts"]!["alreadyMigrated"]!.GetValue<int>()).Should().Be((0, 4), "re-running skips dossiers already moved");
        again["counts"]!["closedMeanwhile"]!.GetValue<int>().Should().Be(2, "the two blocked dossiers were run to the end since, and are counted, not moved");
        var status = JsonNode.Parse(await admin.GetStringAsync($"/api/migrations/{planId}"))!;
        status["results"]!.AsArray().Count(r => r!["outcome"]!.GetValue<string>() == "Migrated").Should().Be(4);
    }

    [Fact]
    public async Task A_plan_naming_activities_that_do_not_exist_is_refused_with_400()
    {
        var v2 = await GetDefinitionAsync(App, Land);
        await PublishAsync(App, v2);
        using var admin = App.ClientFor(Keys.Admin);

        var response = await admin.PostAsJsonAsync("/api/migrations", new
        {
            procedureCode = Land,
            sourceVersions = new[] { 1 },
            targetVersion = 2,
            mapping = new Dictionary<string, string> { ["check"] = "nowhere", ["ghost"] = "check" },
        });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var text = await response.Content.ReadAsStringAsync();
        text.Should().Contain("'nowhere'").And.Contain("'ghost'");
    }

    [Fact]
    public async Task A_clerk_cannot_plan_a_migration()
    {
        using var clerk = App.ClientFor(Keys.Land);
        (await clerk.PostAsJsonAsync("/api/migrations", new { procedureCode = Land })).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_migration_running_while_clerks_complete_the_same_dossiers_loses_no_completion()
    {
        var dossiers = new List<JsonObject>();
        for (var i = 0; i < 40; i++)
        {
            dossiers.Add(await ReceiveAsync(App, Land));
        }

        var v2 = await GetDefinitionAsync(App, Land);
        SetInput(v2, "check", "timeLimitDays", 5m, "Decimal");
        await PublishAsync(App, v2);
        using var admin = App.ClientFor(Keys.Admin);
        var plan = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/migrations", new { procedureCode = Land, sourceVersions = new[] { 1 }, targetVersion = 2 }))
            .Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        var conflicts = 0;
        async Task ClerkCompletesCheck(JsonObject dossier)
        {
            var task = OpenTask(dossier, "check")["id"]!.GetValue<string>();
            var version = dossier["version"]!.GetValue<int>();
            while (true)
            {
                var response = await CompleteRawAsync(App, Keys.Land, task, "Done", version, Guid.NewGuid().ToString());
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                response.StatusCode.Should().Be(HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
                Interlocked.Increment(ref conflicts);
                version = (await GetAsync(App, dossier["id"]!.GetValue<string>()))["version"]!.GetValue<int>();
            }
        }

        var migration = ExecuteMigrationAsync(admin, plan);
        await Task.WhenAll(dossiers.Select(ClerkCompletesCheck).Append(migration));
        (await migration)["counts"]!["migrated"]!.GetValue<int>().Should().Be(dossiers.Count);

        foreach (var dossier in dossiers)
        {
            var now = await GetAsync(App, dossier["id"]!.GetValue<string>());
            now["procedure"]!["version"]!.GetValue<int>().Should().Be(2);
            var journal = now["journal"]!.AsArray();
            journal.Count(j => j!["type"]!.GetValue<string>() == "TaskCompleted").Should().Be(1, "the clerk's completion is kept exactly once");
            OpenActivities(now).Should().Be("communeConfirm,taxNotice");

            // The migration moved whatever was open at that moment, never an older picture of it.
            var move = journal.Single(j => j!["type"]!.GetValue<string>() == "DossierMigrated")!;
            var completedBefore = journal.Single(j => j!["type"]!.GetValue<string>() == "TaskCompleted")!["sequence"]!.GetValue<int>() < move["sequence"]!.GetValue<int>();
            move["data"]!["moves"]!.AsArray().Select(m => m!["from"]!.GetValue<string>()).Order()
                .Should().Equal(completedBefore ? ["communeConfirm", "taxNotice"] : ["check"]);
        }
    }

    private async Task<JsonObject> Advance(JsonObject dossier, params (string Activity, string Outcome, string Key)[] steps)
    {
        foreach (var (activity, outcome, key) in steps)
        {
            dossier = await CompleteAsync(App, dossier, activity, outcome, key);
        }

        return dossier;
    }
}
