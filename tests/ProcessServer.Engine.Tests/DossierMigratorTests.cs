using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;

namespace ProcessServer.Engine.Tests;

/// <summary>The per-dossier migration rules, on the land sample.</summary>
public sealed class DossierMigratorTests
{
    private static readonly Dictionary<string, string> NoMapping = [];

    private static CompiledWorkflow LandWith(Action<JsonObject> edit, int version = 2)
    {
        var definition = Samples.Json(Samples.Land);
        definition["version"] = version;
        edit(definition);
        return Samples.Compile(definition);
    }

    [Fact]
    public void A_join_waiting_for_a_branch_no_open_task_reaches_blocks_the_dossier_as_an_orphaned_fork_branch()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        run.Complete("check");
        run.Complete("taxNotice");

        // v2 adds a survey branch into the join; the dossier's fork already ran, so nothing would ever feed it.
        var v2 = LandWith(d =>
        {
            d.Activities().Add(new JsonObject { ["id"] = "survey", ["type"] = "ProcessServer.Step", ["version"] = 1 });
            d.AddConnection("fork", "Survey", "survey");
            d.AddConnection("survey", "Done", "join");
            d.Activity("fork").SetInput("branches", "String[]", new JsonArray("Commune", "Tax", "Survey"));
        });

        var analysis = DossierMigrator.Analyze(v1, v2, run.State, NoMapping);

        analysis.CanMigrate.Should().BeFalse();
        analysis.BlockedReasons.Should().ContainSingle().Which.Should().Contain("orphaned").And.Contain("'survey'");
    }

    [Fact]
    public void A_dossier_still_before_the_fork_can_take_a_new_branch()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        var v2 = LandWith(d =>
        {
            d.Activities().Add(new JsonObject { ["id"] = "survey", ["type"] = "ProcessServer.Step", ["version"] = 1 });
            d.AddConnection("fork", "Survey", "survey");
            d.AddConnection("survey", "Done", "join");
            d.Activity("fork").SetInput("branches", "String[]", new JsonArray("Commune", "Tax", "Survey"));
        });

        DossierMigrator.Analyze(v1, v2, run.State, NoMapping).CanMigrate.Should().BeTrue();
    }

    [Fact]
    public void A_variable_the_target_decides_on_that_the_dossier_lacks_blocks_the_move()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        var v2 = LandWith(d =>
        {
            d["variables"]!.AsArray().Add(new JsonObject { ["id"] = "x", ["name"] = "isMountainous", ["typeName"] = "Boolean" });
            d.Activity("decision").SetInput("condition", "Boolean", "isMountainous");
        });

        var analysis = DossierMigrator.Analyze(v1, v2, run.State, NoMapping);

        analysis.BlockedReasons.Should().ContainSingle().Which.Should().Contain("'isMountainous'").And.Contain("absent");
    }

    [Fact]
    public void Applying_a_move_keeps_task_ids_and_elapsed_time_or_restarts_it_by_policy()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        var v2 = LandWith(d => d.Activity("check").SetInput("timeLimitDays", "Decimal", 7m));
        var analysis = DossierMigrator.Analyze(v1, v2, run.State, NoMapping);
        var later = run.Now.AddDays(2);

        var kept = DossierMigrator.Apply(v2, run.State, analysis, NoMapping, StepTimePolicy.KeepElapsed, later);
        var restarted = DossierMigrator.Apply(v2, run.State, analysis, NoMapping, StepTimePolicy.Restart, later);

        kept.Tasks.Single().Id.Should().Be(run.Task("check").Id);
        kept.Tasks.Single().TimeLimitDays.Should().Be(7m);
        kept.Tasks.Single().CreatedAt.Should().Be(run.Task("check").CreatedAt);
        restarted.Tasks.Single().CreatedAt.Should().Be(later);
        run.State.Tasks.Single().TimeLimitDays.Should().Be(3m, "the input state is not modified");
    }

    [Fact]
    public void Two_open_tasks_mapped_onto_one_activity_are_blocked()
    {
        var v1 = Samples.Compile(Samples.Land);
        var run = DossierRun.Start(v1);
        run.Complete("check");
        var v2 = LandWith(_ => { });

        var analysis = DossierMigrator.Analyze(v1, v2, run.State, new Dictionary<string, string> { ["taxNotice"] = "communeConfirm" });

        analysis.BlockedReasons.Should().Contain(r => r.Contains("would all land on 'communeConfirm'"));
    }
}
