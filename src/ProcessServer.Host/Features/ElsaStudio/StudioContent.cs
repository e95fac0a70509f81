using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// The definition JSON as it travels between the store and the Studio: defaults the Studio needs
/// (trap 7), inputs converted to their declared types on the way in, list inputs presented the way
/// the Studio's list editors read them on the way out, and a fingerprint to tell whether a posted
/// definition differs from a stored one.
/// </summary>
public static class StudioContent
{
    /// <summary>Envelope fields the store keeps in columns or the Studio only displays.</summary>
    private static readonly string[] EnvelopeKeys =
    [
        "id", "version", "isLatest", "isPublished", "createdAt", "links", "isReadonly", "isSystem", "materializerName",
        "providerName", "isMaterializerAvailable", "toolVersion", "validationErrors",
    ];

    private static readonly ActivityCatalog Catalog = ActivityCatalog.Default;

    /// <summary>Fills every collection and object the Studio dereferences (a null one crashes the editor).</summary>
    public static void FillDefaults(JsonObject definition)
    {
        // Only what is missing is filled in: a value of the wrong kind is left for the validator to refuse.
        foreach (var key in new[] { "variables", "inputs", "outputs", "outcomes" })
        {
            if (definition[key] is null)
            {
                definition[key] = new JsonArray();
            }
        }

        if (definition["customProperties"] is null)
        {
            definition["customProperties"] = new JsonObject();
        }

        if (definition["options"] is not JsonObject options)
        {
            options = new JsonObject();
            definition["options"] = options;
        }

        options.TryAdd("autoUpdateConsumingWorkflows", false);
        foreach (var key in new[] { "activationStrategyType", "usableAsActivity", "activityCategory", "incidentStrategyType", "commitStrategyName" })
        {
            options.TryAdd(key, null);
        }

        if (definition["root"] is JsonObject root)
        {
            FillRoot(root);
        }
    }

    /// <summary>Gives the flowchart and its activities the ids, versions and objects the Studio expects.</summary>
    public static void FillRoot(JsonObject root)
    {
        var id = root["id"]?.ToString();
        if (string.IsNullOrWhiteSpace(id))
        {
            id = "flowchart";
            root["id"] = id;
        }

        if (string.IsNullOrWhiteSpace(root["nodeId"]?.ToString()))
        {
            root["nodeId"] = $"Workflow1:{id}";
        }

        root.TryAdd("version", 1);
        EnsureObject(root, "metadata");
        EnsureObject(root, "customProperties");
        if (root["activities"] is not JsonArray activities)
        {
            activities = new JsonArray();
            root["activities"] = activities;
        }

        if (root["connections"] is not JsonArray)
        {
            root["connections"] = new JsonArray();
        }

        var nodeId = root["nodeId"]!.ToString();
        foreach (var activity in activities.OfType<JsonObject>())
        {
            // A missing version reads as 0, which matches no descriptor: the canvas would render empty.
            if (activity["version"] is not JsonValue version || !version.TryGetValue<int>(out var n) || n < 1)
            {
                activity["version"] = 1;
            }

            if (string.IsNullOrWhiteSpace(activity["nodeId"]?.ToString()) && activity["id"]?.ToString() is { Length: > 0 } activityId)
            {
                activity["nodeId"] = $"{nodeId}:{activityId}";
            }

            EnsureObject(activity, "metadata");
            EnsureObject(activity, "customProperties");
        }
    }

    /// <summary>Marks a label the server put on the canvas from the step's title (not stored).</summary>
    public const string TitleLabelMarker = "processServerTitleLabel";

