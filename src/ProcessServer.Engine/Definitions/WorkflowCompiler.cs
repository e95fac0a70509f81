using System.Text.Json;
using System.Text.Json.Nodes;
using ProcessServer.Engine.Activities;

namespace ProcessServer.Engine.Definitions;

/// <summary>The outcome of compiling a definition: a runnable workflow, or every problem found.</summary>
public sealed class CompileResult
{
    internal CompileResult(CompiledWorkflow? workflow, IReadOnlyList<DefinitionError> errors)
    {
        Workflow = workflow;
        Errors = errors;
    }

    /// <summary>The runnable workflow, when there were no errors.</summary>
    public CompiledWorkflow? Workflow { get; }

    /// <summary>Every problem found, each naming the activity and the fix.</summary>
    public IReadOnlyList<DefinitionError> Errors { get; }

    /// <summary>Whether the definition can run.</summary>
    public bool Succeeded => Workflow is not null;
}

/// <summary>
/// Checks a definition and turns it into a <see cref="CompiledWorkflow"/>. All problems are
/// collected in one pass so an administrator can fix them together, and every message names the
/// activity and says what to change.
/// </summary>
public sealed class WorkflowCompiler
{
    private readonly ActivityCatalog _catalog;

    /// <summary>Creates a compiler over an activity catalogue.</summary>
    public WorkflowCompiler(ActivityCatalog? catalog = null) => _catalog = catalog ?? ActivityCatalog.Default;

    /// <summary>Compiles and throws when the definition cannot run.</summary>
    /// <exception cref="DefinitionException">The definition has problems; the message lists them.</exception>
    public CompiledWorkflow CompileOrThrow(WorkflowDefinitionDocument document)
    {
        var result = Compile(document);
        return result.Workflow ?? throw new DefinitionException(null, string.Join("; ", result.Errors.Select(e => e.Message)));
    }

    /// <summary>
    /// Validates and compiles a definition. Never throws for any JSON: what cannot be read is
    /// reported as an error. Work is linear in the size of the definition (every lookup is hashed),
    /// so a 10,000-activity definition with 10,000 broken connections is checked in milliseconds.
    /// </summary>
    public CompileResult Compile(WorkflowDefinitionDocument document)
    {
        try
        {
            return CompileCore(document);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException or JsonException or KeyNotFoundException)
        {
            // The document holds something no check above foresaw (e.g. text that is not valid
            // Unicode); it is reported, never thrown at the caller.
            return new CompileResult(null, [new DefinitionError(null, $"the definition cannot be read: {ex.Message}")]);
        }
    }

    /// <summary>How an activity is named in messages: its kind and title (or label), then its id.</summary>
    public static string Describe(JsonObject activity, ActivityTypeSpec? spec)
    {
        var id = WorkflowDefinitionDocument.Text(activity["id"]) ?? "?";
        var kind = spec?.Kind switch
        {
            ActivityKind.Start => "receipt",
            ActivityKind.Task when spec.TaskKind == TaskKind.Payment => "payment wait",
            ActivityKind.Task when spec.TaskKind == TaskKind.ReturnResult => "return of the result",
            ActivityKind.Task => "step",
            ActivityKind.ResultReady => "result ready",
            ActivityKind.Decision => "decision",
            ActivityKind.Fork => "fork",
            ActivityKind.Join => "join",
            ActivityKind.SetVariable => "set variable",
            ActivityKind.Finish => "finish",
            _ => "activity",
        };
        var label = Label(activity);
        return label is null || label == id ? $"{kind} '{id}'" : $"{kind} '{label}' ('{id}')";
    }

