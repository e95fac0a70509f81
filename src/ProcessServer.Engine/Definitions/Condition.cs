using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ProcessServer.Engine.Definitions;

/// <summary>
/// The small condition language of <c>Elsa.FlowDecision</c> in ProcessServer. Decisions branch on
/// dossier variables; a full script engine is not needed for that and would make definitions
/// depend on a runtime the server cannot ship here. Forms: <c>true</c>, <c>false</c>, <c>name</c>,
/// <c>!name</c>, <c>name OP value</c> with OP one of == != &gt; &gt;= &lt; &lt;=.
/// </summary>
public sealed partial class Condition
{
    private readonly string? _variable;
    private readonly string? _operator;
    private readonly JsonNode? _operand;
    private readonly bool _negate;
    private readonly bool? _constant;

    private Condition(string text, string? variable, string? op, JsonNode? operand, bool negate, bool? constant)
    {
        Text = text;
        _variable = variable;
        _operator = op;
        _operand = operand;
        _negate = negate;
        _constant = constant;
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    /// <summary>The variable the condition reads, if any.</summary>
    public string? Variable => _variable;

    /// <summary>Parses a condition.</summary>
    /// <exception cref="FormatException">The text is not a condition of the supported forms.</exception>
    public static Condition Parse(string text)
    {
        var trimmed = text.Trim();
        if (bool.TryParse(trimmed, out var constant))
        {
            return new Condition(trimmed, null, null, null, false, constant);
        }

        var match = ComparisonPattern().Match(trimmed);
        if (match.Success)
        {
            return new Condition(trimmed, match.Groups["name"].Value, match.Groups["op"].Value,
                ParseOperand(match.Groups["value"].Value.Trim()), false, null);
        }

        match = TruthPattern().Match(trimmed);
        if (match.Success)
        {
            return new Condition(trimmed, match.Groups["name"].Value, null, null, match.Groups["not"].Success, null);
        }

        throw new FormatException(
            $"'{text}' is not a condition ProcessServer understands; write a variable name, !name, or name == value (also != > >= < <=)");
    }

    /// <summary>Evaluates the condition against dossier variables; a missing variable reads as null.</summary>
    public bool Evaluate(IReadOnlyDictionary<string, JsonNode?> variables)
    {
        if (_constant is { } c)
        {
            return c;
        }

        variables.TryGetValue(_variable!, out var value);
        if (_operator is null)
        {
            return IsTruthy(value) != _negate;
        }

        var comparison = Compare(value, _operand);
        return _operator switch
        {
            "==" => comparison == 0,
            "!=" => comparison != 0,
            ">" => comparison is > 0 and not int.MaxValue,
            ">=" => comparison is >= 0 and not int.MaxValue,
            "<" => comparison < 0,
            "<=" => comparison <= 0,
            _ => false,
        };
    }

    private static JsonNode? ParseOperand(string text)
    {
        if (text.Length >= 2 && (text[0] == '\'' || text[0] == '"') && text[^1] == text[0])
        {
            return JsonValue.Create(text[1..^1]);
        }

        if (text == "null")
        {
            return null;
        }

        if (bool.TryParse(text, out var b))
        {
            return JsonValue.Create(b);
        }

        if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(text);
    }

    private static bool IsTruthy(JsonNode? value) => value switch
    {
        null => false,
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => !VariableValues.TryReadNumber(v, out var n) || n != 0,
            JsonValueKind.String => v.GetValue<string>() is { Length: > 0 } s && !s.Equals("false", StringComparison.OrdinalIgnoreCase),
            _ => false,
        },
        _ => true,
    };

    /// <summary>Compares two values; <see cref="int.MaxValue"/> means "not comparable" (never greater).</summary>
    private static int Compare(JsonNode? left, JsonNode? right)
    {
        if (left is null || right is null)
        {
            return left is null && right is null ? 0 : int.MaxValue;
        }

        var l = ToComparable(left);
        var r = ToComparable(right);
        return (l, r) switch
        {
            (decimal a, decimal b) => a.CompareTo(b),
            (bool a, bool b) => a == b ? 0 : int.MaxValue,
            (string a, string b) => string.CompareOrdinal(a, b) switch { 0 => 0, < 0 => -1, _ => 1 },
            _ => string.Equals(l?.ToString(), r?.ToString(), StringComparison.Ordinal) ? 0 : int.MaxValue,
        };
    }

    private static object? ToComparable(JsonNode node)
    {
        if (node is not JsonValue v)
        {
            return node.ToJsonString();
        }

        switch (v.GetValueKind())
        {
            case JsonValueKind.Number:
                return VariableValues.TryReadNumber(v, out var n) ? n : v.ToJsonString();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            case JsonValueKind.String:
                var s = v.GetValue<string>();
                if (decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d))
                {
                    return d;
                }

                return bool.TryParse(s, out var b) ? b : s;
            default:
                return null;
        }
    }

    // The operand may not start with an operator character, so JavaScript's === and !== (or <>)
    // are refused instead of being read as a comparison with a string such as "= 'land'".
    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_.]*)\s*(?<op>==|!=|>=|<=|>|<)\s*(?<value>[^\s=<>!].*)$")]
    private static partial Regex ComparisonPattern();

    [GeneratedRegex(@"^(?<not>!)?\s*(?<name>[A-Za-z_][A-Za-z0-9_.]*)$")]
    private static partial Regex TruthPattern();
}
