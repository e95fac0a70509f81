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
/// Numbers reach the engine as parsed JSON (backed by JsonElement) and as values created in code
/// (backed by int, long, double…), e.g. variables the engine itself converted to Int32 in the
/// same transition, or definitions edited by the host. Both must read the same.
/// </summary>
public class NumericValuesTests
{
    [Fact]
    public void Int32_variable_set_in_the_same_transition_can_be_compared_by_a_decision()
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Variable("plots", "Int32", 0)
            .Receive()
            .SetVariable("count", "plots", "Int32", "7")
            .Decision("many", "plots > 3")
            .Step("bigSurvey", Units.LandOffice, Roles.LandRegistrar)
            .Step("smallSurvey", Units.LandOffice, Roles.LandRegistrar)
            .Connect("receive", "count")
            .Connect("count", "many")
            .Connect("many", "bigSurvey", "True")
            .Connect("many", "smallSurvey", "False")
            .Build());

        var run = Start(workflow);

        run.ShouldBe(DossierStatus.Received, 2, At("bigSurvey", Units.LandOffice, Roles.LandRegistrar));
        run.State.Variables["plots"]!.GetValue<long>().Should().Be(7);
    }

    [Theory]
    [InlineData("Decimal")]
    [InlineData("Int64")]
    [InlineData("Double")]
    public void Numeric_task_data_created_in_code_is_stored_and_compared(string typeName)
    {
        var workflow = Samples.Compile(new FlowchartBuilder()
            .Variable("fee", typeName, 0)
            .Receive()
            .Step("taxNotice", Units.Tax, Roles.TaxOfficer)
            .Decision("owes", "fee > 0")
            .Step("payment", Units.Counter, Roles.CounterClerk)
            .Step("prepare", Units.LandOffice, Roles.LandRegistrar)
            .Connect("receive", "taxNotice")
            .Connect("taxNotice", "owes")
            .Connect("owes", "payment", "True")
            .Connect("owes", "prepare", "False")
            .Build());
        var run = Start(workflow);

        run.Complete("taxNotice", data: new Dictionary<string, JsonNode?> { ["fee"] = 1_200_000 });

        run.ShouldBe(DossierStatus.InProgress, 4, At("payment", Units.Counter, Roles.CounterClerk));
        run.State.Variables["fee"]!.ToJsonString().Should().Be("1200000");
    }

    [Fact]
    public void Number_variable_set_in_code_reads_as_truthy()
    {
        var variables = new Dictionary<string, JsonNode?> { ["count"] = VariableValues.Coerce("Int32", JsonValue.Create("2")) };

        Condition.Parse("count").Evaluate(variables).Should().BeTrue();
        Condition.Parse("!count").Evaluate(variables).Should().BeFalse();
        Condition.Parse("count >= 2").Evaluate(variables).Should().BeTrue();
    }

    [Theory]
    [InlineData(typeof(int))]
    [InlineData(typeof(long))]
    [InlineData(typeof(double))]
    [InlineData(typeof(decimal))]
    public void Step_time_limit_set_in_code_as_any_number_type_compiles(Type numberType)
    {
        var json = Samples.Json(Samples.Birth);
        JsonNode limit = numberType == typeof(int) ? JsonValue.Create(2)
            : numberType == typeof(long) ? JsonValue.Create(2L)
            : numberType == typeof(double) ? JsonValue.Create(2.0)
            : JsonValue.Create(2m);
        json.Activity("register").SetInput("timeLimitDays", "Decimal", limit);
        json.Activity("receive").SetInput("timeLimitDays", "Decimal", limit.DeepClone());

        var workflow = Samples.Compile(json);

        workflow.Activities["register"].Task!.TimeLimitDays.Should().Be(2m);
        workflow.Settings.TimeLimitDays.Should().Be(2m);
    }

    [Fact]
    public void Negative_time_limit_set_in_code_is_rejected_as_a_definition_error()
    {
        var json = Samples.Json(Samples.Birth);
        json.Activity("register").SetInput("timeLimitDays", "Decimal", -1);

        var result = Samples.TryCompile(json);

        result.Errors.Should().ContainSingle(e => e.ActivityId == "register").Which.Message.Should().Contain("negative");
    }

    [Theory]
    [InlineData("Int32", 7.0, 7L)]
    [InlineData("Int64", 7, 7L)]
    public void Integer_variable_accepts_whole_numbers_of_any_number_type(string typeName, double given, long expected)
    {
        VariableValues.Coerce(typeName, JsonValue.Create(given))!.GetValue<long>().Should().Be(expected);
    }

    [Fact]
    public void Integer_variable_refuses_a_fraction()
    {
        var act = () => VariableValues.Coerce("Int32", JsonValue.Create(7.5));

        act.Should().Throw<FormatException>().WithMessage("*7.5*Int32*");
    }
}
