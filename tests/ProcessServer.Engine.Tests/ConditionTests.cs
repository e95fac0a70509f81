using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Engine.Definitions;
using Xunit;

namespace ProcessServer.Engine.Tests;

public class ConditionTests
{
    private static Dictionary<string, JsonNode?> Variables(string json) =>
        JsonNode.Parse(json)!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone());

    [Theory]
    [InlineData("true", "{}", true)]
    [InlineData(" False ", "{}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": true}", true)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": false}", false)]
    [InlineData("hasFinancialObligation", "{}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": null}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": \"False\"}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": \"\"}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": \"yes\"}", true)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": 0}", false)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": 0.5}", true)]
    [InlineData("hasFinancialObligation", "{\"hasFinancialObligation\": {}}", true)]
    [InlineData("!hasFinancialObligation", "{\"hasFinancialObligation\": false}", true)]
    [InlineData("! hasFinancialObligation", "{\"hasFinancialObligation\": true}", false)]
    [InlineData("!missing", "{}", true)]
    [InlineData("fee > 0", "{\"fee\": 1200000}", true)]
    [InlineData("fee > 0", "{\"fee\": 0}", false)]
    [InlineData("fee >= 5", "{\"fee\": 5}", true)]
    [InlineData("fee < 5.5", "{\"fee\": \"5\"}", true)]
    [InlineData("fee <= 4", "{\"fee\": 5}", false)]
    [InlineData("fee == 5", "{\"fee\": 5.00}", true)]
    [InlineData("fee != 5", "{\"fee\": 6}", true)]
    [InlineData("fee>0", "{\"fee\": 1}", true)]
    [InlineData("kind == 'land'", "{\"kind\": \"land\"}", true)]
    [InlineData("kind == \"land\"", "{\"kind\": \"land\"}", true)]
    [InlineData("kind == land", "{\"kind\": \"land\"}", true)]
    [InlineData("kind != 'land'", "{\"kind\": \"house\"}", true)]
    [InlineData("kind == 'Land'", "{\"kind\": \"land\"}", false)]
    [InlineData("kind == 'a b'", "{\"kind\": \"a b\"}", true)]
    [InlineData("kind < 'b'", "{\"kind\": \"a\"}", true)]
    [InlineData("flag == true", "{\"flag\": \"True\"}", true)]
    [InlineData("flag == false", "{\"flag\": true}", false)]
    [InlineData("flag > false", "{\"flag\": true}", false)]
    [InlineData("missing == null", "{}", true)]
    [InlineData("missing != null", "{}", false)]
    [InlineData("missing > 0", "{}", false)]
    [InlineData("missing < 0", "{}", false)]
    [InlineData("missing <= 0", "{}", false)]
    [InlineData("kind > 0", "{\"kind\": \"land\"}", false)]
    [InlineData("kind == 0", "{\"kind\": \"land\"}", false)]
    [InlineData("applicant.age >= 18", "{\"applicant.age\": 30}", true)]
    public void Condition_evaluates_against_dossier_variables(string text, string variables, bool expected)
    {
        Condition.Parse(text).Evaluate(Variables(variables)).Should().Be(expected);
    }

    [Theory]
    [InlineData("true", null)]
    [InlineData("hasFinancialObligation", "hasFinancialObligation")]
    [InlineData("!paid", "paid")]
    [InlineData("fee >= 5", "fee")]
    [InlineData("applicant.age < 6", "applicant.age")]
    public void Condition_reports_the_variable_it_reads(string text, string? variable)
    {
        var condition = Condition.Parse(text);

        condition.Variable.Should().Be(variable);
        condition.Text.Should().Be(text.Trim());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a && b")]
    [InlineData("a || b")]
    [InlineData("x ===")]
    [InlineData("kind === 'land'")]
    [InlineData("isComplete === false")]
    [InlineData("fee !== 0")]
    [InlineData("fee <> 0")]
    [InlineData("fee == ")]
    [InlineData("1 == 1")]
    [InlineData("return dossier.isComplete === false;")]
    [InlineData("getVariable('x')")]
    [InlineData("!!x")]
    public void Condition_outside_the_language_is_refused_with_the_accepted_forms(string text)
    {
        var act = () => Condition.Parse(text);

        act.Should().Throw<FormatException>().WithMessage("*variable name, !name, or name == value*");
    }
}
