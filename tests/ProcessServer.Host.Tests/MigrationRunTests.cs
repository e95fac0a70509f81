using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.DefinitionEdits;

namespace ProcessServer.Host.Tests;

/// <summary>A migration run lives in the background and in the store, not in the administrator's request.</summary>
public sealed class MigrationRunTests : ServerTest
{
    private const string Birth = "birth-registration";

    [Fact]
    public async Task A_run_stopped_by_a_fault_refuses_a_second_execute_resumes_after_a_restart_and_counts_a_dossier_closed_meanwhile()
    {
        var crash = new JournalWriteInterceptor();
        App.With(crash);
        var dossiers = new List<JsonObject>();
        for (var i = 0; i < 6; i++)
        {
            dossiers.Add(await ReceiveAsync(App, Birth));
        }

        var v2 = await GetDefinitionAsync(App, Birth);
        SetInput(v2, "register", "timeLimitDays", 0.5m, "Decimal");
        await PublishAsync(App, v2);
        string plan;
        using (var admin = App.ClientFor(Keys.Admin))
        {
            plan = JsonNode.Parse(await (await admin.PostAsJsonAsync("/api/migrations", new { procedureCode = Birth, sourceVersions = new[] { 1 }, targetVersion = 2 }))
                .Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

            crash.Armed = true;
            var started = await admin.PostAsync($"/api/migrations/{plan}/execute", null);
            started.StatusCode.Should().Be(HttpStatusCode.Accepted);
            var running = JsonNode.Parse(await started.Content.ReadAsStringAsync())!;
            (running["status"]!.GetValue<string>(), running["counts"]!["candidates"]!.GetValue<int>(), running["counts"]!["pending"]!.GetValue<int>())
                .Should().Be(("Running", 6, 6));

            // The first move hits a simulated fault: the run stops, its plan stays Running with every dossier pending.
            await crash.FiredAsync();
            var stopped = JsonNode.Parse(await admin.GetStringAsync($"/api/migrations/{plan}"))!;
            (stopped["status"]!.GetValue<string>(), stopped["counts"]!["pending"]!.GetValue<int>(), stopped["counts"]!["migrated"]!.GetValue<int>())
                .Should().Be(("Running", 6, 0), "a failed move writes nothing, neither the dossier nor its result");

            var second = await admin.PostAsync($"/api/migrations/{plan}/execute", null);
            second.StatusCode.Should().Be(HttpStatusCode.Conflict, "one run per plan at a time");
            (await second.Content.ReadAsStringAsync()).Should().Contain("already running");
        }

        // A clerk finishes one dossier while the run is stopped.
        var closed = dossiers[0];
        foreach (var (activity, key) in new[] { ("register", Keys.Commune), ("sign", Keys.Commune), ("returnResult", Keys.Counter) })
        {
            closed = await CompleteAsync(App, closed, activity, "Done", key);
        }

        National(closed).Should().Be(10);

        Restart();
        using (var admin = App.ClientFor(Keys.Admin))
        {
            var done = await AwaitMigrationAsync(admin, plan);
            var counts = done["counts"]!;
            (counts["candidates"]!.GetValue<int>(), counts["migrated"]!.GetValue<int>(), counts["blocked"]!.GetValue<int>(),
                    counts["alreadyMigrated"]!.GetValue<int>(), counts["closedMeanwhile"]!.GetValue<int>(), counts["pending"]!.GetValue<int>())
                .Should().Be((6, 5, 0, 0, 1, 0), "candidates = migrated + blocked + already migrated + closed meanwhile");
            done["results"]!.AsArray().Single(r => r!["dossierId"]!.GetValue<string>() == closed["id"]!.GetValue<string>())!["outcome"]!
                .GetValue<string>().Should().Be("Closed");
        }

        foreach (var dossier in dossiers.Skip(1))
        {
            var now = await GetAsync(App, dossier["id"]!.GetValue<string>());
            now["procedure"]!["version"]!.GetValue<int>().Should().Be(2);
            now["journal"]!.AsArray().Count(j => j!["type"]!.GetValue<string>() == "DossierMigrated").Should().Be(1, "resuming never moves a dossier twice");
        }

        (await GetAsync(App, closed["id"]!.GetValue<string>()))["procedure"]!["version"]!.GetValue<int>().Should().Be(1);
    }
}
