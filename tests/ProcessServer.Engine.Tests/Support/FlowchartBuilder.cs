using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;

namespace ProcessServer.Engine.Tests.Support;

/// <summary>
/// Builds small Elsa 3 definitions in code for scenarios the samples do not contain. Values are
/// created from CLR values (not parsed text), as a host building definitions in code would.
/// </summary>
internal sealed class FlowchartBuilder
{
    private readonly JsonArray _variables = [];
    private readonly JsonArray _activities = [];
    private readonly JsonArray _connections = [];
    private readonly string _definitionId;
    private int _column;

    public FlowchartBuilder(string definitionId = "test-procedure") => _definitionId = definitionId;

    public FlowchartBuilder Variable(string name, string typeName, JsonNode? value)
    {
        _variables.Add(new JsonObject
        {
            ["id"] = $"var-{name}",
            ["name"] = name,
            ["typeName"] = typeName,
            ["isArray"] = false,
            ["value"] = value,
            ["storageDriverTypeName"] = null,
        });
        return this;
    }

    public FlowchartBuilder Receive(string id = "receive", decimal timeLimitDays = 5) =>
        Add(id, ActivityCatalog.ReceiveDossier, ("fieldCode", "String", "test"), ("timeLimitDays", "Decimal", timeLimitDays));

    public FlowchartBuilder Step(string id, string unit = Units.Commune, string role = Roles.CadastralOfficer, decimal timeLimitDays = 1, params string[] outcomes) =>
        Add(id, ActivityCatalog.Step,
            ("title", "String", $"Step {id}"),
            ("handlingUnit", "String", unit),
            ("role", "String", role),
            ("timeLimitDays", "Decimal", timeLimitDays),
            ("allowedOutcomes", "String[]", new JsonArray([.. (outcomes.Length == 0 ? [Outcomes.Done] : outcomes).Select(o => (JsonNode?)o)])));

    public FlowchartBuilder Fork(string id, params string[] branches) =>
        Add(id, "Elsa.FlowFork", ("branches", "String[]", new JsonArray([.. branches.Select(b => (JsonNode?)b)])));

    public FlowchartBuilder Join(string id, string mode = "WaitAll") => Add(id, "Elsa.FlowJoin", ("mode", "String", mode));

    public FlowchartBuilder Decision(string id, string condition) => Add(id, "Elsa.FlowDecision", ("condition", "Boolean", condition));

    public FlowchartBuilder SetVariable(string id, string variable, string typeName, JsonNode? value)
    {
        Add(id, "Elsa.SetVariable", ("value", "Object", value));
        var activity = (JsonObject)_activities[^1]!;
        activity["variable"] = new JsonObject
        {
            ["id"] = $"var-{variable}",
            ["name"] = variable,
            ["typeName"] = typeName,
            ["isArray"] = false,
            ["value"] = null,
            ["storageDriverTypeName"] = null,
        };
        return this;
    }

    public FlowchartBuilder ResultReady(string id = "resultReady") => Add(id, ActivityCatalog.ResultReady);

    public FlowchartBuilder ReturnResult(string id = "returnResult") =>
        Add(id, ActivityCatalog.ReturnResult, ("role", "String", Roles.CounterClerk));

    public FlowchartBuilder Finish(string id = "finish") => Add(id, "Elsa.Finish");

    public FlowchartBuilder Add(string id, string type, params (string Name, string TypeName, JsonNode? Value)[] inputs)
    {
        var activity = new JsonObject
        {
            ["id"] = id,
            ["nodeId"] = $"Workflow1:flowchart:{id}",
            ["name"] = id,
            ["type"] = type,
            ["version"] = 1,
            ["customProperties"] = new JsonObject
            {
                ["canStartWorkflow"] = type == ActivityCatalog.ReceiveDossier,
                ["runAsynchronously"] = false,
            },
            ["metadata"] = new JsonObject
            {
                ["designer"] = new JsonObject
                {
                    ["position"] = new JsonObject { ["x"] = 260 * _column++, ["y"] = 0 },
                    ["size"] = new JsonObject { ["width"] = 200, ["height"] = 50 },
                },
            },
        };
        foreach (var (name, typeName, value) in inputs)
        {
            activity.SetInput(name, typeName, value);
        }

        _activities.Add(activity);
        return this;
    }

    public FlowchartBuilder Connect(string source, string target, string port = Outcomes.Done)
    {
        _connections.Add(DefinitionJson.Connection(source, port, target));
        return this;
    }

    public JsonObject Build() => new()
    {
        ["id"] = $"{_definitionId}-v1",
        ["definitionId"] = _definitionId,
        ["name"] = _definitionId,
        ["version"] = 1,
        ["variables"] = _variables.DeepClone(),
        ["root"] = new JsonObject
        {
            ["type"] = ActivityCatalog.Flowchart,
            ["version"] = 1,
            ["id"] = "flowchart",
            ["nodeId"] = "Workflow1:flowchart",
            ["activities"] = _activities.DeepClone(),
            ["connections"] = _connections.DeepClone(),
        },
    };
}
