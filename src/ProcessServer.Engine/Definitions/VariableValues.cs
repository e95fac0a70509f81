using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Engine.Definitions;

/// <summary>
/// Converts values to a variable's declared Elsa type. The designer sends every literal as a string
/// ("7", "True"), clerks send JSON; either way the dossier stores the declared type.
/// </summary>
public static class VariableValues
{
    /// <summary>Converts <paramref name="value"/> to <paramref name="typeName"/>.</summary>
    /// <exception cref="FormatException">The value cannot be read as that type; the message says which value and type.</exception>
    public static JsonNode? Coerce(string typeName, JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }

        var type = typeName.Trim();
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Trim() : null;

        switch (type)
        {
            case "String":
                return JsonValue.Create(text ?? value.ToJsonString());
            case "Boolean":
                if (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
                {
                    return value.DeepClone();
                }

                if (text is not null && bool.TryParse(text, out var b))
                {
                    return JsonValue.Create(b);
                }

                break;
            case "Int16" or "Int32" or "Int64":
                if (TryDecimal(value, text, out var i) && decimal.Truncate(i) == i)
                {
                    var (min, max) = type switch
                    {
                        "Int16" => (short.MinValue, short.MaxValue),
                        "Int32" => (int.MinValue, int.MaxValue),
                        _ => ((decimal)long.MinValue, (decimal)long.MaxValue),
                    };
                    if (i < min || i > max)
                    {
                        throw new FormatException($"value {Shorten(value)} is out of range for {type} ({min} to {max})");
                    }

                    return JsonValue.Create((long)i);
                }

                break;
            case "Decimal" or "Double" or "Single":
                if (TryDecimal(value, text, out var d))
                {
                    return JsonValue.Create(d);
                }

                break;
            case "DateTime" or "DateTimeOffset":
                // An instant near the ends of the calendar cannot be moved to UTC; refused, not thrown.
                if (text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                    && t.UtcDateTime > DateTime.MinValue.AddDays(1) && t.UtcDateTime < DateTime.MaxValue.AddDays(-1))
                {
                    return JsonValue.Create(t.ToUniversalTime());
                }

                break;
            default:
                // Object and unknown types: a string holding JSON (what the Studio writes for
                // object editors) is parsed; anything else is kept as given.
                if (text is not null && text.Length > 0 && (text[0] == '{' || text[0] == '['))
                {
                    try
                    {
                        return JsonNode.Parse(text);
                    }
                    catch (JsonException)
                    {
                        return value.DeepClone();
                    }
                }

                return value.DeepClone();
        }

        throw new FormatException($"value {Shorten(value)} is not a valid {type}");
    }

    /// <summary>
    /// Reads a JSON number as a decimal whatever backs it: parsed JSON, or an int, long or double
    /// created in code (on which <c>GetValue&lt;decimal&gt;()</c> throws). False when it is not a number
    /// or does not fit a decimal.
    /// </summary>
    internal static bool TryReadNumber(JsonNode value, out decimal result)
    {
        result = 0;
        return value.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out result);
    }

    /// <summary>A value for a message: long values are cut so a 10 MB value does not make a 10 MB message.</summary>
    private static string Shorten(JsonNode value)
    {
        var text = value.ToJsonString();
        return text.Length <= 80 ? text : text[..77] + "…";
    }

    private static bool TryDecimal(JsonNode value, string? text, out decimal result)
    {
        if (value.GetValueKind() == JsonValueKind.Number)
        {
            return TryReadNumber(value, out result);
        }

        return decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out result);
    }
}
