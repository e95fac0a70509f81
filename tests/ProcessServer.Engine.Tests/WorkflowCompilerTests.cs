using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Tests.Support;
using Xunit;

namespace ProcessServer.Engine.Tests;

public class WorkflowCompilerTests
{
    private static DefinitionError SingleErrorFor(JsonObject definition, string activityId)
    {
        var result = Samples.TryCompile(definition);
        result.Succeeded.Should().BeFalse();
        result.Workflow.Should().BeNull();
        var error = result.Errors.Should().ContainSingle(e => e.ActivityId == activityId).Subject;
        error.Message.Should().Contain($"'{activityId}'", "every message names the activity at fault");
        return error;
    }

    [Fact]
    public void Unknown_activity_type_is_rejected_naming_the_activity_and_the_known_types()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register")["type"] = "ProcessServer.Approve";

        var error = SingleErrorFor(json, "register");

        error.Message.Should().Contain("unknown type 'ProcessServer.Approve'").And.Contain(ActivityCatalog.Step);
        Samples.TryCompile(json).Errors.Should().NotContain(
            e => e.Message.Contains("does not exist", StringComparison.Ordinal),
            "connections to the broken activity are not reported again");
    }

    [Fact]
    public void Connection_to_a_missing_activity_is_rejected_naming_it()
    {
        var json = Samples.Json(Samples.Birth);
        json.AddConnection("resultReady", Outcomes.Done, "archive");

        var error = SingleErrorFor(json, "archive");

        error.Message.Should().Contain("from 'resultReady'").And.Contain("does not exist");
    }

    [Fact]
    public void Connection_from_a_missing_activity_is_rejected_naming_it()
    {
        var json = Samples.Json(Samples.Birth);
        json.AddConnection("archive", Outcomes.Done, "finish");

        SingleErrorFor(json, "archive").Message.Should().Contain("starts at activity 'archive'");
    }

    [Fact]
    public void Definition_without_a_ReceiveDossier_start_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.RemoveActivity("receive");

        var result = Samples.TryCompile(json);

        result.Succeeded.Should().BeFalse();
        result.Errors.Should().ContainSingle().Which.Message.Should().Contain("no start").And.Contain(ActivityCatalog.ReceiveDossier);
    }

    [Fact]
    public void Definition_with_two_starts_is_rejected_naming_the_second()
    {
        var json = Samples.Json(Samples.Birth);
        var second = json.Activity("receive").DeepClone().AsObject();
        second["id"] = "receiveOnline";
        json.Activities().Add(second);
        json.AddConnection("receiveOnline", Outcomes.Done, "register");

        SingleErrorFor(json, "receiveOnline").Message.Should().Contain("second start").And.Contain("'receive'");
    }

    [Fact]
    public void Connection_into_the_receipt_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.RemoveConnection("sign", Outcomes.ReturnForRework);
        json.AddConnection("sign", Outcomes.ReturnForRework, "receive");

        SingleErrorFor(json, "receive").Message.Should().Contain("incoming connection");
    }

    [Fact]
    public void Connection_from_a_port_that_is_not_an_outcome_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.AddConnection("register", "Approve", "sign");

        SingleErrorFor(json, "register").Message.Should().Contain("no outcome 'Approve'").And.Contain("Done, Reject");
    }

    [Fact]
    public void Connecting_RequestSupplement_is_rejected_because_it_pauses_in_place()
    {
        var json = Samples.Json(Samples.Birth);
        json.AddConnection("register", Outcomes.RequestSupplement, "returnResult");

        SingleErrorFor(json, "register").Message.Should().Contain("RequestSupplement pauses the step in place");
    }

    [Fact]
    public void Connection_from_a_fork_branch_that_is_not_declared_is_rejected()
    {
        var json = Samples.Json(Samples.Liaison);
        json.AddConnection("fork", "Tax", "join");

        SingleErrorFor(json, "fork").Message.Should().Contain("no branch 'Tax'").And.Contain("Residence, Insurance");
    }

    [Fact]
    public void Fork_without_named_branches_takes_its_branches_from_its_connections()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("fork").Remove("branches");

        Samples.Compile(json).Activities["fork"].Ports.Should().BeEquivalentTo("Residence", "Insurance");
    }

    [Fact]
    public void JavaScript_expression_input_is_rejected_naming_the_activity_and_input()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("sign").SetStudioInput("timeLimitDays", "Decimal", "return 0.25;", "JavaScript");

        var error = SingleErrorFor(json, "sign");

        error.Message.Should().Contain("'timeLimitDays'").And.Contain("'JavaScript' expression").And.Contain("Literal");
    }

    [Fact]
    public void JavaScript_decision_condition_is_rejected()
    {
        var json = Samples.Json(Samples.Land);
        json.Activity("decision").SetStudioInput("condition", "Boolean", "return getVariable('hasFinancialObligation');", "JavaScript");

        SingleErrorFor(json, "decision").Message.Should().Contain("JavaScript");
    }

    [Fact]
    public void Join_mode_WaitAny_is_rejected()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("join").SetInput("mode", "String", "WaitAny");

        SingleErrorFor(json, "join").Message.Should().Contain("'WaitAny' is not supported").And.Contain("WaitAll");
    }

    [Fact]
    public void ReturnForRework_allowed_but_not_connected_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.RemoveConnection("sign", Outcomes.ReturnForRework);

        SingleErrorFor(json, "sign").Message.Should().Contain("allows outcome 'ReturnForRework' but no connection leaves that port");
    }

    [Fact]
    public void Custom_outcome_allowed_but_not_connected_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("allowedOutcomes", "String[]", new JsonArray("Done", "Transfer"));

        SingleErrorFor(json, "register").Message.Should().Contain("'Transfer'");
    }

    [Fact]
    public void SupplementReceived_listed_as_an_allowed_outcome_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("allowedOutcomes", "String[]", new JsonArray("Done", "SupplementReceived"));

        SingleErrorFor(json, "register").Message.Should().Contain("'SupplementReceived' is built in");
    }

    [Fact]
    public void SetVariable_of_an_undeclared_variable_is_rejected()
    {
        var json = Samples.Json(Samples.Liaison);
        json["variables"] = new JsonArray();

        SingleErrorFor(json, "setGroup").Message.Should().Contain("variable 'liaisonGroup' is not declared");
    }

    [Fact]
    public void SetVariable_with_a_value_not_of_the_declared_type_is_rejected()
    {
        var json = Samples.Json(Samples.Liaison);
        json["variables"]![0]!["typeName"] = "Int32";
        json["variables"]![0]!["value"] = 0;

        SingleErrorFor(json, "setGroup").Message.Should().Contain("not a valid Int32");
    }

    [Fact]
    public void Decision_reading_an_undeclared_variable_is_rejected()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"] = new JsonArray();

        SingleErrorFor(json, "decision").Message.Should().Contain("'hasFinancialObligation' is not a declared variable").And.Contain("position 1");
    }

    [Fact]
    public void Decision_with_a_condition_outside_the_condition_language_is_rejected()
    {
        var json = Samples.Json(Samples.Land);
        json.Activity("decision").SetInput("condition", "Boolean", "hasFinancialObligation && (paid");

        SingleErrorFor(json, "decision").Message.Should().Contain("position 27").And.Contain("not closed");
    }

    [Fact]
    public void Negative_step_time_limit_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("timeLimitDays", "Decimal", -1);

        SingleErrorFor(json, "register").Message.Should().Contain("negative");
    }

    [Fact]
    public void Non_numeric_time_limit_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetStudioInput("timeLimitDays", "Decimal", "half a day");

        SingleErrorFor(json, "register").Message.Should().Contain("must be a number");
    }

    [Fact]
    public void Unknown_pause_policy_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("receive").SetInput("pausePolicy", "String", "Forget");

        SingleErrorFor(json, "receive").Message.Should().Contain("pause policy 'Forget' is unknown");
    }

    [Fact]
    public void Variable_whose_initial_value_does_not_fit_its_type_is_rejected()
    {
        var json = Samples.Json(Samples.Land);
        json["variables"]![0]!["value"] = "sometimes";

        var result = Samples.TryCompile(json);

        result.Errors.Should().ContainSingle().Which.Message.Should().Contain("variable 'hasFinancialObligation'").And.Contain("Boolean");
    }

    [Fact]
    public void Duplicate_activity_id_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activities().Add(json.Activity("sign").DeepClone());

        SingleErrorFor(json, "sign").Message.Should().Contain("appears twice");
    }

    [Theory]
    [InlineData("insurance", "join")]
    [InlineData("receive", "setGroup")]
    public void Connection_drawn_twice_is_rejected(string source, string target)
    {
        var json = Samples.Json(Samples.Liaison);
        json.AddConnection(source, Outcomes.Done, target);

        SingleErrorFor(json, source).Message.Should().Contain($"'{target}'").And.Contain("is drawn twice");
    }

    [Fact]
    public void Decision_with_a_JavaScript_style_comparison_reads_it_as_the_same_comparison()
    {
        var json = Samples.Json(Samples.Land);
        json.Activity("decision").SetInput("condition", "Boolean", "hasFinancialObligation === true");

        Samples.TryCompile(json).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void Root_that_is_not_a_flowchart_is_rejected()
    {
        var json = Samples.Json(Samples.Birth);
        json.Root()["type"] = "Elsa.Sequence";

        Samples.TryCompile(json).Errors.Should().ContainSingle().Which.Message.Should().Contain("Elsa.Flowchart");
    }

    [Fact]
    public void Every_problem_is_reported_in_one_pass()
    {
        var json = Samples.Json(Samples.Liaison);
        json.Activity("join").SetInput("mode", "String", "WaitAny");
        json.Activity("registerBirth")["type"] = "ProcessServer.Register";
        json.AddConnection("residence", "Escalate", "returnResult");

        var result = Samples.TryCompile(json);

        result.Errors.Select(e => e.ActivityId).Should().BeEquivalentTo("join", "registerBirth", "residence");
        var act = () => new WorkflowCompiler().CompileOrThrow(WorkflowDefinitionDocument.FromJson(json));
        var message = act.Should().Throw<DefinitionException>().Which.Message;
        message.Should().Contain("'join'").And.Contain("'registerBirth'").And.Contain("'residence'");
    }

    [Fact]
    public void Activity_without_inputs_as_dropped_from_the_toolbox_compiles_with_defaults()
    {
        var json = new FlowchartBuilder().Receive().Build();
        json.Activities().Add(new JsonObject
        {
            ["id"] = "step1",
            ["nodeId"] = "Workflow1:flowchart:step1",
            ["name"] = "Step1",
            ["type"] = ActivityCatalog.Step,
            ["version"] = 1,
        });
        json.AddConnection("receive", Outcomes.Done, "step1");

        var task = Samples.Compile(json).Activities["step1"].Task!;

        task.Should().BeEquivalentTo(new { Title = "Step1", HandlingUnit = (string?)null, Role = "handler", TimeLimitDays = 1m, PausesClock = false });
        task.AllowedOutcomes.Should().Equal(Outcomes.Done);
    }
}
