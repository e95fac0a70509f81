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

    /// <summary>Validates and compiles a definition.</summary>
    public CompileResult Compile(WorkflowDefinitionDocument document)
    {
        var errors = new List<DefinitionError>();
        void Fail(string? activityId, string message) => errors.Add(new DefinitionError(activityId, message));

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

        var rootType = root["type"]?.ToString();
        if (rootType != ActivityCatalog.Flowchart)
        {
            Fail(null, $"root has type '{rootType}'; ProcessServer runs only 'Elsa.Flowchart' roots");
            return new CompileResult(null, errors);
        }

        var declaredVariables = document.Variables.ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var variable in document.Variables)
        {
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
        var index = 0;
        foreach (var node in root["activities"] as JsonArray ?? [])
        {
            index++;
            if (node is not JsonObject json)
            {
                Fail(null, $"activity #{index} is not a JSON object");
                continue;
            }

            var id = json["id"]?.ToString();
            var type = json["type"]?.ToString();
            if (string.IsNullOrWhiteSpace(id))
            {
                Fail(null, $"activity #{index} ({type ?? "no type"}) has no id; every activity needs a unique id");
                continue;
            }

            if (activities.ContainsKey(id))
            {
                Fail(id, $"activity '{id}' appears twice; activity ids must be unique within the flowchart");
                continue;
            }

            if (string.IsNullOrWhiteSpace(type) || !_catalog.TryGet(type, out var spec))
            {
                Fail(id, $"activity '{id}' has unknown type '{type}'; ProcessServer runs {string.Join(", ", _catalog.Types.Select(t => t.TypeName))}");
                continue;
            }

            var activity = new CompiledActivity(id, json["name"]?.ToString(), spec, json);
            try
            {
                Prepare(activity, declaredVariables);
            }
            catch (DefinitionException ex)
            {
                Fail(id, $"activity '{id}' ({spec.DisplayName}): {ex.Problem}");
                continue;
            }

            activities.Add(id, activity);
        }

        var connections = new List<FlowConnection>();

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
            var targetKnown = activities.ContainsKey(target);
            if (!sourceKnown && !errors.Any(e => e.ActivityId == source))
            {
                Fail(source, $"connection #{index} starts at activity '{source}', which does not exist; remove the connection or add the activity");
            }

            if (!targetKnown && !errors.Any(e => e.ActivityId == target))
            {
                Fail(target, $"connection #{index} from '{source}' goes to activity '{target}', which does not exist; remove the connection or add the activity");
            }

            if (sourceKnown && targetKnown)
            {
                var connection = new FlowConnection(source, sourcePort, target);
                if (connections.Contains(connection))
                {
                    // A repeated connection would run its target twice (two tasks, or a join token it cannot consume).
                    Fail(source, $"connection #{index} from '{source}' ({sourcePort}) to '{target}' is drawn twice; remove the duplicate");
                    continue;
                }

                connections.Add(connection);
            }

            if (sourceActivity is not null && sourceActivity.Type.Kind != ActivityKind.Fork && !sourceActivity.Ports.Contains(sourcePort))
            {
                var hint = sourcePort == Outcomes.RequestSupplement
                    ? "RequestSupplement pauses the step in place and resumes it when documents arrive, so it cannot be connected"
                    : $"its outcomes are {(sourceActivity.Ports.Count == 0 ? "none" : string.Join(", ", sourceActivity.Ports))}";
                Fail(source, $"activity '{source}' ({sourceActivity.DisplayName}) has no outcome '{sourcePort}' for the connection to '{target}'; {hint}");
            }
        }

        // A fork drawn without named branches gets one branch per port used by its connections.
        foreach (var fork in activities.Values.Where(a => a.Type.Kind == ActivityKind.Fork))
        {
            var used = connections.Where(c => c.Source == fork.Id).Select(c => c.SourcePort).Distinct().ToList();
            if (fork.Ports.Count == 0)
            {
                fork.Ports = used;
            }
            else
            {
                foreach (var port in used.Where(p => !fork.Ports.Contains(p)))
                {
                    Fail(fork.Id, $"fork '{fork.Id}' has no branch '{port}'; its branches are {string.Join(", ", fork.Ports)}");
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
                    Fail(task.Id, $"step '{task.Id}' ({task.DisplayName}) allows outcome '{outcome}' but no connection leaves that port; connect it or remove the outcome");
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
                Fail(extra.Id, $"activity '{extra.Id}' is a second start; a procedure has exactly one '{ActivityCatalog.ReceiveDossier}' (the first is '{starts[0].Id}')");
            }
        }
        else if (connections.Any(c => c.Target == starts[0].Id))
        {
            Fail(starts[0].Id, $"activity '{starts[0].Id}' (receipt) has an incoming connection; the receipt can only be the start");
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
            source = s["activity"]?.ToString();
            sourcePort = s["port"]?.ToString();
        }
        else
        {
            source = json["source"]?.ToString();
            sourcePort = json["sourcePort"]?.ToString();
        }

        target = json["target"] is JsonObject t ? t["activity"]?.ToString() : json["target"]?.ToString();
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
                    ?? throw new DefinitionException(activity.Id, "the decision has no condition; write a variable name or a comparison such as hasFinancialObligation == true");
                try
                {
                    activity.Condition = Condition.Parse(text);
                }
                catch (FormatException ex)
                {
                    throw new DefinitionException(activity.Id, ex.Message);
                }

                if (activity.Condition.Variable is { } read && !variables.ContainsKey(read))
                {
                    throw new DefinitionException(activity.Id, $"the condition reads variable '{read}', which the procedure does not declare; add it to the variables");
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
                    JsonObject reference => reference["name"]?.ToString() ?? reference["id"]?.ToString(),
                    JsonValue value => value.ToString(),
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
