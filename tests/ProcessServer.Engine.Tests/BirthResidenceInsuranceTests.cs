using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;
using static ProcessServer.Engine.Tests.Support.DossierRun;

namespace ProcessServer.Engine.Tests;

public class BirthResidenceInsuranceTests
{
    private static readonly CompiledWorkflow Liaison = Samples.Compile(Samples.Liaison);

    private static readonly string RegisterBirth = At("registerBirth", Units.Commune, Roles.CivilStatusOfficer);
    private static readonly string Residence = At("residence", Units.Police, Roles.PoliceOfficer);
    private static readonly string Insurance = At("insurance", Units.SocialInsurance, Roles.InsuranceOfficer);
    private static readonly string ReturnResult = At("returnResult", Units.Counter, Roles.CounterClerk);

    [Fact]
    public void Liaison_dossier_walks_birth_then_parallel_residence_and_insurance_and_ends_returned()
    {
        var run = Start(Liaison);
        run.ShouldBe(DossierStatus.Received, 2, RegisterBirth);

        run.Complete("registerBirth");
        run.ShouldBe(DossierStatus.InProgress, 4, Residence, Insurance);

        run.Complete("residence");
        run.ShouldBe(DossierStatus.InProgress, 4, Insurance);

        run.Complete("insurance");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);

        run.Complete("returnResult");
        run.ShouldBe(DossierStatus.Returned, 10);
        run.CreatedActivities.Should().Equal("registerBirth", "residence", "insurance", "returnResult");
    }

    [Fact]
    public void Liaison_receipt_sets_the_liaison_group_variable()
    {
        var run = Start(Liaison);

        run.State.Variables["liaisonGroup"]!.GetValue<string>().Should().Be("khai-sinh-thuong-tru-bhyt");
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.VariableSet)
            .Which.Data!["liaisonGroup"]!.GetValue<string>().Should().Be("khai-sinh-thuong-tru-bhyt");
    }

    [Theory]
    [InlineData("residence", "insurance")]
    [InlineData("insurance", "residence")]
    public void Liaison_join_waits_for_both_agencies_in_either_order(string first, string second)
    {
        var run = Start(Liaison);
        run.Complete("registerBirth");

        run.Complete(first);
        run.ShouldBe(DossierStatus.InProgress, 4, second == "residence" ? Residence : Insurance);

        run.Complete(second);
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);
    }

    [Fact]
    public void Liaison_residence_supplement_pauses_only_the_police_branch()
    {
        var run = Start(Liaison);
        run.Complete("registerBirth");

        run.Complete("residence", Outcomes.RequestSupplement);
        run.ShouldBe(DossierStatus.AwaitingSupplement, 5, Residence, Insurance);
        run.Task("residence").CurrentOutcomes.Should().Equal(Outcomes.SupplementReceived);

        run.Complete("insurance");
        run.ShouldBe(DossierStatus.AwaitingSupplement, 5, Residence);

        run.Complete("residence", Outcomes.SupplementReceived);
        run.ShouldBe(DossierStatus.InProgress, 4, Residence);

        run.Complete("residence");
        run.ShouldBe(DossierStatus.ResultReady, 9, ReturnResult);
    }

    [Fact]
    public void Liaison_birth_rejected_stops_before_any_agency_is_involved()
    {
        var run = Start(Liaison);

        run.Complete("registerBirth", Outcomes.Reject);

        run.ShouldBe(DossierStatus.Stopped, 8);
        run.CreatedActivities.Should().Equal("registerBirth");
    }

    [Fact]
    public void Reject_on_one_branch_stops_the_dossier_and_cancels_the_other_branch()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("insurance").SetInput("allowedOutcomes", "String[]", new System.Text.Json.Nodes.JsonArray("Done", "Reject"));
        var run = Start(Samples.Compile(json));
        run.Complete("registerBirth");
        var residence = run.Task("residence");

        run.Complete("insurance", Outcomes.Reject);

        run.ShouldBe(DossierStatus.Stopped, 8);
        run.State.Tasks.Should().BeEmpty();
        run.Last.ClosedTasks.Should().HaveCount(2);
        run.Last.ClosedTasks.Should().ContainSingle(c => c.Task.ActivityId == "insurance")
            .Which.Should().BeEquivalentTo(new { Cancelled = false, Outcome = Outcomes.Reject });
        run.Last.ClosedTasks.Should().ContainSingle(c => c.Task.Id == residence.Id)
            .Which.Should().BeEquivalentTo(new { Cancelled = true, Outcome = (string?)null });
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.TaskCancelled && e.TaskId == residence.Id);
        run.Last.Events.Should().ContainSingle(e => e.Type == JournalEventTypes.DossierStopped);
        run.Last.Events[^1].Type.Should().Be(JournalEventTypes.WorkflowFinished);
    }
}
