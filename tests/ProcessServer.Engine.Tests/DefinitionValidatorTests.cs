using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Tests.Support;
using Xunit;

namespace ProcessServer.Engine.Tests;

/// <summary>The one validation place: refusals (never stored), errors (never published), warnings.</summary>
public class DefinitionValidatorTests
{
    private static DefinitionReport Validate(JsonObject definition, DefinitionLimits? limits = null) =>
        new DefinitionValidator(limits).Validate(WorkflowDefinitionDocument.FromJson((JsonObject)definition.DeepClone()));

    private static DefinitionError Refusal(JsonObject definition, DefinitionLimits? limits = null)
    {
        var report = Validate(definition, limits);
        report.CanStore.Should().BeFalse();
        return report.Refusals.Should().ContainSingle().Subject;
    }

    private static DefinitionError Error(JsonObject definition, string activityId)
    {
        var report = Validate(definition);
        report.CanStore.Should().BeTrue(string.Join("; ", report.Refusals.Select(r => r.Message)));
        report.CanPublish.Should().BeFalse();
        return report.Errors.Should().ContainSingle(e => e.ActivityId == activityId, string.Join("; ", report.Errors.Select(r => r.Message))).Subject;
    }

    [Theory]
    [InlineData(Samples.Land)]
    [InlineData(Samples.Birth)]
    [InlineData(Samples.Liaison)]
    public void The_sample_procedures_can_be_published_without_errors_or_warnings(string sample)
    {
        var report = Validate(Samples.Json(sample));

        report.Refusals.Should().BeEmpty();
        report.Errors.Should().BeEmpty();
        report.Warnings.Should().BeEmpty();
        report.CanPublish.Should().BeTrue();
    }

    [Fact]
    public void A_duplicate_outcome_is_refused_naming_the_step_by_its_title()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("allowedOutcomes", "String[]", new JsonArray("Done", "Reject", "Done"));

        var refusal = Refusal(json);

