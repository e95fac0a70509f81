using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ProcessServer.Faults;

/// <summary>A mutated definition: the bytes to send and what was done to the sample.</summary>
public sealed record Mutant(byte[] Body, string Description);

/// <summary>
/// Seeded mutations of the sample workflow definitions: values of the wrong JSON kind, numbers that
/// overflow, duplicated activities, variables and properties, names that are not strings, lone
/// surrogates, huge strings, missing and extra fields, broken connections and expressions, deep
/// nesting, very many activities, and JSON that is not JSON. The same seed gives the same mutants.
/// </summary>
public sealed class DefinitionMutator(int maxHugeChars, int maxActivities)
{
    private static readonly string[] RawNumbers =
    [
        "2147483648", "-2147483649", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1e308", "1e309", "-1e309", "1E-400", "1.7976931348623157e308", "-0", "0.1e-7", "123456789012345678901234567890.5",
        "79228162514264337593543950336", "4.9e-324", "NaN", "Infinity", "-Infinity", "00012", "1.", ".5", "+1", "0x10",
    ];

    private static readonly string[] RawStrings =
    [
        "\"\\ud800\"", "\"abc\\udfff\"", "\"\\ud83d\"", "\"\\udc00\\ud800\"", "\"a\\u0000b\"", "\"\\u202e\\u0000\"",
        "\"\\ud800\\u0041\"", "\"\u0001\u001f\"",
    ];

    private static readonly string[] WeightedKeys =
    [
        "root", "activities", "connections", "type", "id", "source", "target", "activity", "port", "expression", "value",
        "typeName", "name", "definitionId", "variables", "title", "handlingUnit", "allowedOutcomes", "timeLimitDays",
    ];

    private readonly List<(string Marker, string Raw)> _raw = [];

    public Mutant Mutate(JsonObject sample, Random rng)
    {
        _raw.Clear();
        var tree = (JsonObject)sample.DeepClone();
        var steps = new List<string>();
        var count = 1 + rng.Next(3);
        Func<string, string>? textMutation = null;
        for (var i = 0; i < count; i++)
        {
            if (rng.Next(12) == 0 && textMutation is null)
            {
                (textMutation, var what) = TextMutation(rng);
                steps.Add(what);
                continue;
            }

            steps.Add(TreeMutation(tree, rng));
        }

        var text = tree.ToJsonString();
        foreach (var (marker, raw) in _raw)
        {
            text = text.Replace($"\"{marker}\"", raw, StringComparison.Ordinal);
        }

        if (textMutation is not null)
        {
            text = textMutation(text);
        }

        var body = Encoding.UTF8.GetBytes(text);
        if (rng.Next(60) == 0 && body.Length > 10)
        {
            // Bytes that are not UTF-8 at all.
            var at = rng.Next(body.Length);
            body[at] = 0xFF;
            steps.Add($"byte {at} replaced by 0xFF (invalid UTF-8)");
        }

        return new Mutant(body, string.Join("; ", steps));
    }

