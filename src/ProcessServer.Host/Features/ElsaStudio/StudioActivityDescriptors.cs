using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Activities;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// Activity descriptors (CONTRACT §4.3) for every activity type the engine runs, built from
/// <see cref="ActivityCatalog"/>; plus one "unknown activity" descriptor for every type and version
/// found in stored definitions that the server does not know, because an activity without a
/// descriptor makes the Studio's whole canvas render empty (trap 3).
/// </summary>
public sealed class StudioActivityDescriptors(UnitDirectory units)
{
    /// <summary>Category of descriptors for activity types the server does not run.</summary>
    public const string UnknownCategory = "Unknown";

    /// <summary>Outcome ports of a new step (its allowed outcomes until the administrator adds more).</summary>
    public static readonly string[] NewStepOutcomes = [Outcomes.Done];

    /// <summary>Branches of a new fork.</summary>
    public static readonly string[] NewForkBranches = ["Branch 1", "Branch 2"];

    private static readonly ActivityCatalog Catalog = ActivityCatalog.Default;

    // Activity types (with the ports their connections use) of each published version, by version id.
    private readonly ConcurrentDictionary<string, Dictionary<(string Type, int Version), SortedSet<string>>> _publishedTypes = new(StringComparer.Ordinal);

    /// <summary>The Studio editor for an input: the catalogue's hint, adapted to what Elsa Studio 3.8.2 handles.</summary>
    public static string UiHintOf(ActivityInputSpec input) => input.UiHint switch
    {
        // A step's ports are its allowed outcomes: the dynamic-outcomes editor also gives the node
        // one port per outcome (the Studio's DynamicOutcomesPortProvider).
        "multi-text" when input.Name == "allowedOutcomes" => "dynamic-outcomes",

        // Elsa Studio spells it "multitext"; "multi-text" would render no editor at all.
        "multi-text" => "multitext",
        _ => input.UiHint,
    };

    /// <summary>Whether the Studio edits the input as an object (JSON array) rather than a literal string.</summary>
    public static bool IsObjectEditor(ActivityInputSpec input) => UiHintOf(input) is "dynamic-outcomes" or "multitext" or "checklist" or "json-editor";

    /// <summary>
    /// Whether the input is stored wrapped as <c>{typeName, expression}</c>. Elsa's SetVariable keeps
    /// its variable as a plain object, which is also what the variable picker writes for unwrapped inputs.
    /// </summary>
    public static bool IsWrapped(ActivityTypeSpec type, ActivityInputSpec input) =>
        !(type.TypeName == "Elsa.SetVariable" && input.Name == "variable");

    /// <summary>The descriptor input name: Elsa's PascalCase (the Studio camelises it back to the stored property).</summary>
    public static string DescriptorName(string inputName) => char.ToUpperInvariant(inputName[0]) + inputName[1..];

    /// <summary>Every descriptor: ours, the flowchart container, and unknown types found in stored definitions.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        var descriptors = new List<JsonObject> { Flowchart() };
        descriptors.AddRange(Catalog.Types.Select(Describe));

        var known = descriptors.Select(d => (d["typeName"]!.GetValue<string>(), d["version"]!.GetValue<int>())).ToHashSet();
        foreach (var (type, version, ports) in await StoredTypesAsync(db, cancellationToken))
        {
            if (!known.Add((type, version)))
            {
                continue;
            }

            if (Catalog.TryGet(type, out var spec))
            {
                // A version the catalogue does not describe of a type the engine runs (the engine
                // matches types by name only): the same descriptor under that version.
                var copy = Describe(spec);
                copy["version"] = version;
                descriptors.Add(copy);
            }
            else
            {
                descriptors.Add(Unknown(type, version, ports));
            }
        }