        refusal.ActivityId.Should().Be("register");
        refusal.Field.Should().Be("root.activities[1].allowedOutcomes.expression.value");
        refusal.Message.Should().Contain("step 'Enter in civil-status register").And.Contain("'Done' twice").And.Contain("remove the duplicate");
    }

    [Fact]
    public void A_duplicate_outcome_written_the_Studio_way_is_refused_too()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetStudioInput("allowedOutcomes", "String[]", "[\"Done\",\"Done\"]", "Object");

        Refusal(json).Message.Should().Contain("'Done' twice");
    }

    [Fact]
    public void Duplicate_variable_names_are_refused()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"]!.AsArray().Add(json["variables"]![0]!.DeepClone());

        var refusal = Refusal(json);
        refusal.Field.Should().Be("variables[1].name");
        refusal.Message.Should().Contain("'hasFinancialObligation' is declared twice");
    }

    [Fact]
    public void A_variable_default_that_overflows_its_Int32_type_is_refused()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"]!.AsArray().Add(new JsonObject { ["name"] = "plots", ["typeName"] = "Int32", ["value"] = 3_000_000_000L });

        Refusal(json).Message.Should().Contain("'plots'").And.Contain("out of range for Int32");
    }

    [Theory]
    [InlineData("name", "5", "name must be text")]
    [InlineData("description", "[1]", "description must be text")]
    [InlineData("definitionId", "{\"a\":1}", "definitionId must be text")]
    [InlineData("variables", "{}", "variables must be a list")]
    public void A_top_level_field_of_the_wrong_JSON_kind_is_refused(string field, string value, string message)
    {
        var json = Samples.Json(Samples.Birth);
        json[field] = JsonNode.Parse(value);

        var refusal = Refusal(json);
        refusal.Field.Should().Be(field);
        refusal.Message.Should().Contain(message);
    }

    [Theory]
    [InlineData("timeLimitDays", "{\"x\":1}", "Time limit (working days) must be a number")]
    [InlineData("timeLimitDays", "\"half a day\"", "must be a number such as 5 or 0.5")]
    [InlineData("timeLimitDays", "1e400", "1e400 is too large")]
    [InlineData("title", "[\"a\"]", "Title must be text")]
    [InlineData("pausesClock", "\"sometimes\"", "Outside the time limit must be true or false")]
    [InlineData("allowedOutcomes", "[1, 2]", "must list names as text")]
    public void A_step_input_of_the_wrong_JSON_kind_is_refused_naming_the_step_and_the_field(string input, string value, string message)
    {
        var json = Samples.Json(Samples.Birth);
        var register = json.Activity("register");
        register[input] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = JsonNode.Parse(value) } };

        var refusal = Refusal(json);
        refusal.ActivityId.Should().Be("register");
        refusal.Message.Should().StartWith("step '").And.Contain("('register'): ").And.Contain(message);
    }

    [Fact]
    public void An_expression_type_that_is_not_text_is_refused_instead_of_throwing()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register")["title"] = JsonNode.Parse("{\"typeName\":\"String\",\"expression\":{\"type\":5,\"value\":\"x\"}}");

        Refusal(json).Message.Should().Contain("Title must be written as");
    }

    [Fact]
    public void Text_that_is_not_valid_Unicode_is_refused_naming_where_it_is()
    {
        var json = JsonNode.Parse(Samples.Text(Samples.Birth).Replace("\"Đăng ký", "\"Đăng \\ud800ký", StringComparison.Ordinal))!.AsObject();

        var refusal = Refusal(json);
        refusal.Message.Should().Contain("not valid Unicode");
        refusal.Field.Should().Be("name");
    }

    [Fact]
    public void Activity_and_connection_fields_of_the_wrong_kind_are_refused()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register")["id"] = 12;
        Refusal(json).Field.Should().Be("root.activities[1].id");

        json = Samples.Json(Samples.Birth);
        json.Connections()[0]!["source"]!["activity"] = new JsonArray();
        Refusal(json).Field.Should().Be("root.connections[0].source");
    }

    [Fact]
    public void Each_limit_is_enforced_naming_the_field()
    {
        var json = Samples.Json(Samples.Birth);
        json["name"] = new string('n', 11);
        Refusal(json, new DefinitionLimits { MaxNameChars = 10 }).Field.Should().Be("name");

        json = Samples.Json(Samples.Birth);
        json["description"] = new string('d', 11);
        Refusal(json, new DefinitionLimits { MaxDescriptionChars = 10 }).Field.Should().Be("description");

        json = Samples.Json(Samples.Birth);
        json.Activity("register")["name"] = new string('a', 201);
        Refusal(json, new DefinitionLimits { MaxActivityNameChars = 200 }).Field.Should().Be("root.activities[1].name");

        json = Samples.Json(Samples.Land);
        json["variables"]![0]!["value"] = new string('v', 20);
        Refusal(json, new DefinitionLimits { MaxVariableValueChars = 10 }).Field.Should().Be("variables[0].value");

        json = Samples.Json(Samples.Birth);
        json["padding"] = new string('p', 200_000);
        Refusal(json, new DefinitionLimits { MaxDefinitionChars = 200_000 }).Message.Should().Contain("the limit is 200,000");
    }

    [Fact]
    public void A_receipt_without_a_total_time_limit_cannot_be_published()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("receive").Remove("timeLimitDays");
        json.Activity("receive").Remove("sameDay");

        Error(json, "receive").Message.Should().Contain("no total time limit").And.Contain("Total time limit (working days)");
    }

    [Fact]
    public void A_cleared_step_limit_cannot_be_published_instead_of_becoming_one_day()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetStudioInput("timeLimitDays", "Decimal", "");

        Error(json, "register").Message.Should().Contain("step 'Enter in civil-status register").And.Contain("time limit is empty");
    }

    [Fact]
    public void A_procedure_without_Result_ready_cannot_be_published()
    {
        var json = Samples.Json(Samples.Birth);
        var before = json.Connections().OfType<JsonObject>().Single(c => c["target"]!["activity"]!.ToString() == "resultReady")!;
        var source = before["source"]!["activity"]!.ToString();
        json.RemoveActivity("resultReady");
        json.AddConnection(source, Outcomes.Done, "returnResult");

        var report = Validate(json);
        report.CanPublish.Should().BeFalse();
        report.Errors.Select(e => e.Message).Should().Contain(m => m.Contains("no 'ProcessServer.ResultReady' (Result ready)", StringComparison.Ordinal))
            .And.Contain(m => m.Contains("can be reached without passing 'Result ready'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_decision_branch_connected_to_nothing_cannot_be_published()
    {
        var json = Samples.Json(Samples.Land);
        json.RemoveConnection("decision", "True");

        Error(json, "decision").Message.Should().Contain("outcome 'True' is connected to nothing").And.Contain("national status 8").And.Contain("Finish");
    }

    [Fact]
    public void An_unconnected_step_cannot_be_published_but_can_be_saved_as_a_draft()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activities().Add(new JsonObject { ["id"] = "orphan", ["type"] = ActivityCatalog.Step, ["version"] = 1 });
        json.Activity("orphan").SetInput("title", "String", "Archive the file");

        var report = Validate(json);
        report.CanStore.Should().BeTrue();
        report.Errors.Should().Contain(e => e.ActivityId == "orphan" && e.Message.Contains("step 'Archive the file' ('orphan') has no connection leading to it", StringComparison.Ordinal));
    }

    [Fact]
    public void A_loop_without_a_person_cannot_be_published()
    {
        var json = Samples.Json(Samples.Land);
        json.RemoveConnection("decision", "False");
        json.AddConnection("decision", "False", "join");

        Validate(json).Errors.Should().Contain(e => e.Message.Contains("loop without any step for a person", StringComparison.Ordinal));
    }

    [Fact]
    public void A_condition_comparing_a_number_with_text_cannot_be_published_and_says_where()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"]!.AsArray().Add(new JsonObject { ["name"] = "area", ["typeName"] = "Decimal", ["value"] = 0 });
        json.Activity("decision").SetInput("condition", "Boolean", "area > '500' && hasFinancialObligation");

        Error(json, "decision").Message.Should().Contain("position 6").And.Contain("write numbers without quotes");
    }

    [Fact]
    public void A_step_limit_longer_than_the_procedure_is_a_warning_not_an_error()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("timeLimitDays", "Decimal", 3);

        var report = Validate(json);
        report.CanPublish.Should().BeTrue();
        report.Warnings.Should().ContainSingle().Which.Message.Should().Contain("longer than the procedure's");
    }

    [Fact]
    public void Validation_of_ten_thousand_activities_with_ten_thousand_broken_connections_finishes_and_reports_them()
    {
        var json = new FlowchartBuilder().Receive().Build();
        for (var i = 0; i < 10_000; i++)
        {
            json.Activities().Add(new JsonObject { ["id"] = $"s{i}", ["type"] = ActivityCatalog.Step, ["version"] = 1 });
            json.AddConnection($"s{i}", Outcomes.Done, $"missing{i}");
        }

        var report = Validate(json);

        report.Errors.Count(e => e.Message.Contains("does not exist", StringComparison.Ordinal)).Should().Be(10_000);
    }
}
