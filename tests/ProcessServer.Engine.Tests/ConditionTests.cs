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
    [InlineData("kind == land", "{\"kind\": \"land\", \"land\": \"land\"}", true)]
    [InlineData("kind == land", "{\"kind\": \"land\"}", false)]
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
    [InlineData("area > 500 && hasFinancialObligation", "{\"area\": 600, \"hasFinancialObligation\": true}", true)]
    [InlineData("area > 500 && hasFinancialObligation", "{\"area\": 600, \"hasFinancialObligation\": false}", false)]
    [InlineData("area > 500 && hasFinancialObligation", "{\"area\": 400, \"hasFinancialObligation\": true}", false)]
    [InlineData("area > 500 and hasFinancialObligation", "{\"area\": 600, \"hasFinancialObligation\": true}", true)]
    [InlineData("area > 500 || hasFinancialObligation", "{\"area\": 100, \"hasFinancialObligation\": true}", true)]
    [InlineData("area > 500 or hasFinancialObligation", "{\"area\": 100, \"hasFinancialObligation\": false}", false)]
    [InlineData("not (area > 500 or urgent)", "{\"area\": 100, \"urgent\": false}", true)]
    [InlineData("!(area > 500) && kind == 'land'", "{\"area\": 100, \"kind\": \"land\"}", true)]
    [InlineData("a || b && c", "{\"a\": true, \"b\": false, \"c\": false}", true)]
    [InlineData("(a || b) && c", "{\"a\": true, \"b\": false, \"c\": false}", false)]
    [InlineData("!!x", "{\"x\": true}", true)]
    [InlineData("received < date('2025-07-01')", "{\"received\": \"2025-06-30T10:00:00Z\"}", true)]
    [InlineData("received >= '2025-07-01'", "{\"received\": \"2025-06-30T10:00:00Z\"}", false)]
    [InlineData("kind === 'land'", "{\"kind\": \"land\"}", true)]
    [InlineData("fee !== 0", "{\"fee\": 0}", false)]
    [InlineData("name == 'Nguyễn Văn An' and age >= 18", "{\"name\": \"Nguyễn Văn An\", \"age\": 30}", true)]
    [InlineData("note == 'it\\'s'", "{\"note\": \"it's\"}", true)]
    [InlineData("TRUE AND NOT false", "{}", true)]
    public void Compound_conditions_evaluate_with_and_before_or_and_parentheses(string text, string variables, bool expected)
    {
        Condition.Parse(text).Evaluate(Variables(variables)).Should().Be(expected);
    }

    [Theory]
    [InlineData("", 1, "empty")]
    [InlineData("area >", 7, "missing after '>'")]
    [InlineData("area > 500 &&", 14, "missing after '&&'")]
    [InlineData("(area > 500", 12, "the '(' at position 1 is not closed")]
    [InlineData("area > 500)", 11, "no matching '('")]
    [InlineData("area = 500", 6, "use ==")]
    [InlineData("fee <> 0", 5, "use !=")]
    [InlineData("area > 500 hasFinancialObligation", 12, "join conditions with and / or")]
    [InlineData("kind == 'land", 9, "not closed")]
    [InlineData("1 < area < 5", 10, "cannot be chained")]
    [InlineData("getVariable('x')", 1, "only function is date")]
    [InlineData("date('soon') > received", 6, "not a date")]
    [InlineData("return dossier.isComplete === false;", 36, "';' is not understood")]
    [InlineData("return dossier.isComplete === false", 8, "join conditions")]
    [InlineData("area > 5OO", 8, "mixes a number and a name")]
    [InlineData("a & b", 3, "use && or and")]
    public void A_malformed_condition_is_refused_with_the_position_of_the_problem(string text, int position, string fix)
    {
        var act = () => Condition.Parse(text);

        var error = act.Should().Throw<ConditionSyntaxException>().Which;
        error.Position.Should().Be(position);
        error.Message.Should().StartWith($"position {position}: ").And.Contain(fix);
    }

    [Theory]
    [InlineData("area > 500 && hasFinancialObligation", null)]
    [InlineData("aera > 500", "position 1: 'aera' is not a declared variable")]
    [InlineData("area > '500'", "position 6: '>' compares a number with text; write numbers without quotes")]
    [InlineData("area", "position 1: 'area' is a number, not true/false; compare it, e.g. area > 0")]
    [InlineData("hasFinancialObligation > false", "true/false values are not ordered")]
    [InlineData("kind == 5", "compares text with a number")]
    [InlineData("received < '2025-13-40'", "is compared with a date but is not one")]
    [InlineData("received < '2025-06-30' and kind != null", null)]
    [InlineData("area > null", "cannot compare with null")]
    [InlineData("extra.count > 1", null)]
    [InlineData("area.count > 1", "'area' is a number, so it has no 'count'")]
    [InlineData("not kind", "'kind' is text, not true/false")]
    public void A_condition_is_typed_against_the_declared_variables(string text, string? problem)
    {
        var declared = new Dictionary<string, VariableDeclaration>
        {
            ["area"] = new("area", "Decimal", null),
            ["hasFinancialObligation"] = new("hasFinancialObligation", "Boolean", null),
            ["kind"] = new("kind", "String", null),
            ["received"] = new("received", "DateTime", null),
            ["extra"] = new("extra", "Object", null),
        };

        var problems = Condition.Parse(text).Check(declared);

        if (problem is null)
        {
            problems.Should().BeEmpty();
        }
        else
        {
            problems.Should().ContainSingle().Which.Should().Contain(problem);
        }
    }

    [Fact]
    public void Random_text_never_breaks_the_parser_or_the_evaluator()
    {
        // Seeded: the same 20,000 texts on every run, built from the language's own pieces.
        var random = new Random(20251122);
        string[] pieces = ["area", "kind", "x.y", "(", ")", "!", "not", "and", "or", "&&", "||", "==", "!=", ">", ">=", "<", "<=", "=", "===",
            "500", "0.5", "'land'", "\"a\"", "'", "true", "false", "null", "date('2025-06-30')", "date(", " ", "\\", "\ud800", "Đ", "1e5", "..", ","];
        var variables = Variables("{\"area\": 600, \"kind\": \"land\", \"x\": {\"y\": 2}}");
        var parsed = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)]));
            Condition condition;
            try
            {
                condition = Condition.Parse(text);
            }
            catch (ConditionSyntaxException ex)
            {
                ex.Position.Should().BeInRange(1, text.Length + 1, text);
                continue;
            }

            parsed++;
            condition.Evaluate(variables);
            condition.Check(new Dictionary<string, VariableDeclaration> { ["area"] = new("area", "Int32", null) });
        }

        parsed.Should().BeGreaterThan(1_000, "the generator also produces conditions that parse");
    }
}