    private string TreeMutation(JsonObject tree, Random rng)
    {
        var nodes = Nodes(tree).ToList();
        var op = rng.Next(18);
        switch (op)
        {
            case 0:
            {
                var (path, parent, key) = Pick(nodes, rng);
                Set(parent, key, WrongKind(rng));
                return $"{path}: replaced by a value of another JSON kind";
            }

            case 1:
            {
                var (path, parent, key) = PickPreferring(nodes, rng, n => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number);
                var raw = RawNumbers[rng.Next(RawNumbers.Length)];
                Set(parent, key, Raw(raw));
                return $"{path}: number {raw}";
            }

            case 2:
            {
                var (path, parent, key) = PickPreferring(nodes, rng, n => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String);
                var raw = RawStrings[rng.Next(RawStrings.Length)];
                Set(parent, key, Raw(raw));
                return $"{path}: string {raw} (lone surrogate or control character)";
            }

            case 3:
            {
                var (path, parent, key) = PickPreferring(nodes, rng, n => n is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String);
                var size = HugeSize(rng);
                Set(parent, key, JsonValue.Create(new string(rng.Next(2) == 0 ? 'x' : 'ệ', size)));
                return $"{path}: a string of {size:N0} characters";
            }

            case 4:
            {
                var objects = nodes.Where(n => n.Parent is JsonObject).ToList();
                var (path, parent, key) = PickPreferring(objects, rng, n => false, k => WeightedKeys.Contains(k));
                ((JsonObject)parent).Remove((string)key);
                return $"{path}: removed";
            }

            case 5:
            {
                var objects = nodes.Select(n => n.Node).OfType<JsonObject>().Prepend(tree).ToList();
                var target = objects[rng.Next(objects.Count)];
                string[] names = ["$type", "__proto__", "", " ", "id", "Type", "ROOT", "ü", "\u0000", new string('k', 1000), "activities", "publish"];
                var name = names[rng.Next(names.Length)];
                target.Remove(name);
                target[name] = WrongKind(rng);
                return $"extra property '{Probe.Shorten(name, 20)}'";
            }

            case 6:
            {
                var arrays = nodes.Where(n => n.Node is JsonArray { Count: > 0 }).ToList();
                if (arrays.Count == 0)
                {
                    goto default;
                }

                var chosen = arrays[rng.Next(arrays.Count)];
                var path = chosen.Path;
                var array = (JsonArray)chosen.Node!;
                var copies = rng.Next(4) == 0 ? 50 : 1;
                var element = array[rng.Next(array.Count)];
                for (var i = 0; i < copies; i++)
                {
                    array.Add(element?.DeepClone());
                }

                return $"{path}: an element duplicated {copies} times";
            }

            case 7:
            {
                var variables = tree["variables"] as JsonArray ?? [];
                tree["variables"] = variables;
                string[] types = ["Int32", "Int64", "Decimal", "Boolean", "String", "DateTime", "Object", "String[]", "Foo", ""];
                var type = types[rng.Next(types.Length)];
                var name = variables.Count > 0 && rng.Next(2) == 0 ? Child(variables[0], "name")?.DeepClone() : JsonValue.Create("counter");
                var variable = new JsonObject { ["id"] = "v" + rng.Next(1000), ["name"] = name, ["typeName"] = type, ["isArray"] = false, ["value"] = rng.Next(2) == 0 ? Raw(RawNumbers[rng.Next(RawNumbers.Length)]) : WrongKind(rng) };
                variables.Add(variable);
                if (rng.Next(2) == 0)
                {
                    variables.Add(variable.DeepClone());
                }

                return $"variable '{name?.ToJsonString()}' of type {type} (duplicate names, odd default)";
            }

            case 8:
            {
                string[] paths = ["name", "definitionId", "description", "id", "root.id", "root.activities.0.id", "root.activities.1.type", "root.connections.0.source.activity"];
                var path = paths[rng.Next(paths.Length)];
                var value = rng.Next(5) switch
                {
                    0 => (JsonNode?)42,
                    1 => true,
                    2 => new JsonObject { ["text"] = "x" },
                    3 => new JsonArray("a", "b"),
                    _ => null,
                };
                SetPath(tree, path, value);
                return $"{path}: not a string ({value?.ToJsonString() ?? "null"})";
            }

            case 9:
            {
                var (path, parent, key) = Pick(nodes, rng);
                var depth = rng.Next(3) switch { 0 => 70, 1 => 300, _ => 5000 };
                Set(parent, key, Raw(new string('[', depth) + new string(']', depth)));
                return $"{path}: arrays nested {depth} deep";
            }

            case 10:
            {
                var which = rng.Next(2) == 0 ? "activities" : "connections";
                if (tree["root"] is JsonObject root)
                {
                    root[which] = new JsonArray();
                }

                return $"root.{which}: emptied";
            }

            case 11:
            {
                if (Child(tree["root"], "connections") is not JsonArray { Count: > 0 } connections)
                {
                    goto default;
                }

                if (connections[rng.Next(connections.Count)] is not JsonObject connection)
                {
                    goto default;
                }

                var what = rng.Next(4);
                switch (what)
                {
                    case 0: connection["target"] = new JsonObject { ["activity"] = "missing-" + rng.Next(100), ["port"] = "In" }; break;
                    case 1: connection["target"] = connection["source"]?.DeepClone(); break;
                    case 2: connection["source"] = new JsonObject { ["activity"] = Child(connection["source"], "activity")?.DeepClone(), ["port"] = "NoSuchPort" }; break;
                    default: connection["source"] = null; break;
                }

                return $"a connection broken ({what switch { 0 => "to a missing activity", 1 => "into itself", 2 => "from a missing port", _ => "no source" }})";
            }

            case 12:
            {
                var expressions = nodes.Where(n => n.Node is JsonObject o && o.ContainsKey("expression")).ToList();
                if (expressions.Count == 0)
                {
                    goto default;
                }

                var chosen = expressions[rng.Next(expressions.Count)];
                var path = chosen.Path;
                chosen.Node!["expression"] = rng.Next(4) switch
                {
                    0 => new JsonObject { ["type"] = "JavaScript", ["value"] = "while(true){}" },
                    1 => new JsonObject { ["type"] = "Literal", ["value"] = new JsonObject { ["deep"] = new JsonArray(1, 2) } },
                    2 => "Literal",
                    _ => new JsonObject { ["type"] = null },
                };
                return $"{path}.expression: not a usable literal";
            }

            case 13:
            {
                if (Child(tree["root"], "activities") is not JsonArray { Count: > 0 } activities)
                {
                    goto default;
                }

                string[] types = ["Elsa.WriteLine", "ProcessServer.Nope", "", "Elsa.Flowchart", "ProcessServer.ReceiveDossier", new string('T', 5000)];
                var type = types[rng.Next(types.Length)];
                if (activities[rng.Next(activities.Count)] is not JsonObject activity)
                {
                    goto default;
                }

                activity["type"] = type;
                return $"an activity of type '{Probe.Shorten(type, 30)}'";
            }

            case 14:
            {
                var limits = nodes.Where(n => n.Path.EndsWith("timeLimitDays.expression.value", StringComparison.Ordinal)).ToList();
                if (limits.Count == 0)
                {
                    goto default;
                }

                var (path, parent, key) = Pick(limits, rng);
                string[] raws = ["-1", "0", "1000000", "\"abc\"", "1.23456789e-10", "1e309", "\"3\"", "true", "79228162514264337593543950336"];
                var raw = raws[rng.Next(raws.Length)];
                Set(parent, key, Raw(raw));
                return $"{path}: {raw}";
            }

            case 15:
            {
                var outcomes = nodes.Where(n => n.Path.EndsWith("allowedOutcomes.expression.value", StringComparison.Ordinal)).ToList();
                if (outcomes.Count == 0)
                {
                    goto default;
                }

                var (path, parent, key) = Pick(outcomes, rng);
                JsonNode? value = rng.Next(5) switch
                {
                    0 => new JsonArray(),
                    1 => new JsonArray("Done", "Done"),
                    2 => new JsonArray(1, 2),
                    3 => "Done",
                    _ => new JsonArray([.. Enumerable.Range(0, 5000).Select(i => (JsonNode)$"Outcome{i}")]),
                };
                Set(parent, key, value);
                return $"{path}: {Probe.Shorten(value?.ToJsonString() ?? "null", 40)}";
            }

            case 16:
            {
                var units = nodes.Where(n => n.Path.EndsWith("handlingUnit.expression.value", StringComparison.Ordinal)).ToList();
                if (units.Count == 0)
                {
                    goto default;
                }

                var (path, parent, key) = Pick(units, rng);
                string[] values = ["NO-SUCH-UNIT", "", " ", "hcc-binhson", "UBND-BINHSON\u0000"];
                var value = values[rng.Next(values.Length)];
                Set(parent, key, value);
                return $"{path}: unit '{value}'";
            }

            case 17:
            {
                if (Child(tree["root"], "activities") is not JsonArray activities || Child(tree["root"], "connections") is not JsonArray connections)
                {
                    goto default;
                }

                var extra = Math.Max(1, rng.Next(maxActivities + 1));
                for (var i = 0; i < extra; i++)
                {
                    activities.Add(new JsonObject
                    {
                        ["id"] = $"extra{i}",
                        ["type"] = "ProcessServer.Step",
                        ["version"] = 1,
                        ["title"] = new JsonObject { ["typeName"] = "String", ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = $"Extra step {i}" } },
                    });
                    connections.Add(new JsonObject
                    {
                        ["source"] = new JsonObject { ["activity"] = $"extra{i}", ["port"] = "Done" },
                        ["target"] = new JsonObject { ["activity"] = $"missing{i}", ["port"] = "In" },
                    });
                }

                return $"{extra:N0} more activities, each connected to a missing one";
            }

            default:
            {
                var (path, parent, key) = Pick(nodes, rng);
                Set(parent, key, null);
                return $"{path}: null";
            }
        }
    }

    private static (Func<string, string> Mutation, string Description) TextMutation(Random rng)
    {
        var at = rng.NextDouble();
        return rng.Next(9) switch
        {
            0 => (t => t[..(int)(t.Length * at)], $"cut after {at:P0} of the text"),
            1 => (t => t.Insert(1, "\"name\":\"duplicate\",\"definitionId\":\"duplicate\","), "duplicate top-level properties (name, definitionId)"),
            2 => (t => "\uFEFF" + t, "byte order mark in front"),
            3 => (t => t + " trailing", "garbage after the JSON"),
            4 => (t => t.Replace("}", ",}", StringComparison.Ordinal), "trailing commas"),
            5 => (t => "// a comment\n" + t, "a comment in front"),
            6 => (_ => new[] { "", "null", "[]", "42", "\"text\"", "{}", "true" }[(int)(at * 7)], "not an object at all"),
            7 => (t => t.Replace("\"Done\"", "\"Do\u0000ne\"", StringComparison.Ordinal), "raw NUL characters inside strings"),
            _ => (t => t.Insert(t.IndexOf('{', 1) + 1, "\"id\":1,\"id\":\"two\","), "duplicate property inside an object"),
        };
    }

    private int HugeSize(Random rng)
    {
        var sizes = new[] { 1_000, 10_000, 100_000, 1_000_000, maxHugeChars };
        return Math.Min(maxHugeChars, sizes[Math.Min(sizes.Length - 1, (int)Math.Floor(Math.Pow(rng.NextDouble(), 2) * sizes.Length))]);
    }

    private JsonNode Raw(string raw)
    {
        var marker = $"@@raw{_raw.Count.ToString(CultureInfo.InvariantCulture)}@@";
        _raw.Add((marker, raw));
        return JsonValue.Create(marker);
    }

    /// <summary>A property of an object; null for anything else (earlier mutations change kinds).</summary>
    private static JsonNode? Child(JsonNode? node, string key) => node is JsonObject o ? o[key] : null;

    private static JsonNode? WrongKind(Random rng) => rng.Next(10) switch
    {
        0 => "text",
        1 => 12345,
        2 => -1,
        3 => 0.5,
        4 => true,
        5 => false,
        6 => null,
        7 => new JsonArray(),
        8 => new JsonObject(),
        _ => new JsonArray(1, "a", null, new JsonObject { ["x"] = 1 }),
    };

    private sealed record Located(string Path, JsonNode? Parent, object Key, JsonNode? Node);

    private static IEnumerable<Located> Nodes(JsonNode root, string path = "")
    {
        switch (root)
        {
            case JsonObject o:
                foreach (var (key, child) in o.ToList())
                {
                    var p = path.Length == 0 ? key : $"{path}.{key}";
                    yield return new Located(p, o, key, child);
                    if (child is not null)
                    {
                        foreach (var n in Nodes(child, p))
                        {
                            yield return n;
                        }
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    var p = $"{path}.{i}";
                    yield return new Located(p, a, i, a[i]);
                    if (a[i] is { } child)
                    {
                        foreach (var n in Nodes(child, p))
                        {
                            yield return n;
                        }
                    }
                }

                break;
        }
    }

    private static (string Path, JsonNode Parent, object Key) Pick(List<Located> nodes, Random rng)
    {
        var n = nodes[rng.Next(nodes.Count)];
        return (n.Path, n.Parent!, n.Key);
    }

    private static (string Path, JsonNode Parent, object Key) PickPreferring(List<Located> nodes, Random rng, Func<JsonNode?, bool> node, Func<string, bool>? key = null)
    {
        var preferred = nodes.Where(n => node(n.Node) || (key is not null && n.Key is string k && key(k))).ToList();
        var from = preferred.Count > 0 && rng.Next(4) != 0 ? preferred : nodes;
        var chosen = from[rng.Next(from.Count)];
        return (chosen.Path, chosen.Parent!, chosen.Key);
    }

    private static void Set(JsonNode parent, object key, JsonNode? value)
    {
        if (parent is JsonObject o)
        {
            o[(string)key] = value;
        }
        else
        {
            ((JsonArray)parent)[(int)key] = value;
        }
    }

    private static void SetPath(JsonObject tree, string path, JsonNode? value)
    {
        JsonNode? node = tree;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length - 1 && node is not null; i++)
        {
            node = int.TryParse(parts[i], CultureInfo.InvariantCulture, out var index) ? node is JsonArray a && index < a.Count ? a[index] : null : Child(node, parts[i]);
        }

        var last = parts[^1];
        if (node is JsonObject o)
        {
            o[last] = value;
        }
        else if (node is JsonArray array && int.TryParse(last, CultureInfo.InvariantCulture, out var at) && at < array.Count)
        {
            array[at] = value;
        }
    }
}