        return descriptors;
    }

    private JsonObject Describe(ActivityTypeSpec spec)
    {
        var dot = spec.TypeName.LastIndexOf('.');
        var ports = spec.Kind switch
        {
            // Fork branches and step outcomes come from the dynamic-outcomes input, per activity.
            ActivityKind.Fork => [],
            ActivityKind.Task when spec.TaskKind == TaskKind.Step => NewStepOutcomes,
            _ => spec.OutcomesOf(new JsonObject()),
        };

        var construction = new JsonObject();
        if (spec.TaskKind == TaskKind.Step)
        {
            construction["AllowedOutcomes"] = Wrapped("String[]", "Object", new JsonArray([.. NewStepOutcomes.Select(o => (JsonNode?)o)]));
        }
        else if (spec.Kind == ActivityKind.Fork)
        {
            construction["Branches"] = Wrapped("String[]", "Object", new JsonArray([.. NewForkBranches.Select(o => (JsonNode?)o)]));
        }

        return new JsonObject
        {
            ["typeName"] = spec.TypeName,
            ["namespace"] = dot > 0 ? spec.TypeName[..dot] : string.Empty,
            ["name"] = dot > 0 ? spec.TypeName[(dot + 1)..] : spec.TypeName,
            ["version"] = spec.Version,
            ["category"] = spec.Category,
            ["displayName"] = spec.DisplayName,
            ["description"] = spec.Description,
            ["kind"] = spec.Kind == ActivityKind.Start ? "Trigger" : "Action",
            ["isBrowsable"] = true,
            ["isStart"] = spec.Kind == ActivityKind.Start,
            ["isTerminal"] = spec.Kind == ActivityKind.Finish,
            ["isContainer"] = false,
            ["ports"] = new JsonArray([.. ports.Select(Port)]),
            ["inputs"] = new JsonArray([.. spec.Inputs.Select((input, index) => (JsonNode?)Input(spec, input, index))]),
            ["outputs"] = new JsonArray(),
            ["customProperties"] = new JsonObject(),
            ["constructionProperties"] = construction,
        };
    }

    private JsonObject Input(ActivityTypeSpec type, ActivityInputSpec input, int order)
    {
        var uiHint = UiHintOf(input);
        return new JsonObject
        {
            ["name"] = DescriptorName(input.Name),
            ["typeName"] = input.TypeName,
            ["displayName"] = input.DisplayName,
            ["description"] = input.Description,
            ["order"] = order,
            ["isBrowsable"] = true,
            ["isSynthetic"] = false,
            ["isWrapped"] = IsWrapped(type, input),
            ["uiHint"] = uiHint,
            ["category"] = null,
            ["defaultValue"] = input.DefaultValue?.DeepClone(),
            ["defaultSyntax"] = IsObjectEditor(input) ? "Object" : "Literal",
            ["isReadOnly"] = false,
            ["isSensitive"] = false,
            ["storageDriverType"] = null,
            ["uiSpecifications"] = Specifications(type, input, uiHint),
        };
    }

    private JsonObject? Specifications(ActivityTypeSpec type, ActivityInputSpec input, string uiHint)
    {
        switch (uiHint)
        {
            case "dropdown":
                var items = (type.TypeName, input.Name) switch
                {
                    (_, "handlingUnit") => [("(the unit that received the dossier)", string.Empty), .. units.All.Select(u => ($"{u.Name} ({u.Code})", u.Code))],
                    (_, "pausePolicy") => [("Resume: keep the time already used", "Resume"), ("Restart: count the limit again", "Restart")],
                    (_, "mode") => [("Wait for all branches", "WaitAll")],
                    _ => new List<(string Text, string Value)>(),
                };
                return new JsonObject
                {
                    ["dropdown"] = new JsonObject
                    {
                        ["selectList"] = new JsonObject
                        {
                            ["items"] = new JsonArray([.. items.Select(i => (JsonNode?)new JsonObject { ["text"] = i.Text, ["value"] = i.Value })]),
                            ["isFlagsEnum"] = false,
                        },
                    },
                };
            case "singleline" when input.TypeName is "Decimal" && input.Name == "timeLimitDays":
                return new JsonObject { ["singleline"] = new JsonObject { ["adornmentText"] = "working days", ["enableCopyAdornment"] = false } };
            case "code-editor":
                // Options nested in uiSpecifications are read without a string-enum converter: numbers only (trap 5).
                return new JsonObject { ["code-editor"] = new JsonObject { ["language"] = "plaintext", ["editorHeight"] = 0, ["singleLineMode"] = false } };
            default:
                return null;
        }
    }

    private static JsonObject Flowchart() => new()
    {
        ["typeName"] = ActivityCatalog.Flowchart,
        ["namespace"] = "Elsa",
        ["name"] = "Flowchart",
        ["version"] = 1,
        ["category"] = "Flow",
        ["displayName"] = "Flowchart",
        ["description"] = "The procedure's flowchart.",
        ["kind"] = "Action",
        ["isBrowsable"] = false,
        ["isStart"] = false,
        ["isTerminal"] = false,
        ["isContainer"] = true,
        ["ports"] = new JsonArray(),
        ["inputs"] = new JsonArray(),
        ["outputs"] = new JsonArray(),
        ["customProperties"] = new JsonObject(),
        ["constructionProperties"] = new JsonObject(),
    };

    private static JsonObject Unknown(string type, int version, IReadOnlyCollection<string> ports)
    {
        var dot = type.LastIndexOf('.');
        var name = dot > 0 ? type[(dot + 1)..] : type;
        return new JsonObject
        {
            ["typeName"] = type,
            ["namespace"] = dot > 0 ? type[..dot] : string.Empty,
            ["name"] = name,
            ["version"] = version,
            ["category"] = UnknownCategory,
            ["displayName"] = $"Unknown activity ({name})",
            ["description"] = $"ProcessServer does not run '{type}' (version {version}); replace it with one of the activities in the toolbox. Its stored properties are kept as they are.",
            ["kind"] = "Action",
            ["isBrowsable"] = false,
            ["isStart"] = false,
            ["isTerminal"] = ports.Count == 0,
            ["isContainer"] = false,
            ["ports"] = new JsonArray([.. ports.Select(Port)]),
            ["inputs"] = new JsonArray(),
            ["outputs"] = new JsonArray(),
            ["customProperties"] = new JsonObject { ["unknown"] = true },
            ["constructionProperties"] = new JsonObject(),
        };
    }

    private static JsonNode Port(string name) => new JsonObject { ["name"] = name, ["displayName"] = name, ["type"] = "Flow", ["isBrowsable"] = true };

    private static JsonObject Wrapped(string typeName, string expressionType, JsonNode value) => new()
    {
        ["typeName"] = typeName,
        ["expression"] = new JsonObject { ["type"] = expressionType, ["value"] = value },
    };

    /// <summary>
    /// Activity types and versions used by stored definitions that the catalogue does not describe,
    /// with the ports their outgoing connections use (so existing connections still attach).
    /// </summary>
    private async Task<List<(string Type, int Version, IReadOnlyCollection<string> Ports)>> StoredTypesAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        // Published versions never change, so what they use is read once; drafts are read every time.
        var versions = await db.WorkflowDefinitions.AsNoTracking().Select(d => new { d.Id, Published = d.PublishedAt != null }).ToListAsync(cancellationToken);
        var toRead = versions.Where(v => !v.Published || !_publishedTypes.ContainsKey(v.Id)).Select(v => v.Id).ToList();
        var fresh = new Dictionary<string, Dictionary<(string Type, int Version), SortedSet<string>>>(StringComparer.Ordinal);
        foreach (var chunk in toRead.Chunk(50))
        {
            var rows = await db.WorkflowDefinitions.AsNoTracking().Where(d => chunk.Contains(d.Id)).Select(d => new { d.Id, d.Json }).ToListAsync(cancellationToken);
            foreach (var row in rows)
            {
                var types = new Dictionary<(string Type, int Version), SortedSet<string>>();
                if (JsonNode.Parse(row.Json)?["root"] is JsonObject root)
                {
                    Collect(root, types);
                }

                fresh[row.Id] = types;
            }
        }

        var found = new Dictionary<(string Type, int Version), SortedSet<string>>();
        foreach (var version in versions)
        {
            if (!fresh.TryGetValue(version.Id, out var types) && !_publishedTypes.TryGetValue(version.Id, out types))
            {
                continue;
            }

            if (version.Published)
            {
                _publishedTypes.TryAdd(version.Id, types);
            }

            foreach (var (key, ports) in types)
            {
                if (!found.TryGetValue(key, out var all))
                {
                    all = new SortedSet<string>(StringComparer.Ordinal);
                    found[key] = all;
                }

                all.UnionWith(ports);
            }
        }

        return found
            .Where(kv => !(Catalog.TryGet(kv.Key.Type, out var spec) && spec.Version == kv.Key.Version) && kv.Key.Type != ActivityCatalog.Flowchart)
            .Select(kv => (kv.Key.Type, kv.Key.Version, (IReadOnlyCollection<string>)kv.Value))
            .ToList();
    }

    private static void Collect(JsonObject container, Dictionary<(string Type, int Version), SortedSet<string>> found)
    {
        var activities = (container["activities"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var byId = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        foreach (var activity in activities)
        {
            var type = activity["type"]?.ToString();
            if (string.IsNullOrWhiteSpace(type))
            {
                continue;
            }

            var version = activity["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 1;
            if (!found.ContainsKey((type, version)))
            {
                found[(type, version)] = new SortedSet<string>(StringComparer.Ordinal);
            }

            if (activity["id"]?.ToString() is { } id)
            {
                byId[id] = (type, version);
            }

            Collect(activity, found);
        }

        foreach (var connection in (container["connections"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var source = connection["source"] is JsonObject s ? s["activity"]?.ToString() : connection["source"]?.ToString();
            var port = connection["source"] is JsonObject sp ? sp["port"]?.ToString() : connection["sourcePort"]?.ToString();
            if (source is not null && byId.TryGetValue(source, out var key))
            {
                found[key].Add(string.IsNullOrWhiteSpace(port) ? Outcomes.Done : port);
            }
        }
    }
}