    /// <summary>The title a person gave an activity: the designer label, the step title or the name.</summary>
    public static string? Label(JsonObject activity)
    {
        var text = WorkflowDefinitionDocument.Text(activity["metadata"] is JsonObject metadata ? metadata["displayText"] : null);
        if (string.IsNullOrWhiteSpace(text) && activity["title"] is { } title)
        {
            text = title is JsonObject wrapper && wrapper["expression"] is JsonObject expression
                ? WorkflowDefinitionDocument.Text(expression["value"])
                : WorkflowDefinitionDocument.Text(title);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            text = WorkflowDefinitionDocument.Text(activity["name"]);
        }

        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    private CompileResult CompileCore(WorkflowDefinitionDocument document)
    {
        var errors = new List<DefinitionError>();

        // Activities already reported: connections to them are not reported again.
        var faulty = new HashSet<string>(StringComparer.Ordinal);
        void Fail(string? activityId, string message)
        {
            errors.Add(new DefinitionError(activityId, message));
            if (activityId is not null)
            {
                faulty.Add(activityId);
            }
        }

        if (string.IsNullOrWhiteSpace(document.DefinitionId))
        {
            Fail(null, "definitionId is missing; give the procedure a code such as 'land-first-certificate'");
        }

        var root = document.Root;
        if (root is null)
        {
            Fail(null, "root is missing; a procedure needs a root of type 'Elsa.Flowchart'");
            return new CompileResult(null, errors);
        }

        var rootType = WorkflowDefinitionDocument.Text(root["type"]);
        if (rootType != ActivityCatalog.Flowchart)
        {
            Fail(null, $"root has type '{rootType}'; ProcessServer runs only 'Elsa.Flowchart' roots");
            return new CompileResult(null, errors);
        }

        var declaredVariables = new Dictionary<string, VariableDeclaration>(StringComparer.Ordinal);
        foreach (var variable in document.Variables)
        {
            if (!declaredVariables.TryAdd(variable.Name, variable))
            {
                Fail(null, $"variable '{variable.Name}' is declared twice; variable names must be unique — rename or remove one");
                continue;
            }

            try
            {
                VariableValues.Coerce(variable.TypeName, variable.DefaultValue);
            }
            catch (FormatException ex)
            {
                Fail(null, $"variable '{variable.Name}': initial {ex.Message}");
            }
        }

        var activities = new Dictionary<string, CompiledActivity>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var node in root["activities"] as JsonArray ?? [])
        {
            index++;
            if (node is not JsonObject json)
            {
                Fail(null, $"activity #{index} is not a JSON object");
                continue;
            }

            var id = WorkflowDefinitionDocument.Text(json["id"]);
            var type = WorkflowDefinitionDocument.Text(json["type"]);
            if (string.IsNullOrWhiteSpace(id))
            {
                Fail(null, $"activity #{index} ({type ?? "no type"}) has no id; every activity needs a unique id");
                continue;
            }

            if (!seen.Add(id))
            {
                Fail(id, $"activity id '{id}' appears twice; activity ids must be unique within the flowchart — give {Describe(json, null)} another id");
                activities.Remove(id);
                continue;
            }

            if (string.IsNullOrWhiteSpace(type) || !_catalog.TryGet(type, out var spec))
            {
                Fail(id, $"{Describe(json, null)} has unknown type '{type}'; ProcessServer runs {string.Join(", ", _catalog.Types.Select(t => t.TypeName))}");
                continue;
            }

            var activity = new CompiledActivity(id, WorkflowDefinitionDocument.Text(json["name"]), spec, json);
            try
            {
                Prepare(activity, declaredVariables);
            }
            catch (DefinitionException ex)
            {
                Fail(id, $"{Describe(json, spec)}: {ex.Problem}");
                continue;
            }

            activities.Add(id, activity);
        }

        var connections = new List<FlowConnection>();
        var connectionSet = new HashSet<FlowConnection>();
        var forkPorts = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var hasIncoming = new HashSet<string>(StringComparer.Ordinal);

        // Ports drawn from each activity, even when the target is broken, so one broken activity
        // does not make its neighbours look unconnected too.
        var drawnPorts = new HashSet<(string Source, string Port)>();
        index = 0;
        foreach (var node in root["connections"] as JsonArray ?? [])
        {
            index++;
            if (node is not JsonObject json)
            {
                Fail(null, $"connection #{index} is not a JSON object");
                continue;
            }

            var (source, sourcePort, target) = ReadConnection(json);
            if (source is null || target is null)
            {
                Fail(null, $"connection #{index} needs source.activity and target.activity");
                continue;
            }

            drawnPorts.Add((source, sourcePort));
            var sourceKnown = activities.TryGetValue(source, out var sourceActivity);
            var targetKnown = activities.TryGetValue(target, out var targetActivity);
            if (!sourceKnown && !faulty.Contains(source) && !seen.Contains(source))
            {
                Fail(source, $"connection #{index} starts at activity '{source}', which does not exist; remove the connection or add the activity");
            }

            if (!targetKnown && !faulty.Contains(target) && !seen.Contains(target))
            {
                Fail(target, $"connection #{index} from '{source}' goes to activity '{target}', which does not exist; remove the connection or add the activity");
            }

            if (sourceKnown && targetKnown)
            {
                var connection = new FlowConnection(source, sourcePort, target);
                if (!connectionSet.Add(connection))
                {
                    // A repeated connection would run its target twice (two tasks, or a join token it cannot consume).
                    Fail(source, $"the connection from {Describe(sourceActivity!.Json, sourceActivity.Type)} ({sourcePort}) to {Describe(targetActivity!.Json, targetActivity.Type)} is drawn twice; remove the duplicate");
                    continue;
                }

                connections.Add(connection);
                hasIncoming.Add(target);
                if (sourceActivity!.Type.Kind == ActivityKind.Fork)
                {
                    if (!forkPorts.TryGetValue(source, out var ports))
                    {
                        ports = [];
                        forkPorts.Add(source, ports);
                    }

                    if (!ports.Contains(sourcePort))
                    {
                        ports.Add(sourcePort);
                    }
                }
            }

            if (sourceActivity is not null && sourceActivity.Type.Kind != ActivityKind.Fork && !sourceActivity.Ports.Contains(sourcePort))
            {
                var hint = sourcePort == Outcomes.RequestSupplement
                    ? "RequestSupplement pauses the step in place and resumes it when documents arrive, so it cannot be connected"
                    : $"its outcomes are {(sourceActivity.Ports.Count == 0 ? "none" : string.Join(", ", sourceActivity.Ports))}";
                Fail(source, $"{Describe(sourceActivity.Json, sourceActivity.Type)} has no outcome '{sourcePort}' for the connection to '{target}'; {hint}");
            }
        }

        // A fork drawn without named branches gets one branch per port used by its connections.
        foreach (var fork in activities.Values.Where(a => a.Type.Kind == ActivityKind.Fork))
        {
            var used = forkPorts.GetValueOrDefault(fork.Id) ?? [];
            if (fork.Ports.Count == 0)
            {
                fork.Ports = used;
            }
            else
            {
                foreach (var port in used.Where(p => !fork.Ports.Contains(p)))
                {
                    Fail(fork.Id, $"{Describe(fork.Json, fork.Type)} has no branch '{port}'; its branches are {string.Join(", ", fork.Ports)}");
                }
            }
        }

        foreach (var task in activities.Values.Where(a => a.Task is not null))
        {
            foreach (var outcome in task.Task!.AllowedOutcomes)
            {
                var needsConnection = outcome is not (Outcomes.Done or Outcomes.Reject or Outcomes.RequestSupplement);
                if (needsConnection && !drawnPorts.Contains((task.Id, outcome)))
                {
                    Fail(task.Id, $"{Describe(task.Json, task.Type)} allows outcome '{outcome}' but no connection leaves that port; connect it or remove the outcome");
                }
            }
        }

        var starts = activities.Values.Where(a => a.Type.Kind == ActivityKind.Start).ToList();
        if (starts.Count == 0)
        {
            Fail(null, $"the flowchart has no start; add one '{ActivityCatalog.ReceiveDossier}' activity where the dossier is received");
        }
        else if (starts.Count > 1)
        {
            foreach (var extra in starts.Skip(1))
            {
                Fail(extra.Id, $"{Describe(extra.Json, extra.Type)} is a second start; a procedure has exactly one '{ActivityCatalog.ReceiveDossier}' (the first is '{starts[0].Id}')");
            }
        }
        else if (hasIncoming.Contains(starts[0].Id))
        {
            Fail(starts[0].Id, $"{Describe(starts[0].Json, starts[0].Type)} has an incoming connection; the receipt can only be the start");
        }

        if (errors.Count > 0)
        {
            return new CompileResult(null, errors);
        }

        var start = starts[0];
        var settings = ReadSettings(start);
        return new CompileResult(new CompiledWorkflow(document, activities, connections, start, settings), errors);
    }

