using System.Text.Json;
using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;

namespace ProcessServer.Engine.Definitions;

/// <summary>Size limits of a definition; every one is configurable (<c>ProcessServer:Definitions:Limits</c> in the host).</summary>
public sealed class DefinitionLimits
{
    /// <summary>The whole definition as JSON text, in characters.</summary>
    public int MaxDefinitionChars { get; set; } = 8_000_000;

    /// <summary>Activities in the flowchart.</summary>
    public int MaxActivities { get; set; } = 20_000;

    /// <summary>Declared variables.</summary>
    public int MaxVariables { get; set; } = 500;

    /// <summary>The procedure's name (the store keeps at most 400).</summary>
    public int MaxNameChars { get; set; } = 400;

    /// <summary>The procedure's description.</summary>
    public int MaxDescriptionChars { get; set; } = 4_000;

    /// <summary>An activity's name, label or title.</summary>
    public int MaxActivityNameChars { get; set; } = 400;

    /// <summary>Any other text input (instructions, a condition, a role).</summary>
    public int MaxTextChars { get; set; } = 4_000;

    /// <summary>A variable's initial value or a value a Set variable writes, as JSON text.</summary>
    public int MaxVariableValueChars { get; set; } = 10_000;
}

/// <summary>What the validator found.</summary>
public sealed class DefinitionReport
{
    internal DefinitionReport(IReadOnlyList<DefinitionError> refusals, IReadOnlyList<DefinitionError> errors, IReadOnlyList<DefinitionError> warnings, CompiledWorkflow? workflow)
    {
        Refusals = refusals;
        Errors = errors;
        Warnings = warnings;
        Workflow = workflow;
    }

    /// <summary>Why the definition cannot be stored at all (malformed, duplicated names, over a limit).</summary>
    public IReadOnlyList<DefinitionError> Refusals { get; }

    /// <summary>Why the definition cannot be published yet (a draft may be saved with these).</summary>
    public IReadOnlyList<DefinitionError> Errors { get; }

    /// <summary>Legal but suspicious; never blocks anything.</summary>
    public IReadOnlyList<DefinitionError> Warnings { get; }

    /// <summary>The compiled workflow when the engine can run it.</summary>
    public CompiledWorkflow? Workflow { get; }

    /// <summary>Whether the definition may be stored (as a draft).</summary>
    public bool CanStore => Refusals.Count == 0;

    /// <summary>Whether the definition may be published.</summary>
    public bool CanPublish => Refusals.Count == 0 && Errors.Count == 0 && Workflow is not null;
}

/// <summary>
/// The one place definitions are judged, used by the REST API, the designer backend and import
/// alike. Three levels: a <em>refusal</em> means the document cannot be stored at all (a value of the
/// wrong JSON kind, an overflowing number, duplicated ids, outcomes or variable names, text that is
/// not valid Unicode, a size over a limit) — storing it would break the designer's canvas or every
/// later read; an <em>error</em> means it cannot be published (the engine cannot run it, or it breaks a
/// one-stop rule: a receipt without a total limit, a step without a limit, no Result ready before
/// Return result, an outcome leading nowhere, an unconnected step, a loop without a person in it);
/// a <em>warning</em> is legal but suspicious. Every message names the activity by its title and says
/// the fix. All checks are linear in the size of the definition.
/// </summary>
public sealed class DefinitionValidator
{
    /// <summary>A step limit above this many working days is taken for a typing error.</summary>
    public const decimal MaxTimeLimitDays = 1000m;

    private readonly ActivityCatalog _catalog;
    private readonly WorkflowCompiler _compiler;

    /// <summary>Creates a validator.</summary>
    public DefinitionValidator(DefinitionLimits? limits = null, ActivityCatalog? catalog = null)
    {
        Limits = limits ?? new DefinitionLimits();
        _catalog = catalog ?? ActivityCatalog.Default;
        _compiler = new WorkflowCompiler(_catalog);
    }

    /// <summary>The limits applied.</summary>
    public DefinitionLimits Limits { get; }

