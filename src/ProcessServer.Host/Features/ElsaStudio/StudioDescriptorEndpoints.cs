using System.Text.Json.Nodes;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// Descriptor lists the editor loads before it renders (CONTRACT §3.1, §3.2, §4.4, §4.5) and the
/// optional features list.
/// </summary>
public static class StudioDescriptorEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/descriptors/activities", async (StudioActivityDescriptors descriptors, ProcessServerDbContext db, CancellationToken ct) =>
            StudioJson.Ok(StudioJson.List(await descriptors.ListAsync(db, ct))));

        // Options of dependent dropdowns: none of our inputs asks for a refresh, so nothing changes.
        api.MapPost("/descriptors/activities/{activityTypeName}/options/{propertyName}", () =>
            StudioJson.Ok(new JsonObject { ["items"] = new JsonObject() }));

        // The engine evaluates literal values only (InputValue.SupportedExpressionTypes): Literal is the
        // syntax offered; Object is what list editors write and stays hidden from the syntax menu.
        // Trap: the Studio's ExpressionEditor (workflow Settings, activity Log tab) takes the first
        // descriptor that is not Literal/Object/Variable/Input and throws when there is none, so one
        // script syntax is listed, hidden from the menus; the compiler refuses it in a definition.
        api.MapGet("/descriptors/expression-descriptors", () => StudioJson.Ok(StudioJson.List(
        [
            Expression("Literal", "Literal", browsable: true),
            Expression("Object", "Object", browsable: false),
            Expression("JavaScript", "JavaScript (not run by ProcessServer)", browsable: false),
        ])));

        // ProcessServer has no activation, incident, log-persistence or commit strategies: empty lists
        // leave the Studio's dropdowns at "Default".
        api.MapGet("/descriptors/workflow-activation-strategies", () => StudioJson.Ok(StudioJson.List([])));
        api.MapGet("/descriptors/incident-strategies", () => StudioJson.Ok(StudioJson.List([])));
        api.MapGet("/descriptors/log-persistence-strategies", () => StudioJson.Ok(StudioJson.List([])));
        api.MapGet("/descriptors/commit-strategies/workflows", () => StudioJson.Ok(StudioJson.List([])));
        api.MapGet("/descriptors/commit-strategies/activities", () => StudioJson.Ok(StudioJson.List([])));

        // Variables live in the dossier (its state), which is what Elsa's workflow-instance driver means.
        api.MapGet("/descriptors/storage-drivers", () => StudioJson.Ok(StudioJson.List(
        [
            new JsonObject
            {
                ["typeName"] = "Elsa.Workflows.WorkflowInstanceStorageDriver, Elsa.Workflows.Core",
                ["displayName"] = "Dossier",
                ["priority"] = 0,
                ["deprecated"] = false,
            },
        ])));

        // Variable types the engine converts values to (VariableValues.Coerce).
        api.MapGet("/descriptors/variables", () => StudioJson.Ok(StudioJson.List(
        [
            VariableType("String", "Text"),
            VariableType("Boolean", "Yes / no"),
            VariableType("Int32", "Whole number"),
            VariableType("Int64", "Large whole number"),
            VariableType("Decimal", "Decimal number"),
            VariableType("Double", "Floating-point number"),
            VariableType("DateTime", "Date and time"),
            VariableType("Object", "Object (JSON)"),
        ])));

        api.MapGet("/descriptors/output-converters", () => StudioJson.Ok(StudioJson.List([])));

        // No Elsa features: the Studio then polls instead of using SignalR and hides Alterations/Resilience.
        api.MapGet("/features/installed", () => StudioJson.Ok(StudioJson.List([])));
    }

    private static JsonObject Expression(string type, string displayName, bool browsable) => new()
    {
        ["type"] = type,
        ["displayName"] = displayName,
        ["isSerializable"] = true,
        ["isBrowsable"] = browsable,
        ["properties"] = new JsonObject(),
    };

    private static JsonObject VariableType(string typeName, string displayName) => new()
    {
        ["typeName"] = typeName,
        ["displayName"] = displayName,
        ["category"] = "Primitives",
        ["description"] = null,
    };
}
