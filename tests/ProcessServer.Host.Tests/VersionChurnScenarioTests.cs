using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;
using static ProcessServer.Host.Tests.Support.DefinitionEdits;

namespace ProcessServer.Host.Tests;

/// <summary>
/// The field failure of Bình Sơn (DOMAIN.md §7 #1): a procedure re-published several times while
/// dossiers were in flight stranded them. Here 500 land dossiers sit at every step while the
/// procedure is edited and republished six times and clerks keep working; every dossier must
/// finish on the version it was received under, and each new dossier must start on the newest.
/// </summary>
public sealed class VersionChurnScenarioTests : ServerTest
{
    private const string Land = "land-first-certificate";

    [Fact]
    public async Task Five_hundred_land_dossiers_all_finish_on_their_own_version_through_six_republishes()
    {
        var random = new Random(20250303);
        var dossiers = new Dictionary<string, JsonObject>();
        var startedOn = new Dictionary<string, int>();

        // 500 dossiers on v1, spread over every step: each is advanced 0–8 steps.
        for (var i = 0; i < 500; i++)
        {
            var d = await ReceiveAsync(App, Land);
            for (var steps = i % 9; steps > 0 && d["currentTasks"]!.AsArray().Count > 0; steps--)
            {
                d = await Clerks.AdvanceAsync(App, d, random.Next(2));
            }

            dossiers[d["id"]!.GetValue<string>()] = d;
            startedOn[d["id"]!.GetValue<string>()] = 1;
        }

        dossiers.Values.Select(OpenActivities).Distinct().Should().Contain(
            ["check", "communeConfirm,taxNotice", "communeConfirm", "taxNotice", "payment", "prepare", "sign", "updateRecords", "returnResult", ""]);

        var edits = new Action<JsonObject>[]
        {
            // v2: time limits changed.
            d => { SetInput(d, "check", "timeLimitDays", 4m, "Decimal"); SetInput(d, "sign", "timeLimitDays", 2m, "Decimal"); },
            // v3: a step renamed (new id and title).
            d => { RenameActivity(d, "communeConfirm", "communeReview"); SetInput(d, "communeReview", "title", "Commune reviews land facts"); },
            // v4: a step added.
            d => InsertStepAfter(d, "prepare", "Done", "legalReview", "Legal review of the certificate", "VPDKDD-BINHSON", "land-registrar", 1.5m),
            // v5: a step removed.
            d => RemoveStep(d, "updateRecords"),
            // v6: steps re-ordered: legal review now comes before preparation.
            d =>
            {
                RemoveStep(d, "legalReview");
                foreach (var c in Connections(d).Where(c => c!["target"]!["activity"]!.GetValue<string>() == "prepare").ToList())
                {
                    c!["target"]!["activity"] = "legalReview";
                }

                Activities(d).Add(new JsonObject
                {
                    ["id"] = "legalReview", ["type"] = "ProcessServer.Step", ["version"] = 1,
                    ["title"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "Legal review first" } },
                    ["handlingUnit"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "VPDKDD-BINHSON" } },
                    ["role"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = "land-registrar" } },
                });
                Connections(d).Add(Connection("legalReview", "Done", "prepare"));
            },
            // v7: time limits and a unit changed again.
            d => { SetInput(d, "taxNotice", "timeLimitDays", 3m, "Decimal"); SetInput(d, "prepare", "timeLimitDays", 2.5m, "Decimal"); },
        };

        for (var edit = 0; edit < edits.Length; edit++)
        {
            var definition = await GetDefinitionAsync(App, Land);
            edits[edit](definition);
            var published = await PublishAsync(App, definition);
            published.Should().Be(edit + 2);

            // Clerks keep working on in-flight dossiers of every version.
            foreach (var id in dossiers.Keys.Where(k => dossiers[k]["currentTasks"]!.AsArray().Count > 0).OrderBy(_ => random.Next()).Take(120).ToList())
            {
                dossiers[id] = await Clerks.AdvanceAsync(App, dossiers[id], random.Next(2));
            }

            // New dossiers start on the newest version.
            for (var n = 0; n < 5; n++)
            {
                var fresh = await ReceiveAsync(App, Land);
                fresh["procedure"]!["version"]!.GetValue<int>().Should().Be(published);
                dossiers[fresh["id"]!.GetValue<string>()] = fresh;
                startedOn[fresh["id"]!.GetValue<string>()] = published;
            }
        }

        // Everything still open finishes.
        foreach (var id in dossiers.Keys.ToList())
        {
            for (var guard = 0; dossiers[id]["currentTasks"]!.AsArray().Count > 0; guard++)
            {
                guard.Should().BeLessThan(30, $"dossier {dossiers[id]["receiptCode"]} must not be stranded");
                dossiers[id] = await Clerks.AdvanceAsync(App, dossiers[id]);
            }
        }

        dossiers.Should().HaveCount(530);
        foreach (var (id, d) in dossiers)
        {
            National(d).Should().Be(10, $"dossier {d["receiptCode"]} must reach the returned result");
            d["procedure"]!["version"]!.GetValue<int>().Should().Be(startedOn[id], "a dossier finishes on the version it was received under");
        }

        await using var store = App.OpenStore();
        store.Tasks.Count(t => t.Status == "Pending" || t.Status == "AwaitingSupplement").Should().Be(0);
        store.Dossiers.GroupBy(d => d.DefinitionVersion).Select(g => g.Count()).ToList().Should().HaveCount(7);
        store.Journal.Count(j => j.Type == "DossierMigrated").Should().Be(0, "publishing never moves a dossier");
    }
}