    /// <summary>Validates a definition. Never throws.</summary>
    public DefinitionReport Validate(WorkflowDefinitionDocument document)
    {
        var refusals = new List<DefinitionError>();
        try
        {
            CheckShape(document.Json, refusals);
        }
        catch (InvalidOperationException ex)
        {
            refusals.Add(new DefinitionError(null, $"the definition cannot be read: {ex.Message}"));
        }

        if (refusals.Count > 0)
        {
            return new DefinitionReport(refusals, [], [], null);
        }

        var compiled = _compiler.Compile(document);
        var errors = compiled.Errors.ToList();
        var warnings = new List<DefinitionError>();
        if (compiled.Workflow is { } workflow)
        {
            CheckOneStopRules(workflow, errors, warnings);
        }

        return new DefinitionReport([], errors, warnings, compiled.Workflow);
    }

    /// <summary>A report for content that cannot even be parsed (e.g. stored by an older server).</summary>
    public static DefinitionReport Unreadable(string message) => new([new DefinitionError(null, message)], [], [], null);

    /// <summary>
    /// The first place in a JSON tree holding text that is not valid Unicode (a lone UTF-16
    /// surrogate such as <c>\ud800</c>): such text cannot be stored or sent back. Null when there is none.
    /// </summary>
    public static DefinitionError? FindInvalidText(JsonNode? node, string path = "$")
    {
        try
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        if (HasLoneSurrogate(key))
                        {
                            return InvalidText(path);
                        }

                        if (FindInvalidText(child, $"{path}.{key}") is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        if (FindInvalidText(array[i], $"{path}[{i}]") is { } found)
                        {
                            return found;
                        }
                    }

                    return null;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    return value.TryGetValue<string>(out var text) && !HasLoneSurrogate(text) ? null : InvalidText(path);
                default:
                    return null;
            }
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json decodes lazily and throws on the first read of a lone surrogate.
            return InvalidText(path);
        }
    }

    private static DefinitionError InvalidText(string path) => new(null,
        $"{Path(path)} holds text that is not valid Unicode (a lone UTF-16 surrogate such as \\ud800); retype that text", Path(path));

    private static string Path(string path) => path == "$" ? "the definition" : path.TrimStart('$', '.');

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return true;
                }

                i++;
            }
            else if (char.IsLowSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    private void CheckShape(JsonObject json, List<DefinitionError> refusals)
    {
        if (FindInvalidText(json) is { } invalid)
        {
            refusals.Add(invalid);
            return;
        }

        var size = json.ToJsonString().Length;
        if (size > Limits.MaxDefinitionChars)
        {
            refusals.Add(new DefinitionError(null, $"the definition is {size:N0} characters long; the limit is {Limits.MaxDefinitionChars:N0} — split the procedure or shorten its texts", "definition"));
            return;
        }

        Text(json, "definitionId", "definitionId", 100, null, refusals);
        Text(json, "id", "id", 200, null, refusals);
        Text(json, "name", "name", Limits.MaxNameChars, null, refusals);
        Text(json, "description", "description", Limits.MaxDescriptionChars, null, refusals);
        if (json["version"] is JsonObject or JsonArray)
        {
            refusals.Add(new DefinitionError(null, "version must be a number such as 3", "version"));
        }

        CheckVariables(json, refusals);
        if (json["root"] is not JsonObject root)
        {
            refusals.Add(new DefinitionError(null, "root must be an object of type \"Elsa.Flowchart\" with activities and connections", "root"));
            return;
        }

        if (root["activities"] is not (null or JsonArray) || root["connections"] is not (null or JsonArray))
        {
            refusals.Add(new DefinitionError(null, "root.activities and root.connections must be lists", root["activities"] is JsonArray ? "root.connections" : "root.activities"));
            return;
        }

        var activities = root["activities"] as JsonArray ?? [];
        if (activities.Count > Limits.MaxActivities)
        {
            refusals.Add(new DefinitionError(null, $"the flowchart has {activities.Count:N0} activities; the limit is {Limits.MaxActivities:N0}", "root.activities"));
            return;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < activities.Count; i++)
        {
            CheckActivity(activities[i], $"root.activities[{i}]", ids, refusals);
        }

        var connections = root["connections"] as JsonArray ?? [];
        for (var i = 0; i < connections.Count; i++)
        {
            var field = $"root.connections[{i}]";
            if (connections[i] is not JsonObject connection)
            {
                refusals.Add(new DefinitionError(null, $"connection #{i + 1} must be an object {{source: {{activity, port}}, target: {{activity, port}}}}", field));
                continue;
            }

            foreach (var end in new[] { "source", "target" })
            {
                var ok = connection[end] switch
                {
                    JsonObject e => IsText(e["activity"]) && (e["port"] is null || IsText(e["port"])),
                    JsonValue v => v.GetValueKind() == JsonValueKind.String,
                    null => true,
                    _ => false,
                };
                if (!ok)
                {
                    refusals.Add(new DefinitionError(null, $"connection #{i + 1}: {end} must name an activity id and a port as text, e.g. {{\"activity\": \"check\", \"port\": \"Done\"}}", $"{field}.{end}"));
                }
            }
        }
    }

    private static bool IsText(JsonNode? node) => node is JsonValue v && v.GetValueKind() == JsonValueKind.String;

    private void CheckVariables(JsonObject json, List<DefinitionError> refusals)
    {
        if (json["variables"] is null)
        {
            return;
        }

        if (json["variables"] is not JsonArray variables)
        {
            refusals.Add(new DefinitionError(null, "variables must be a list of {name, typeName, value}", "variables"));
            return;
        }

        if (variables.Count > Limits.MaxVariables)
        {
            refusals.Add(new DefinitionError(null, $"the procedure declares {variables.Count} variables; the limit is {Limits.MaxVariables}", "variables"));
            return;
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < variables.Count; i++)
        {
            var field = $"variables[{i}]";
            if (variables[i] is not JsonObject variable)
            {
                refusals.Add(new DefinitionError(null, $"variable #{i + 1} must be an object {{name, typeName, value}}", field));
                continue;
            }

            var name = WorkflowDefinitionDocument.Text(variable["name"]) ?? (variable["name"] is null ? WorkflowDefinitionDocument.Text(variable["id"]) : null);
            if (string.IsNullOrWhiteSpace(name))
            {
                refusals.Add(new DefinitionError(null, $"variable #{i + 1} needs a name (text), e.g. \"hasFinancialObligation\"", $"{field}.name"));
                continue;
            }

            if (name.Length > Limits.MaxActivityNameChars)
            {
                refusals.Add(new DefinitionError(null, $"variable #{i + 1}'s name is {name.Length} characters long; the limit is {Limits.MaxActivityNameChars}", $"{field}.name"));
                continue;
            }

            if (names.TryGetValue(name, out var first))
            {
                refusals.Add(new DefinitionError(null, $"variable '{name}' is declared twice (#{first + 1} and #{i + 1}); variable names must be unique — rename or remove one", $"{field}.name"));
                continue;
            }

            names.Add(name, i);
            if (variable["typeName"] is not (null or JsonValue) || (variable["typeName"] is JsonValue t && t.GetValueKind() != JsonValueKind.String))
            {
                refusals.Add(new DefinitionError(null, $"variable '{name}': typeName must be a type name such as String, Boolean, Int32, Decimal or DateTime", $"{field}.typeName"));
                continue;
            }

            var value = variable["value"];
            if (value is not null && value.ToJsonString().Length is var valueLength && valueLength > Limits.MaxVariableValueChars)
            {
                refusals.Add(new DefinitionError(null, $"variable '{name}': the initial value is {valueLength:N0} characters long; the limit is {Limits.MaxVariableValueChars:N0} — shorten it", $"{field}.value"));
                continue;
            }

            var typeName = WorkflowDefinitionDocument.Text(variable["typeName"]) ?? "Object";
            if (value is JsonValue v && v.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text) && typeName is not ("String" or "Object"))
            {
                continue;
            }

            try
            {
                VariableValues.Coerce(typeName, value);
            }
            catch (FormatException ex)
            {
                refusals.Add(new DefinitionError(null, $"variable '{name}': initial {ex.Message}; enter a {typeName} value or change the type", $"{field}.value"));
            }
        }
    }

    private void CheckActivity(JsonNode? node, string field, HashSet<string> ids, List<DefinitionError> refusals)
    {
        if (node is not JsonObject activity)
        {
            refusals.Add(new DefinitionError(null, $"{field} must be an activity object with id and type", field));
            return;
        }

        var id = WorkflowDefinitionDocument.Text(activity["id"]);
        if (string.IsNullOrWhiteSpace(id))
        {
            refusals.Add(new DefinitionError(null, $"{field} needs an id (text) unique within the flowchart", $"{field}.id"));
            return;
        }

        var type = WorkflowDefinitionDocument.Text(activity["type"]);
        _catalog.TryGet(type ?? string.Empty, out var spec);
        var who = WorkflowCompiler.Describe(activity, spec);
        if (type is null)
        {
            refusals.Add(new DefinitionError(id, $"{who} needs a type (text) such as {ActivityCatalog.Step}", $"{field}.type"));
        }

        if (!ids.Add(id))
        {
            refusals.Add(new DefinitionError(id, $"activity id '{id}' appears twice; activity ids must be unique within the flowchart — give {who} another id", $"{field}.id"));
        }

        Text(activity, "name", $"{field}.name", Limits.MaxActivityNameChars, id, refusals);
        if (activity["metadata"] is JsonObject metadata)
        {
            Text(metadata, "displayText", $"{field}.metadata.displayText", Limits.MaxActivityNameChars, id, refusals);
        }

        if (spec is null)
        {
            return;
        }

        foreach (var input in spec.Inputs)
        {
            if (activity[input.Name] is { } raw)
            {
                CheckInput(who, id, input, raw, $"{field}.{input.Name}", refusals);
            }
        }
    }

    private void CheckInput(string who, string id, ActivityInputSpec input, JsonNode raw, string field, List<DefinitionError> refusals)
    {
        JsonNode? value = raw;
        if (raw is JsonObject wrapper && wrapper.ContainsKey("expression"))
        {
            if (wrapper["expression"] is null)
            {
                return;
            }

            if (wrapper["expression"] is not JsonObject expression
                || expression["type"] is not (null or JsonValue)
                || (expression["type"] is JsonValue syntaxValue && syntaxValue.GetValueKind() != JsonValueKind.String))
            {
                refusals.Add(new DefinitionError(id, $"{who}: {input.DisplayName} must be written as {{\"typeName\": \"{input.TypeName}\", \"expression\": {{\"type\": \"Literal\", \"value\": …}}}}", field));
                return;
            }

            if (WorkflowDefinitionDocument.Text(expression["type"]) is { } syntax && !InputValue.SupportedExpressionTypes.Contains(syntax))
            {
                // Another syntax (JavaScript…) is a publish error reported by the compiler; its text is still bounded.
                if (expression["value"] is { } code && code.ToJsonString().Length > Limits.MaxTextChars)
                {
                    refusals.Add(new DefinitionError(id, $"{who}: {input.DisplayName} is longer than {Limits.MaxTextChars:N0} characters (the limit is {Limits.MaxTextChars:N0}); shorten it", field));
                }

                return;
            }

            value = expression["value"];
            field += ".expression.value";
        }

        if (value is null)
        {
            return;
        }

        var problem = input.TypeName switch
        {
            "String" => TextValue(value, input.Name == "title" ? Limits.MaxActivityNameChars : Limits.MaxTextChars),
            "Decimal" or "Double" or "Int32" => NumberValue(value),
            "Boolean" when input.UiHint == "checkbox" => BooleanValue(value),
            "Boolean" => TextValue(value, Limits.MaxTextChars),
            "String[]" => ListValue(value, input.Name == "branches" ? "branch" : "outcome"),
            _ => value.ToJsonString().Length is var size && size > Limits.MaxVariableValueChars ? $"is {size:N0} characters long; the limit is {Limits.MaxVariableValueChars:N0} — shorten it" : null,
        };
        if (problem is not null)
        {
            refusals.Add(new DefinitionError(id, $"{who}: {input.DisplayName} {problem}", field));
        }
    }

    private static string? TextValue(JsonNode value, int max) => value switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length is var length && length > max ? $"is {length:N0} characters long; the limit is {max:N0} — shorten it" : null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => null,
        _ => $"must be text, not {Kind(value)}",
    };

    private static string? NumberValue(JsonNode value)
    {
        if (value is JsonValue v)
        {
            if (v.GetValueKind() == JsonValueKind.Number)
            {
                return VariableValues.TryReadNumber(v, out _) ? null : $"{Shorten(v)} is too large; enter a number of working days such as 5 or 0.5";
            }

            if (v.TryGetValue<string>(out var text))
            {
                var trimmed = text.Trim();
                return trimmed.Length == 0 || decimal.TryParse(trimmed, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out _)
                    ? null
                    : $"must be a number such as 5 or 0.5, not '{Shorten(v)}'";
            }
        }

        return $"must be a number such as 5 or 0.5, not {Kind(value)}";
    }

    private static string? BooleanValue(JsonNode value)
    {
        if (value is JsonValue v)
        {
            if (v.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
            {
                return null;
            }

            if (v.TryGetValue<string>(out var text) && (text.Trim().Length == 0 || bool.TryParse(text.Trim(), out _)))
            {
                return null;
            }
        }

        return $"must be true or false, not {Shorten(value)}";
    }

    private static string? ListValue(JsonNode value, string what)
    {
        IEnumerable<JsonNode?> items;
        switch (value)
        {
            case JsonArray array:
                items = array;
                break;
            case JsonValue v when v.TryGetValue<string>(out var text):
                var trimmed = text.Trim();
                if (trimmed.StartsWith('['))
                {
                    try
                    {
                        items = JsonNode.Parse(trimmed) as JsonArray ?? [];
                    }
                    catch (JsonException)
                    {
                        return $"must be a list of names such as [\"Done\", \"Reject\"], not '{Shorten(v)}'";
                    }
                }
                else
                {
                    items = trimmed.Split(',', ';').Select(s => s.Trim()).Where(s => s.Length > 0).Select(s => (JsonNode?)JsonValue.Create(s));
                }

                break;
            default:
                return $"must be a list of names such as [\"Done\", \"Reject\"], not {Kind(value)}";
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (item is not JsonValue name || name.GetValueKind() != JsonValueKind.String)
            {
                return $"must list names as text, not {Kind(item)}";
            }

            var text = name.GetValue<string>().Trim();
            if (text.Length > 64)
            {
                return $"has the {what} '{text[..20]}…', longer than 64 characters; shorten it";
            }

            if (text.Length > 0 && !seen.Add(text))
            {
                return $"lists the {what} '{text}' twice; remove the duplicate (the canvas cannot draw two ports with one name)";
            }
        }

        return null;
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "text",
            JsonValueKind.Number => "a number",
            _ => Shorten(v),
        },
        _ => "an unknown value",
    };

    private static string Shorten(JsonNode value)
    {
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();
        return text.Length <= 60 ? text : text[..57] + "…";
    }

    private static void Text(JsonObject json, string key, string field, int max, string? activityId, List<DefinitionError> refusals)
    {
        switch (json[key])
        {
            case null:
                return;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                var length = v.GetValue<string>().Length;
                if (length > max)
                {
                    refusals.Add(new DefinitionError(activityId, $"{field} is {length:N0} characters long; the limit is {max:N0} — shorten it", field));
                }

                return;
            default:
                refusals.Add(new DefinitionError(activityId, $"{field} must be text, not {Kind(json[key])}", field));
                return;
        }
    }

    private static void CheckOneStopRules(CompiledWorkflow workflow, List<DefinitionError> errors, List<DefinitionError> warnings)
    {
        string Who(CompiledActivity a) => WorkflowCompiler.Describe(a.Json, a.Type);

        var start = workflow.Start;
        var settings = workflow.Settings;
        if (!settings.SameDay && settings.TimeLimitDays is not > 0)
        {
            errors.Add(new DefinitionError(start.Id,
                $"{Who(start)}: the procedure has no total time limit; enter 'Total time limit (working days)' (e.g. 15) or tick 'Same-day procedure' — without it no appointment date is printed and no verdict is ever given",
                "timeLimitDays"));
        }
        else if (settings.TimeLimitDays > MaxTimeLimitDays)
        {
            errors.Add(new DefinitionError(start.Id, $"{Who(start)}: a total time limit of {settings.TimeLimitDays} working days is not plausible; enter the legal limit (e.g. 15)", "timeLimitDays"));
        }

        foreach (var activity in workflow.Activities.Values)
        {
            if (activity.Task is { Kind: TaskKind.Step } task)
            {
                if (activity.Json["timeLimitDays"] is { } limitInput && IsEmpty(limitInput))
                {
                    errors.Add(new DefinitionError(activity.Id, $"{Who(activity)}: the time limit is empty; enter the step's working days (e.g. 3 or 0.5)", "timeLimitDays"));
                }
                else if (task.TimeLimitDays > MaxTimeLimitDays)
                {
                    errors.Add(new DefinitionError(activity.Id, $"{Who(activity)}: a time limit of {task.TimeLimitDays} working days is not plausible; enter the step's working days (e.g. 3 or 0.5)", "timeLimitDays"));
                }
                else if (task.TimeLimitDays > settings.TimeLimitDays && !task.PausesClock)
                {
                    warnings.Add(new DefinitionError(activity.Id, $"{Who(activity)}: its limit of {task.TimeLimitDays} working days is longer than the procedure's {settings.TimeLimitDays}; check both limits", "timeLimitDays"));
                }
                else if (task.TimeLimitDays == 0)
                {
                    warnings.Add(new DefinitionError(activity.Id, $"{Who(activity)}: its time limit is 0 working days, so it is overdue as soon as it starts; enter the working days it needs", "timeLimitDays"));
                }
            }

            if (activity.Condition is { } condition && condition.Reads.Count == 0)
            {
                warnings.Add(new DefinitionError(activity.Id, $"{Who(activity)}: the condition '{condition.Text}' reads no variable, so the decision always goes the same way", "condition"));
            }
        }

        // Every way out leads somewhere: an outcome connected to nothing ends the dossier without a
        // result (national status 8). Reject ends it on purpose; the hand-over is the normal end.
        foreach (var activity in workflow.Activities.Values)
        {
            foreach (var port in activity.Ports)
            {
                var ends = (port == Outcomes.Reject && activity.Task is not null) || activity.Task?.Kind == TaskKind.ReturnResult;
                if (!ends && !workflow.Outgoing[(activity.Id, port)].Any())
                {
                    errors.Add(new DefinitionError(activity.Id,
                        $"{Who(activity)}: its outcome '{port}' is connected to nothing, so a dossier taking it would stop without a result (national status 8); connect it to the next step, or to a Finish to end there on purpose",
                        port));
                }
            }

            if (activity.Type.Kind != ActivityKind.Start && !workflow.Incoming[activity.Id].Any())
            {
                errors.Add(new DefinitionError(activity.Id, $"{Who(activity)} has no connection leading to it, so no dossier ever reaches it; connect it into the procedure or delete it"));
            }
        }

        var resultReady = workflow.Activities.Values.Where(a => a.Type.Kind == ActivityKind.ResultReady).ToList();
        var returns = workflow.Activities.Values.Where(a => a.Task?.Kind == TaskKind.ReturnResult).ToList();
        if (resultReady.Count == 0)
        {
            errors.Add(new DefinitionError(null,
                $"the procedure has no '{ActivityCatalog.ResultReady}' (Result ready) step, so dossiers never reach national status 9 and get no verdict; add it before the return of the result"));
        }

        if (returns.Count == 0)
        {
            errors.Add(new DefinitionError(null,
                $"the procedure has no '{ActivityCatalog.ReturnResult}' (Return result) step, so dossiers never reach national status 10; add it after Result ready"));
        }

        // Reachable from the receipt without passing a Result ready: a hand-over there would have no result.
        foreach (var early in Reachable(workflow, start.Id, a => a.Type.Kind == ActivityKind.ResultReady).Where(a => a.Task?.Kind == TaskKind.ReturnResult))
        {
            errors.Add(new DefinitionError(early.Id, $"{Who(early)} can be reached without passing 'Result ready'; put a Result ready step before it so the dossier is judged and reaches national status 9"));
        }

        var reachable = Reachable(workflow, start.Id, _ => false).Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var activity in workflow.Activities.Values.Where(a => !reachable.Contains(a.Id) && workflow.Incoming[a.Id].Any()))
        {
            warnings.Add(new DefinitionError(activity.Id, $"{Who(activity)} cannot be reached from the receipt; connect it to the procedure or delete it"));
        }

        foreach (var loop in LoopsWithoutAPerson(workflow))
        {
            errors.Add(new DefinitionError(loop.Id, $"{Who(loop)} is in a loop without any step for a person, so a dossier would go round it forever; put a step in the loop or remove the connection back"));
        }
    }

    private static bool IsEmpty(JsonNode input)
    {
        var value = input is JsonObject wrapper && wrapper.ContainsKey("expression") ? (wrapper["expression"] as JsonObject)?["value"] : input;
        return value is null || (value is JsonValue v && v.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text));
    }

    /// <summary>Activities reachable from <paramref name="from"/>, not going past those <paramref name="stop"/> selects.</summary>
    private static List<CompiledActivity> Reachable(CompiledWorkflow workflow, string from, Func<CompiledActivity, bool> stop)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { from };
        var queue = new Queue<string>([from]);
        var found = new List<CompiledActivity>();
        while (queue.Count > 0)
        {
            var activity = workflow.Activities[queue.Dequeue()];
            found.Add(activity);
            if (stop(activity))
            {
                continue;
            }

            foreach (var port in activity.Ports)
            {
                foreach (var connection in workflow.Outgoing[(activity.Id, port)])
                {
                    if (seen.Add(connection.Target))
                    {
                        queue.Enqueue(connection.Target);
                    }
                }
            }
        }

        return found;
    }

    /// <summary>One activity of each cycle that runs without a task to wait on (iterative three-colour DFS).</summary>
    private static List<CompiledActivity> LoopsWithoutAPerson(CompiledWorkflow workflow)
    {
        bool Automatic(CompiledActivity a) => a.Task is null && a.Type.Kind != ActivityKind.Finish;
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var found = new List<CompiledActivity>();
        foreach (var origin in workflow.Activities.Values.Where(Automatic))
        {
            if (state.ContainsKey(origin.Id))
            {
                continue;
            }

            var stack = new Stack<(CompiledActivity Activity, IEnumerator<FlowConnection> Next)>();
            state[origin.Id] = 1;
            stack.Push((origin, Outgoing(workflow, origin).GetEnumerator()));
            while (stack.Count > 0)
            {
                var (activity, next) = stack.Peek();
                if (!next.MoveNext())
                {
                    state[activity.Id] = 2;
                    stack.Pop();
                    continue;
                }

                var target = workflow.Activities[next.Current.Target];
                if (!Automatic(target))
                {
                    continue;
                }

                switch (state.GetValueOrDefault(target.Id))
                {
                    case 0:
                        state[target.Id] = 1;
                        stack.Push((target, Outgoing(workflow, target).GetEnumerator()));
                        break;
                    case 1:
                        found.Add(target);
                        break;
                }
            }
        }

        return found;
    }

    private static IEnumerable<FlowConnection> Outgoing(CompiledWorkflow workflow, CompiledActivity activity) =>
        activity.Ports.SelectMany(p => workflow.Outgoing[(activity.Id, p)]);
}
