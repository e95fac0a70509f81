using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Tests.Support;
using Xunit;

namespace ProcessServer.Engine.Tests;

public class SampleDefinitionsTests
{
    public static TheoryData<string> SampleNames => new(Samples.All);

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Sample_compiles_without_errors(string name)
    {
        var result = new WorkflowCompiler().Compile(WorkflowDefinitionDocument.Parse(Samples.Text(name)));

        result.Errors.Should().BeEmpty();
        result.Succeeded.Should().BeTrue();
        result.Workflow!.Document.DefinitionId.Should().Be(name);
        result.Workflow.Start.Id.Should().Be("receive");
    }

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Sample_has_the_Elsa_3_definition_shape(string name)
    {
        var json = Samples.Json(name);

        json["id"]!.ToString().Should().Be($"{name}-v1");
        json["definitionId"]!.ToString().Should().Be(name);
        json["version"]!.GetValue<int>().Should().Be(1);
        json["toolVersion"]!.ToString().Should().Be("3.8.0.0");
        json["isLatest"]!.GetValue<bool>().Should().BeTrue();
        json["isPublished"]!.GetValue<bool>().Should().BeTrue();
        json["materializerName"]!.ToString().Should().Be("Json");
        foreach (var list in new[] { "variables", "inputs", "outputs", "outcomes" })
        {
            json[list].Should().BeOfType<JsonArray>(list + " must be present");
        }

        json["options"].Should().BeOfType<JsonObject>().Which.Should().ContainKeys(
            "autoUpdateConsumingWorkflows", "activationStrategyType", "usableAsActivity",
            "activityCategory", "incidentStrategyType", "commitStrategyName");

        var root = json.Root();
        root["type"]!.ToString().Should().Be("Elsa.Flowchart");
        root["nodeId"]!.ToString().Should().Be("Workflow1:flowchart");

        foreach (var activity in json.Activities().OfType<JsonObject>())
        {
            var id = activity["id"]!.ToString();
            activity["nodeId"]!.ToString().Should().Be($"Workflow1:flowchart:{id}");
            activity["version"]!.GetValue<int>().Should().Be(1);
            activity["customProperties"]!["canStartWorkflow"]!.GetValue<bool>().Should().Be(id == "receive");
            activity["customProperties"]!["runAsynchronously"]!.GetValue<bool>().Should().BeFalse();
            var position = activity["metadata"]!["designer"]!["position"]!;
            (position["x"]!.GetValue<int>() % 260).Should().Be(0, $"activity '{id}' is laid out on the 260 px grid");
            activity["metadata"]!["designer"]!["size"]!["width"]!.GetValue<int>().Should().Be(200);
        }

        foreach (var connection in json.Connections().OfType<JsonObject>())
        {
            connection["target"]!["port"]!.ToString().Should().Be("In");
            connection["vertices"].Should().BeOfType<JsonArray>();
        }
    }

    [Theory]
    [InlineData(Samples.Land, "land", "1.012781", 20, false)]
    [InlineData(Samples.Birth, "civil-status", "1.001193", 1, true)]
    [InlineData(Samples.Liaison, "civil-status", null, 3, false)]
    public void Sample_receipt_carries_the_procedure_settings(string name, string field, string? nationalCode, int limit, bool sameDay)
    {
        var settings = Samples.Compile(name).Settings;

        settings.FieldCode.Should().Be(field);
        settings.NationalProcedureCode.Should().Be(nationalCode);
        settings.TimeLimitDays.Should().Be(limit);
        settings.SameDay.Should().Be(sameDay);
        settings.PausePolicy.Should().Be(PausePolicy.Resume);
    }