    /// <summary>
    /// Shows steps by their titles on the canvas: an activity without a label of its own gets its
    /// title as <c>metadata.displayText</c> (the canvas label), marked so a save can tell it from a
    /// label the administrator typed. The title input stays the one stored source.
    /// </summary>
    public static void PresentTitles(JsonObject root)
    {
        foreach (var activity in (root["activities"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (activity["metadata"] is not JsonObject metadata || metadata["displayText"] is JsonValue { } shown && shown.TryGetValue<string>(out var text) && !string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            var title = activity["title"] is JsonObject { } wrapper && wrapper["expression"] is JsonObject expression && expression["value"] is JsonValue value && value.TryGetValue<string>(out var t) ? t.Trim() : null;
            if (!string.IsNullOrEmpty(title))
            {
                metadata["displayText"] = title;
                metadata[TitleLabelMarker] = title;
            }
        }
    }

    /// <summary>
    /// Undoes <see cref="PresentTitles"/> on a definition the Studio sends back: a label still equal
    /// to the title it was made from is removed (so a changed title shows next time); a label the
    /// administrator changed is kept as theirs.
    /// </summary>
    public static void StripPresentedTitles(JsonObject definition)
    {
        foreach (var activity in ((definition["root"] as JsonObject)?["activities"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (activity["metadata"] is not JsonObject metadata || !metadata.ContainsKey(TitleLabelMarker))
            {
                continue;
            }

            var marker = metadata[TitleLabelMarker] is JsonValue m && m.TryGetValue<string>(out var made) ? made : null;
            var shown = metadata["displayText"] is JsonValue d && d.TryGetValue<string>(out var text) ? text : null;
            if (shown == marker)
            {
                metadata.Remove("displayText");
            }

            metadata.Remove(TitleLabelMarker);
        }
    }

    /// <summary>
    /// Presents list inputs (allowed outcomes, fork branches) as <c>Object</c> expressions: the Studio's
    /// list editors show only Object values and fall back to the default for anything else, while the
    /// engine reads Literal and Object alike.
    /// </summary>
    public static void PresentInputs(JsonObject root)
    {
        foreach (var (activity, spec) in KnownActivities(root))
        {
            foreach (var input in spec.Inputs.Where(StudioActivityDescriptors.IsObjectEditor))
            {
                if (activity[input.Name] is JsonObject { } wrapper && wrapper["expression"] is JsonObject expression
                    && expression["type"]?.ToString() == "Literal" && expression["value"] is JsonArray)
                {
                    expression["type"] = "Object";
                }
            }
        }
    }

    /// <summary>
    /// Converts the strings the Studio writes ("7", "True", "[\"Done\"]") to the declared types of
    /// the inputs (ActivityCatalog) and variables; properties the catalogue does not declare are left
    /// untouched. Returns one message per value that cannot be read as its type.
    /// </summary>
    public static List<string> ConvertValues(JsonObject definition)
    {
        var errors = new List<string>();
        if (definition["root"] is JsonObject root)
        {
            foreach (var (activity, spec) in KnownActivities(root))
            {
                foreach (var input in spec.Inputs)
                {
                    if (activity[input.Name] is not JsonObject wrapper || wrapper["expression"] is not JsonObject expression)
                    {
                        continue;
                    }

                    // The Studio writes "typeName": null on inputs it creates; the declared type goes in.
                    if (wrapper["typeName"] is null)
                    {
                        wrapper["typeName"] = input.TypeName;
                    }

                    var syntax = expression["type"]?.ToString() ?? "Literal";
                    if (syntax is not ("Literal" or "Object") || expression["value"] is not JsonValue value || !value.TryGetValue<string>(out var text))
                    {
                        continue;
                    }

                    var (converted, problem) = Convert(input, text);
                    if (problem is not null)
                    {
                        errors.Add($"{Label(activity)}: {input.DisplayName} {problem}.");
                    }
                    else
                    {
                        expression["value"] = converted;
                    }
                }
            }
        }

        foreach (var variable in (definition["variables"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var typeName = variable["typeName"]?.ToString() ?? "Object";
            if (typeName is "String" or "Object" || variable["value"] is not JsonValue value || !value.TryGetValue<string>(out var text))
            {
                continue;
            }

            if (string.IsNullOrWhiteSpace(text))
            {
                variable["value"] = null;
                continue;
            }

            try
            {
                variable["value"] = VariableValues.Coerce(typeName, value);
            }
            catch (FormatException ex)
            {
                errors.Add($"Variable '{variable["name"]}': initial {ex.Message}.");
            }
        }

        return errors;
    }

    /// <summary>
    /// The content of a definition for comparison: envelope fields removed, list inputs presented
    /// alike, and the rendered node sizes (rewritten by the designer on every save) left out.
    /// </summary>
    public static JsonNode Fingerprint(JsonObject definition)
    {
        var copy = (JsonObject)definition.DeepClone();
        foreach (var key in EnvelopeKeys)
        {
            copy.Remove(key);
        }

        FillDefaults(copy);
        ConvertValues(copy);
        if (copy["root"] is JsonObject root)
        {
            PresentInputs(root);
            foreach (var activity in (root["activities"] as JsonArray ?? []).OfType<JsonObject>())
            {
                (activity["metadata"]?["designer"] as JsonObject)?.Remove("size");
                foreach (var property in activity.Select(p => p.Value).OfType<JsonObject>().Where(p => p.ContainsKey("expression")))
                {
                    if (property.TryGetPropertyValue("memoryReference", out var reference) && reference is null)
                    {
                        property.Remove("memoryReference");
                    }
                }
            }
        }

        return JsonNode.Parse(copy.ToJsonString())!;
    }

    /// <summary>Whether two definitions have the same content (see <see cref="Fingerprint"/>).</summary>
    public static bool SameContent(JsonObject left, JsonObject right) => JsonNode.DeepEquals(Fingerprint(left), Fingerprint(right));

    /// <summary>Text folded for searching: lower case, Vietnamese diacritics removed (đ → d), so "dat dai" finds "Đất đai".</summary>
    public static string Fold(string? text)
    {
        var decomposed = (text ?? string.Empty).Replace('đ', 'd').Replace('Đ', 'd').Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    /// <summary>A procedure code from a name: lower-case ASCII letters and digits joined by '-' (Vietnamese diacritics removed).</summary>
    public static string Slug(string? name)
    {
        var text = (name ?? string.Empty).Replace('đ', 'd').Replace('Đ', 'D').Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        var slug = builder.ToString().Trim('-');
        if (slug.Length > 80)
        {
            slug = slug[..80].Trim('-');
        }

        return slug.Length == 0 ? "procedure" : slug;
    }

    /// <summary>How an activity is named in messages: its label on the canvas, else its id.</summary>
    public static string Label(JsonObject activity)
    {
        var id = activity["id"]?.ToString();
        var text = activity["metadata"]?["displayText"]?.ToString();
        if (string.IsNullOrWhiteSpace(text))
        {
            try
            {
                text = InputValue.GetString(activity, "title");
            }
            catch (DefinitionException)
            {
                text = null;
            }
        }

        text ??= activity["name"]?.ToString();
        return string.IsNullOrWhiteSpace(text) || text == id ? $"Activity '{id}'" : $"'{text}' ({id})";
    }

    private static (JsonNode? Value, string? Problem) Convert(ActivityInputSpec input, string text)
    {
        var trimmed = text.Trim();
        switch (input.TypeName)
        {
            case "Decimal" or "Double" or "Single" or "Int16" or "Int32" or "Int64":
                if (trimmed.Length == 0)
                {
                    return (null, null);
                }

                // "0,5" is how a Vietnamese administrator writes half a day.
                var candidate = trimmed.Contains(',', StringComparison.Ordinal) && !trimmed.Contains('.', StringComparison.Ordinal) ? trimmed.Replace(',', '.') : trimmed;
                if (!decimal.TryParse(candidate, NumberStyles.Number, CultureInfo.InvariantCulture, out var number))
                {
                    return (null, $"must be a number such as 5 or 0.5, not '{trimmed}'");
                }

                if (input.TypeName.StartsWith("Int", StringComparison.Ordinal))
                {
                    if (decimal.Truncate(number) != number)
                    {
                        return (null, $"must be a whole number, not '{trimmed}'");
                    }

                    return number is >= int.MinValue and <= int.MaxValue ? (JsonValue.Create((long)number), null) : (null, $"is too large: '{trimmed}'");
                }

                return (JsonValue.Create(number), null);

            case "Boolean":
                if (trimmed.Length == 0)
                {
                    return (null, null);
                }

                if (bool.TryParse(trimmed, out var flag))
                {
                    return (JsonValue.Create(flag), null);
                }

                // A decision's condition is declared Boolean but written as text (hasFinancialObligation == true).
                return input.UiHint == "checkbox" ? (null, $"must be true or false, not '{trimmed}'") : (JsonValue.Create(text), null);

            case "String[]":
                if (trimmed.Length == 0)
                {
                    return (new JsonArray(), null);
                }

                if (trimmed.StartsWith('['))
                {
                    try
                    {
                        if (JsonNode.Parse(trimmed) is JsonArray parsed && parsed.All(i => i is JsonValue))
                        {
                            return (new JsonArray([.. parsed.Select(i => (JsonNode?)JsonValue.Create(i!.ToString().Trim()))]), null);
                        }
                    }
                    catch (JsonException)
                    {
                        // Reported below.
                    }

                    return (null, $"must be a list of names, not '{trimmed}'");
                }

                return (new JsonArray([.. trimmed.Split(',', ';').Select(s => s.Trim()).Where(s => s.Length > 0).Select(s => (JsonNode?)JsonValue.Create(s))]), null);

            default:
                return (JsonValue.Create(text), null);
        }
    }

    private static IEnumerable<(JsonObject Activity, ActivityTypeSpec Spec)> KnownActivities(JsonObject root)
    {
        foreach (var activity in (root["activities"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (activity["type"]?.ToString() is { } type && Catalog.TryGet(type, out var spec))
            {
                yield return (activity, spec);
            }
        }
    }

    private static void EnsureObject(JsonObject json, string key)
    {
        if (json[key] is not JsonObject)
        {
            json[key] = new JsonObject();
        }
    }
}
