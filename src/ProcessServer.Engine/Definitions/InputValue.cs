using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Engine.Definitions;

/// <summary>
/// Reads activity inputs stored the Elsa 3 way: either wrapped as
/// <c>{"typeName": "...", "expression": {"type": "Literal", "value": ...}}</c> or as a raw JSON value.
/// Elsa Studio writes every edited literal back as a string ("7", "True", "[\"Done\"]"), while
/// hand-written definitions use JSON literals; both are accepted.
/// </summary>
public static class InputValue
{
    /// <summary>Expression types whose value the engine can evaluate without a script host.</summary>
    public static readonly IReadOnlySet<string> SupportedExpressionTypes =
        new HashSet<string>(StringComparer.Ordinal) { "Literal", "Object" };

    /// <summary>
    /// Returns the literal value of an input, or <c>null</c> when the input is absent or empty.
    /// </summary>
    /// <exception cref="DefinitionException">The input uses an expression type the engine cannot evaluate.</exception>
    public static JsonNode? GetLiteral(JsonObject activity, string inputName)
    {
        if (!activity.TryGetPropertyValue(inputName, out var node) || node is null)
        {
            return null;
        }

        if (node is JsonObject wrapper && wrapper.ContainsKey("expression"))
        {
            if (wrapper["expression"] is not JsonObject expression)
            {
                return null;
            }

            var type = WorkflowDefinitionDocument.Text(expression["type"]) ?? "Literal";
            if (!SupportedExpressionTypes.Contains(type))
            {
                throw new DefinitionException(
                    activity["id"]?.ToString(),
                    $"input '{inputName}' uses a '{type}' expression; ProcessServer evaluates Literal values only — enter the value itself");
            }

            return expression["value"];
        }

        return node;
    }

    /// <summary>Gets an input as a trimmed string; empty strings read as <c>null</c>.</summary>
    public static string? GetString(JsonObject activity, string inputName)
    {
        var value = GetLiteral(activity, inputName);
        var text = value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => value.ToJsonString(),
        };
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    /// <summary>Gets a decimal input, accepting JSON numbers and numeric strings (invariant culture).</summary>
    /// <exception cref="DefinitionException">The value is present but not a number.</exception>
    public static decimal? GetDecimal(JsonObject activity, string inputName)
    {
        var value = GetLiteral(activity, inputName);
        if (value is null)
        {
            return null;
        }

        if (value is JsonValue v)
        {
            if (VariableValues.TryReadNumber(v, out var number))
            {
                return number;
            }

            if (v.TryGetValue<string>(out var s))
            {
                if (string.IsNullOrWhiteSpace(s))
                {
                    return null;
                }

                if (decimal.TryParse(s.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var d))
                {
                    return d;
                }
            }
        }

        throw new DefinitionException(
            activity["id"]?.ToString(),
            $"input '{inputName}' must be a number, got {value.ToJsonString()}; write it like 5 or 0.5");
    }

    /// <summary>Gets a Boolean input, accepting JSON booleans and "True"/"False" strings.</summary>
    /// <exception cref="DefinitionException">The value is present but not a Boolean.</exception>
    public static bool? GetBoolean(JsonObject activity, string inputName)
    {
        var value = GetLiteral(activity, inputName);
        if (value is null)
        {
            return null;
        }

        if (value is JsonValue v)
        {
            var kind = v.GetValueKind();
            if (kind is JsonValueKind.True or JsonValueKind.False)
            {
                return kind == JsonValueKind.True;
            }

            if (v.TryGetValue<string>(out var s))
            {
                if (string.IsNullOrWhiteSpace(s))
                {
                    return null;
                }

                if (bool.TryParse(s.Trim(), out var b))
                {
                    return b;
                }
            }
        }

        throw new DefinitionException(
            activity["id"]?.ToString(),
            $"input '{inputName}' must be true or false, got {value.ToJsonString()}");
    }

    /// <summary>
    /// Gets a list of strings: a JSON array, a string holding a JSON array (what Studio's list
    /// editors write), or a comma-separated string.
    /// </summary>
    public static IReadOnlyList<string>? GetStringList(JsonObject activity, string inputName)
    {
        var value = GetLiteral(activity, inputName);
        return value switch
        {
            null => null,
            JsonArray array => Clean(array.Select(item => item?.ToString())),
            JsonValue v when v.TryGetValue<string>(out var s) => ParseListText(s),
            _ => Clean([value.ToString()]),
        };
    }

    private static IReadOnlyList<string>? ParseListText(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            return null;
        }

        if (trimmed.StartsWith('['))
        {
            try
            {
                if (JsonNode.Parse(trimmed) is JsonArray parsed)
                {
                    return Clean(parsed.Select(item => item?.ToString()));
                }
            }
            catch (JsonException)
            {
                // Not JSON after all: fall through to the comma-separated reading.
            }
        }

        return Clean(trimmed.Split(',', ';'));
    }

    private static IReadOnlyList<string>? Clean(IEnumerable<string?> items)
    {
        var list = items
            .Select(item => item?.Trim())
            .Where(item => !string.IsNullOrEmpty(item))
            .Select(item => item!)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return list.Count == 0 ? null : list;
    }
}
