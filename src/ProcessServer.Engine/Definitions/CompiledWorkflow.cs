using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;

namespace ProcessServer.Engine.Definitions;

/// <summary>A connection between two activities of a flowchart.</summary>
/// <param name="Source">Source activity id.</param>
/// <param name="SourcePort">Outcome of the source that follows this connection.</param>
/// <param name="Target">Target activity id.</param>
public sealed record FlowConnection(string Source, string SourcePort, string Target)
{
    /// <summary>Stable key used to record join arrivals in dossier state.</summary>
    public string Key => $"{Source}:{SourcePort}->{Target}";
}

/// <summary>How a procedure version treats time after a clock pause.</summary>
public enum PausePolicy
{
    /// <summary>Keep the time already used (Decree 61 Art. 21).</summary>
    Resume,

    /// <summary>Count the full limit again from the resume.</summary>
    Restart,
}

/// <summary>Procedure-level settings read from the <c>ProcessServer.ReceiveDossier</c> activity.</summary>
/// <param name="FieldCode">Field (lĩnh vực) for reports.</param>
/// <param name="NationalProcedureCode">National procedure code, when given.</param>
/// <param name="TimeLimitDays">Legal limit of the whole procedure in working days.</param>
/// <param name="SameDay">Result due within the day of receipt (15:00 cut-off).</param>
/// <param name="PausePolicy">What happens to elapsed time on resume.</param>
public sealed record ProcedureSettings(
    string? FieldCode,
    string? NationalProcedureCode,
    decimal? TimeLimitDays,
    bool SameDay,
    PausePolicy PausePolicy);

/// <summary>An activity checked and ready for the interpreter.</summary>
public sealed class CompiledActivity
{
    internal CompiledActivity(string id, string? name, ActivityTypeSpec type, JsonObject json)
    {
        Id = id;
        Name = name;
        Type = type;
        Json = json;
    }

    /// <summary>Activity id, unique within the flowchart.</summary>
    public string Id { get; }

    /// <summary>Designer label.</summary>
    public string? Name { get; }

    /// <summary>The activity type.</summary>
    public ActivityTypeSpec Type { get; }

    /// <summary>The activity as written in the definition.</summary>
    public JsonObject Json { get; }

    /// <summary>Output ports.</summary>
    public IReadOnlyList<string> Ports { get; internal set; } = [];

    /// <summary>For tasks: what the task is.</summary>
    public TaskTemplate? Task { get; internal set; }

    /// <summary>For decisions: the parsed condition.</summary>
    public Condition? Condition { get; internal set; }

    /// <summary>For SetVariable: the variable name.</summary>
    public string? VariableName { get; internal set; }

    /// <summary>For SetVariable: the value (already converted to the variable's type).</summary>
    public JsonNode? VariableValue { get; internal set; }

    /// <summary>Label for logs and messages: the title of a task or the designer name.</summary>
    public string DisplayName => Task?.Title ?? Name ?? Id;
}

/// <summary>The task a <see cref="ActivityKind.Task"/> activity creates.</summary>
/// <param name="Kind">What the task waits for.</param>
/// <param name="Title">Title shown in inboxes.</param>
/// <param name="HandlingUnit">Unit code; null means the unit that received the dossier.</param>
/// <param name="Role">Job role inside the unit.</param>
/// <param name="TimeLimitDays">Budget in working days (fractions allowed); null when the task has none.</param>
/// <param name="AllowedOutcomes">Outcomes the handler may choose.</param>
/// <param name="PausesClock">The task's time is outside the procedure limit.</param>
/// <param name="Instructions">What the handler must do.</param>
public sealed record TaskTemplate(
    TaskKind Kind,
    string Title,
    string? HandlingUnit,
    string Role,
    decimal? TimeLimitDays,
    IReadOnlyList<string> AllowedOutcomes,
    bool PausesClock,
    string? Instructions);

/// <summary>A definition version validated and indexed for execution.</summary>
public sealed class CompiledWorkflow
{
    internal CompiledWorkflow(
        WorkflowDefinitionDocument document,
        IReadOnlyDictionary<string, CompiledActivity> activities,
        IReadOnlyList<FlowConnection> connections,
        CompiledActivity start,
        ProcedureSettings settings)
    {
        Document = document;
        Activities = activities;
        Connections = connections;
        Start = start;
        Settings = settings;
        Outgoing = connections.ToLookup(c => (c.Source, c.SourcePort));
        Incoming = connections.ToLookup(c => c.Target);
        var variables = new Dictionary<string, VariableDeclaration>(StringComparer.Ordinal);
        foreach (var variable in document.Variables)
        {
            variables.TryAdd(variable.Name, variable);
        }

        Variables = variables;
    }

    /// <summary>The definition as stored.</summary>
    public WorkflowDefinitionDocument Document { get; }

    /// <summary>Activities by id.</summary>
    public IReadOnlyDictionary<string, CompiledActivity> Activities { get; }

    /// <summary>All connections.</summary>
    public IReadOnlyList<FlowConnection> Connections { get; }

    /// <summary>Connections leaving each (activity, port).</summary>
    public ILookup<(string Activity, string Port), FlowConnection> Outgoing { get; }

    /// <summary>Connections entering each activity.</summary>
    public ILookup<string, FlowConnection> Incoming { get; }

    /// <summary>The receipt activity.</summary>
    public CompiledActivity Start { get; }

    /// <summary>Procedure-level settings.</summary>
    public ProcedureSettings Settings { get; }

    /// <summary>Declared variables by name.</summary>
    public IReadOnlyDictionary<string, VariableDeclaration> Variables { get; }
}