    [Fact]
    public void Land_steps_have_the_specified_units_roles_budgets_and_outcomes()
    {
        var tasks = Samples.Compile(Samples.Land).Activities.Values
            .Where(a => a.Task is not null)
            .ToDictionary(a => a.Id, a => a.Task!);

        tasks.Keys.Should().BeEquivalentTo("check", "communeConfirm", "taxNotice", "payment", "prepare", "sign", "updateRecords", "returnResult");
        tasks["check"].Should().BeEquivalentTo(new { HandlingUnit = Units.LandOffice, Role = Roles.LandRegistrar, TimeLimitDays = 3m, PausesClock = false });
        tasks["check"].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.RequestSupplement, Outcomes.Reject);
        tasks["communeConfirm"].Should().BeEquivalentTo(new { HandlingUnit = Units.Commune, Role = Roles.CadastralOfficer, TimeLimitDays = 5m });
        tasks["communeConfirm"].AllowedOutcomes.Should().Equal(Outcomes.Done);
        tasks["taxNotice"].Should().BeEquivalentTo(new { HandlingUnit = Units.Tax, Role = Roles.TaxOfficer, TimeLimitDays = 5m, PausesClock = true });
        tasks["payment"].Should().BeEquivalentTo(new { Kind = TaskKind.Payment, HandlingUnit = (string?)null, Role = Roles.CounterClerk, PausesClock = true });
        tasks["payment"].AllowedOutcomes.Should().Equal(Outcomes.Paid);
        tasks["prepare"].Should().BeEquivalentTo(new { HandlingUnit = Units.LandOffice, Role = Roles.LandRegistrar, TimeLimitDays = 3m });
        tasks["sign"].Should().BeEquivalentTo(new { HandlingUnit = Units.Commune, Role = Roles.Chairman, TimeLimitDays = 3m });
        tasks["sign"].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.ReturnForRework);
        tasks["updateRecords"].Should().BeEquivalentTo(new { HandlingUnit = Units.LandOffice, Role = Roles.LandRegistrar, TimeLimitDays = 1m });
        tasks["returnResult"].Should().BeEquivalentTo(new { Kind = TaskKind.ReturnResult, HandlingUnit = (string?)null, Role = Roles.CounterClerk });
    }

    [Fact]
    public void Birth_registration_steps_take_a_quarter_day_each()
    {
        var tasks = Samples.Compile(Samples.Birth).Activities.Values
            .Where(a => a.Task is not null)
            .ToDictionary(a => a.Id, a => a.Task!);

        tasks["register"].Should().BeEquivalentTo(new { HandlingUnit = Units.Commune, Role = Roles.CivilStatusOfficer, TimeLimitDays = 0.25m });
        tasks["register"].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.RequestSupplement, Outcomes.Reject);
        tasks["sign"].Should().BeEquivalentTo(new { HandlingUnit = Units.Commune, Role = Roles.Chairman, TimeLimitDays = 0.25m });
        tasks["sign"].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.ReturnForRework);
    }

    [Fact]
    public void Liaison_branches_go_to_police_and_social_insurance()
    {
        var workflow = Samples.Compile(Samples.Liaison);
        var tasks = workflow.Activities.Values.Where(a => a.Task is not null).ToDictionary(a => a.Id, a => a.Task!);

        workflow.Activities["fork"].Ports.Should().Equal("Residence", "Insurance");
        workflow.Activities["setGroup"].VariableName.Should().Be("liaisonGroup");
        workflow.Variables["liaisonGroup"].TypeName.Should().Be("String");
        tasks["registerBirth"].Should().BeEquivalentTo(new { HandlingUnit = Units.Commune, Role = Roles.CivilStatusOfficer, TimeLimitDays = 1m });
        tasks["residence"].Should().BeEquivalentTo(new { HandlingUnit = Units.Police, Role = Roles.PoliceOfficer, TimeLimitDays = 2m });
        tasks["residence"].AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.RequestSupplement);
        tasks["insurance"].Should().BeEquivalentTo(new { HandlingUnit = Units.SocialInsurance, Role = Roles.InsuranceOfficer, TimeLimitDays = 2m });
    }
}
