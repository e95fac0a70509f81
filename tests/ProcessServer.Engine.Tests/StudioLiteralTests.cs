using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Tests.Support;
using Xunit;
using static ProcessServer.Engine.Tests.Support.DossierRun;

namespace ProcessServer.Engine.Tests;

/// <summary>
/// Elsa Studio writes every edited literal back as a string ("7", "True", "[\"Done\"]") and adds
/// memoryReference: null; the engine reads them with the input's declared type.
/// </summary>
public class StudioLiteralTests
{
    [Fact]
    public void Studio_string_literals_are_read_with_their_declared_types()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("receive")
            .SetStudioInput("timeLimitDays", "Decimal", "1.5")
            .SetStudioInput("sameDay", "Boolean", "False")
            .SetStudioInput("pausePolicy", "String", "restart");
        json.Activity("register")
            .SetStudioInput("timeLimitDays", "Decimal", "7")
            .SetStudioInput("pausesClock", "Boolean", "True")
            .SetStudioInput("allowedOutcomes", "String[]", "[\"Done\",\"Reject\"]");

        var workflow = Samples.Compile(json);

        workflow.Settings.Should().BeEquivalentTo(new { TimeLimitDays = 1.5m, SameDay = false, PausePolicy = PausePolicy.Restart });
        var register = workflow.Activities["register"];
        register.Task!.TimeLimitDays.Should().Be(7m);
        register.Task.PausesClock.Should().BeTrue();
        register.Task.AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.Reject);
        register.Ports.Should().Equal(Outcomes.Done, Outcomes.Reject);

        var run = Start(workflow);
        run.Task("register").Should().BeEquivalentTo(new { TimeLimitDays = 7m, PausesClock = true });
        run.Task("register").AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.Reject);
    }

    [Theory]
    [InlineData("Literal", "[\"Done\",\"ReturnForRework\"]")]
    [InlineData("Object", "[\"Done\",\"ReturnForRework\"]")]
    [InlineData("Literal", "Done, ReturnForRework")]
    [InlineData("Literal", "Done;ReturnForRework;Done")]
    public void Allowed_outcomes_are_read_from_any_list_text_the_Studio_writes(string expressionType, string text)
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("sign").SetStudioInput("allowedOutcomes", "String[]", text, expressionType);

        Samples.Compile(json).Activities["sign"].Task!.AllowedOutcomes.Should().Equal(Outcomes.Done, Outcomes.ReturnForRework);
    }

    [Fact]
    public void Raw_unwrapped_input_values_are_read_too()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register")["timeLimitDays"] = 0.5m;
        json.Activity("register")["role"] = "registrar";

        var task = Samples.Compile(json).Activities["register"].Task!;

        task.TimeLimitDays.Should().Be(0.5m);
        task.Role.Should().Be("registrar");
    }

    [Fact]
    public void Empty_studio_literal_means_the_input_default()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register")
            .SetStudioInput("timeLimitDays", "Decimal", "")
            .SetStudioInput("handlingUnit", "String", "  ");

        var task = Samples.Compile(json).Activities["register"].Task!;

        task.TimeLimitDays.Should().Be(1m);
        task.HandlingUnit.Should().BeNull();
    }

    [Fact]
    public void Fork_branches_written_as_a_string_are_read_as_a_list()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("fork").SetStudioInput("branches", "String[]", "[\"Residence\",\"Insurance\"]");

        Samples.Compile(json).Activities["fork"].Ports.Should().Equal("Residence", "Insurance");
    }

    [Fact]
    public void Boolean_variable_declared_with_a_string_value_drives_the_decision()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"]![0]!["value"] = "False";
        var run = Start(Samples.Compile(json));

        run.State.Variables["hasFinancialObligation"]!.GetValueKind().Should().Be(JsonValueKind.False);
        run.Complete("check");
        run.Complete("communeConfirm");
        run.Complete("taxNotice");

        run.ShouldBe(DossierStatus.InProgress, 4, At("prepare", Units.LandOffice, Roles.LandRegistrar));
    }

    [Theory]
    [InlineData("Int32", "7", "7")]
    [InlineData("Decimal", "0.25", "0.25")]
    [InlineData("Boolean", "True", "true")]
    [InlineData("String", " khai-sinh ", "\"khai-sinh\"")]
    [InlineData("Object", "{\"a\":1}", "{\"a\":1}")]
    public void SetVariable_studio_literal_is_stored_with_the_variable_type(string typeName, string literal, string expectedJson)
    {
        var json = Samples.Json(Samples.Liaison);
        json["variables"]![0]!["typeName"] = typeName;
        json["variables"]![0]!["value"] = null;
        json.Activity("setGroup").SetStudioInput("value", "Object", literal);

        var run = Start(Samples.Compile(json));

        run.State.Variables["liaisonGroup"]!.ToJsonString().Should().Be(expectedJson);
    }

    [Fact]
    public void SetVariable_referring_to_the_variable_by_name_only_compiles()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("setGroup")["variable"] = "liaisonGroup";

        Samples.Compile(json).Activities["setGroup"].VariableName.Should().Be("liaisonGroup");
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("\"True\"", true)]
    [InlineData("\" false \"", false)]
    public void Clerk_data_for_a_Boolean_variable_accepts_JSON_and_strings(string value, bool expected)
    {
        var run = Start(Samples.Compile(Samples.Land));
        run.Complete("check");

        run.Complete("taxNotice", data: new Dictionary<string, JsonNode?> { ["hasFinancialObligation"] = JsonNode.Parse(value) });

        run.State.Variables["hasFinancialObligation"]!.GetValueKind().Should().Be(expected ? JsonValueKind.True : JsonValueKind.False);
    }
}
