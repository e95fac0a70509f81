using System.Text.Json.Nodes;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Tests.Support;

/// <summary>Loads the sample procedures (workflows/*.json, copied next to the test assembly) and fixtures.</summary>
internal static class Samples
{
    public const string Land = "land-first-certificate";
    public const string Birth = "birth-registration";
    public const string Liaison = "birth-residence-insurance";

    public static readonly string[] All = [Land, Birth, Liaison];

    /// <summary>The text of workflows/{name}.json.</summary>
    public static string Text(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "workflows", name + ".json"));

    /// <summary>The text of Fixtures/{name}.</summary>
    public static string Fixture(string name) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    /// <summary>A fresh, mutable JSON tree of a sample.</summary>
    public static JsonObject Json(string name) =>
        JsonNode.Parse(Text(name)) as JsonObject ?? throw new InvalidOperationException($"{name} is not a JSON object");

    /// <summary>Parses and compiles a sample; throws with every problem when it does not compile.</summary>
    public static CompiledWorkflow Compile(string name) =>
        new WorkflowCompiler().CompileOrThrow(WorkflowDefinitionDocument.Parse(Text(name)));

    /// <summary>Compiles a definition given as a JSON tree (the tree is copied first).</summary>
    public static CompileResult TryCompile(JsonObject definition) =>
        new WorkflowCompiler().Compile(WorkflowDefinitionDocument.FromJson((JsonObject)definition.DeepClone()));

    /// <summary>Compiles a definition given as a JSON tree; throws with every problem when it does not compile.</summary>
    public static CompiledWorkflow Compile(JsonObject definition) =>
        new WorkflowCompiler().CompileOrThrow(WorkflowDefinitionDocument.FromJson((JsonObject)definition.DeepClone()));
}

/// <summary>Small edits on definition JSON trees, for tests that break or vary a sample.</summary>
internal static class DefinitionJson
{
    public static JsonObject Root(this JsonObject definition) => (JsonObject)definition["root"]!;

    public static JsonArray Activities(this JsonObject definition) => (JsonArray)definition.Root()["activities"]!;

    public static JsonArray Connections(this JsonObject definition) => (JsonArray)definition.Root()["connections"]!;

    public static JsonObject Activity(this JsonObject definition, string id) =>
        definition.Activities().OfType<JsonObject>().Single(a => a["id"]?.ToString() == id);

    /// <summary>Sets an input the way a hand-written definition does: wrapped Literal with a JSON value.</summary>
    public static JsonObject SetInput(this JsonObject activity, string name, string typeName, JsonNode? value)
    {
        activity[name] = new JsonObject
        {
            ["typeName"] = typeName,
            ["expression"] = new JsonObject { ["type"] = "Literal", ["value"] = value },
        };
        return activity;
    }

    /// <summary>Sets an input the way Elsa Studio writes an edited one: the literal as a string, plus memoryReference.</summary>
    public static JsonObject SetStudioInput(this JsonObject activity, string name, string typeName, string text, string expressionType = "Literal")
    {
        activity[name] = new JsonObject
        {
            ["typeName"] = typeName,
            ["expression"] = new JsonObject { ["type"] = expressionType, ["value"] = text },
            ["memoryReference"] = null,
        };
        return activity;
    }

    public static void AddConnection(this JsonObject definition, string source, string port, string target) =>
        definition.Connections().Add(Connection(source, port, target));

    public static void RemoveConnection(this JsonObject definition, string source, string port)
    {
        var connection = definition.Connections().OfType<JsonObject>()
            .Single(c => c["source"]!["activity"]!.ToString() == source && c["source"]!["port"]!.ToString() == port);
        definition.Connections().Remove(connection);
    }

    public static void RemoveActivity(this JsonObject definition, string id)
    {
        definition.Activities().Remove(definition.Activity(id));
        foreach (var connection in definition.Connections().OfType<JsonObject>()
                     .Where(c => c["source"]!["activity"]!.ToString() == id || c["target"]!["activity"]!.ToString() == id)
                     .ToList())
        {
            definition.Connections().Remove(connection);
        }
    }

    public static JsonObject Connection(string source, string port, string target) => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = port },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = "In" },
        ["vertices"] = new JsonArray(),
    };
}