    private static (string? Source, string SourcePort, string? Target) ReadConnection(JsonObject json)
    {
        // Elsa 3 writes {source: {activity, port}, target: {activity, port}}; early 3.0 exports wrote
        // flat source/sourcePort/target/targetPort. Both are read; the stored JSON is left as it was.
        string? source, target, sourcePort;
        if (json["source"] is JsonObject s)
        {
            source = WorkflowDefinitionDocument.Text(s["activity"]);
            sourcePort = WorkflowDefinitionDocument.Text(s["port"]);
        }
        else
        {
            source = WorkflowDefinitionDocument.Text(json["source"]);
            sourcePort = WorkflowDefinitionDocument.Text(json["sourcePort"]);
        }

        target = json["target"] is JsonObject t ? WorkflowDefinitionDocument.Text(t["activity"]) : WorkflowDefinitionDocument.Text(json["target"]);
        return (source, string.IsNullOrWhiteSpace(sourcePort) ? Outcomes.Done : sourcePort, target);
    }

    private static void Prepare(CompiledActivity activity, IReadOnlyDictionary<string, VariableDeclaration> variables)
    {
        var json = activity.Json;
        activity.Ports = activity.Type.OutcomesOf(json);
        switch (activity.Type.Kind)
        {
            case ActivityKind.Start:
                ReadSettings(activity);
                break;
            case ActivityKind.Task:
                activity.Task = ReadTask(activity);
                break;
            case ActivityKind.Decision:
                var text = InputValue.GetString(json, "condition")
                    ?? throw new DefinitionException(activity.Id, "the decision has no condition; write one such as hasFinancialObligation or area > 500 and hasFinancialObligation");
                try
                {
                    activity.Condition = Condition.Parse(text);
                }
                catch (FormatException ex)
                {
                    throw new DefinitionException(activity.Id, $"condition: {ex.Message}");
                }

                var problems = activity.Condition.Check(variables);
                if (problems.Count > 0)
                {
                    throw new DefinitionException(activity.Id, $"condition '{activity.Condition.Text}': {string.Join("; ", problems)}");
                }

                break;
            case ActivityKind.Join:
                var mode = InputValue.GetString(json, "mode") ?? "WaitAll";
                if (mode != "WaitAll")
                {
                    throw new DefinitionException(activity.Id, $"join mode '{mode}' is not supported; use WaitAll (the join continues when every incoming branch has arrived)");
                }

                break;
            case ActivityKind.SetVariable:
                var name = json["variable"] switch
                {
                    JsonObject reference => WorkflowDefinitionDocument.Text(reference["name"]) ?? WorkflowDefinitionDocument.Text(reference["id"]),
                    JsonValue value => WorkflowDefinitionDocument.Text(value),
                    _ => null,
                };
                if (string.IsNullOrWhiteSpace(name))
                {
                    throw new DefinitionException(activity.Id, "no variable chosen; pick the variable to set");
                }

                if (!variables.TryGetValue(name, out var declaration))
                {
                    // Elsa references variables by id; accept the id when it names a declared variable.
                    throw new DefinitionException(activity.Id, $"variable '{name}' is not declared; add it to the procedure's variables");
                }

                activity.VariableName = declaration.Name;
                try
                {
                    activity.VariableValue = VariableValues.Coerce(declaration.TypeName, InputValue.GetLiteral(json, "value"));
                }
                catch (FormatException ex)
                {
                    throw new DefinitionException(activity.Id, $"{ex.Message} (variable '{name}')");
                }

                break;
        }
    }

