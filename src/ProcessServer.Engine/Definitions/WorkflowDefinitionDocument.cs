using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Engine.Definitions;

/// <summary>
/// A workflow definition in Elsa 3's JSON model. The document is kept as a JSON tree, not mapped to
/// classes, so that every property the engine does not understand (designer metadata, Studio
/// options, future Elsa fields) survives a load/save round trip untouched.
/// </summary>
public sealed class WorkflowDefinitionDocument
{
    /// <summary>Serializer options used for every definition written by ProcessServer: camelCase, indented.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,

        // Stored definitions stay readable: Vietnamese titles are written as letters, not \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private WorkflowDefinitionDocument(JsonObject root) => Json = root;

    /// <summary>The whole definition as a mutable JSON tree.</summary>
    public JsonObject Json { get; }

    /// <summary>Stable identity across versions; ProcessServer uses it as the procedure code.</summary>
    public string DefinitionId
    {
        get => Text(Json["definitionId"]) ?? string.Empty;
        set => Json["definitionId"] = value;
    }

    /// <summary>Identity of this version.</summary>
    public string Id
    {
        get => Text(Json["id"]) ?? string.Empty;
        set => Json["id"] = value;
    }

    /// <summary>Version number, starting at 1.</summary>
    public int Version
    {
        get => Json["version"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0;
        set => Json["version"] = value;
    }

    /// <summary>Display name of the procedure.</summary>
    public string Name
    {
        get => Text(Json["name"]) is { Length: > 0 } name ? name : DefinitionId;
        set => Json["name"] = value;
    }

    /// <summary>Optional description.</summary>
    public string? Description => Text(Json["description"]);

    /// <summary>Whether this is the latest version of its definition.</summary>
    public bool IsLatest
    {
        get => Json["isLatest"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        set => Json["isLatest"] = value;
    }

    /// <summary>Whether this is the published version new dossiers start on.</summary>
    public bool IsPublished
    {
        get => Json["isPublished"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        set => Json["isPublished"] = value;
    }

    /// <summary>The root activity (an <c>Elsa.Flowchart</c> for every runnable definition).</summary>
    public JsonObject? Root => Json["root"] as JsonObject;

    /// <summary>Declared variables: <c>[{id, name, typeName, value}]</c>.</summary>
    public IReadOnlyList<VariableDeclaration> Variables =>
        (Json["variables"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(v => new VariableDeclaration(
                v["name"]?.ToString() ?? v["id"]?.ToString() ?? string.Empty,
                v["typeName"]?.ToString() ?? "Object",
                v["value"]?.DeepClone()))
            .Where(v => v.Name.Length > 0)
            .ToList();

    /// <summary>A string property's value; null for any other JSON kind (the validator reports those).</summary>
    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Parses a definition from JSON text.</summary>
    /// <exception cref="DefinitionException">The text is not a JSON object.</exception>
    public static WorkflowDefinitionDocument Parse(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new DefinitionException(null, $"the definition is not valid JSON: {ex.Message}");
        }

        return node is JsonObject obj
            ? new WorkflowDefinitionDocument(obj)
            : throw new DefinitionException(null, "the definition must be a JSON object with definitionId and root");
    }

    /// <summary>Wraps an existing JSON tree (not copied).</summary>
    public static WorkflowDefinitionDocument FromJson(JsonObject json) => new(json);

    /// <summary>A deep copy, safe to modify independently.</summary>
    public WorkflowDefinitionDocument Clone() => new((JsonObject)Json.DeepClone());

    /// <summary>Writes the definition back to JSON text, including every property it was loaded with.</summary>
    public string ToJsonString() => Json.ToJsonString(JsonOptions);
}

/// <summary>A variable declared on a definition.</summary>
/// <param name="Name">Name used by expressions, task data and SetVariable.</param>
/// <param name="TypeName">Elsa type alias (String, Boolean, Int32, Decimal, Double, Object…).</param>
/// <param name="DefaultValue">Initial value as written in the definition.</param>
public sealed record VariableDeclaration(string Name, string TypeName, JsonNode? DefaultValue);