    private static TaskTemplate ReadTask(CompiledActivity activity)
    {
        var json = activity.Json;
        var kind = activity.Type.TaskKind!.Value;
        string? Default(string input) => activity.Type.Inputs.FirstOrDefault(i => i.Name == input)?.DefaultValue?.ToString();

        var title = InputValue.GetString(json, "title") ?? Default("title") ?? activity.Name ?? activity.Id;
        var role = InputValue.GetString(json, "role") ?? Default("role") ?? "handler";
        var unit = InputValue.GetString(json, "handlingUnit");
        decimal? limit = null;
        IReadOnlyList<string> outcomes = [.. activity.Type.OutcomesOf(json)];
        var pausesClock = kind == TaskKind.Payment;
        if (kind == TaskKind.Step)
        {
            limit = InputValue.GetDecimal(json, "timeLimitDays") ?? 1m;
            if (limit < 0)
            {
                throw new DefinitionException(activity.Id, $"time limit {limit} is negative; give the step's budget in working days, e.g. 5 or 0.5");
            }

            outcomes = InputValue.GetStringList(json, "allowedOutcomes") ?? [Outcomes.Done];
            if (outcomes.Contains(Outcomes.SupplementReceived))
            {
                throw new DefinitionException(activity.Id, "'SupplementReceived' is built in (it resumes a step waiting for documents); remove it from the allowed outcomes");
            }

            pausesClock = InputValue.GetBoolean(json, "pausesClock") ?? false;
        }

        return new TaskTemplate(kind, title, unit, role, limit, outcomes, pausesClock, InputValue.GetString(json, "instructions"));
    }

    private static ProcedureSettings ReadSettings(CompiledActivity start)
    {
        var json = start.Json;
        var policyText = InputValue.GetString(json, "pausePolicy") ?? nameof(PausePolicy.Resume);
        if (!Enum.TryParse<PausePolicy>(policyText, ignoreCase: true, out var policy))
        {
            throw new DefinitionException(start.Id, $"pause policy '{policyText}' is unknown; use Resume or Restart");
        }

        var limit = InputValue.GetDecimal(json, "timeLimitDays");
        if (limit < 0)
        {
            throw new DefinitionException(start.Id, $"total time limit {limit} is negative");
        }

        return new ProcedureSettings(
            InputValue.GetString(json, "fieldCode"),
            InputValue.GetString(json, "nationalProcedureCode"),
            limit,
            InputValue.GetBoolean(json, "sameDay") ?? false,
            policy);
    }
}
