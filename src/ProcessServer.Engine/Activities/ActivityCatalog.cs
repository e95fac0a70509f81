using System.Text.Json.Nodes;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Engine.Activities;

/// <summary>How the interpreter treats an activity type.</summary>
public enum ActivityKind
{
    /// <summary>The counter receipt that starts a dossier and its clock.</summary>
    Start,

    /// <summary>Waits for a person: creates a pending task (bookmark) and suspends the path.</summary>
    Task,

    /// <summary>Marks the result as ready at the counter (national status 9).</summary>
    ResultReady,

    /// <summary>Branches on a condition over dossier variables.</summary>
    Decision,

    /// <summary>Starts parallel branches.</summary>
    Fork,

    /// <summary>Waits for parallel branches.</summary>
    Join,

    /// <summary>Assigns a dossier variable.</summary>
    SetVariable,

    /// <summary>Ends the dossier's workflow, cancelling anything still pending.</summary>
    Finish,
}

/// <summary>What a pending task waits for; decides the national status while it is open.</summary>
public enum TaskKind
{
    /// <summary>A human processing step (national status 4).</summary>
    Step,

    /// <summary>Waiting for the applicant's financial obligation (national status 6, clock paused).</summary>
    Payment,

    /// <summary>Handing the result to the applicant (status 9 until done, then 10).</summary>
    ReturnResult,
}

/// <summary>One input of an activity type, as shown in the designer and read by the engine.</summary>
/// <param name="Name">Property name in the activity JSON (camelCase).</param>
/// <param name="TypeName">Elsa type alias of the value.</param>
/// <param name="DisplayName">Label in the designer.</param>
/// <param name="Description">Help text in the designer.</param>
/// <param name="UiHint">Elsa Studio editor (singleline, multiline, checkbox, dropdown, multi-text…).</param>
/// <param name="DefaultValue">Value used when the input is absent.</param>
public sealed record ActivityInputSpec(
    string Name,
    string TypeName,
    string DisplayName,
    string Description,
    string UiHint = "singleline",
    JsonNode? DefaultValue = null);

/// <summary>Everything the engine and the designer need to know about one activity type.</summary>
public sealed class ActivityTypeSpec
{
    internal ActivityTypeSpec(
        string typeName,
        string displayName,
        string category,
        string description,
        ActivityKind kind,
        IReadOnlyList<ActivityInputSpec> inputs,
        Func<JsonObject, IReadOnlyList<string>> outcomes,
        TaskKind? taskKind = null)
    {
        TypeName = typeName;
        DisplayName = displayName;
        Category = category;
        Description = description;
        Kind = kind;
        Inputs = inputs;
        OutcomesOf = outcomes;
        TaskKind = taskKind;
    }

    /// <summary>Fully qualified type name, e.g. <c>ProcessServer.Step</c> or <c>Elsa.FlowFork</c>.</summary>
    public string TypeName { get; }

    /// <summary>Name shown in the toolbox.</summary>
    public string DisplayName { get; }

    /// <summary>Toolbox category.</summary>
    public string Category { get; }

    /// <summary>One-line description.</summary>
    public string Description { get; }

    /// <summary>How the interpreter runs it.</summary>
    public ActivityKind Kind { get; }

    /// <summary>For <see cref="ActivityKind.Task"/>: what the task waits for.</summary>
    public TaskKind? TaskKind { get; }

    /// <summary>Inputs in designer order.</summary>
    public IReadOnlyList<ActivityInputSpec> Inputs { get; }

    /// <summary>Output ports of one activity of this type (may depend on its inputs).</summary>
    public Func<JsonObject, IReadOnlyList<string>> OutcomesOf { get; }

    /// <summary>Activity type version written into definitions.</summary>
    public int Version { get; } = 1;
}

/// <summary>Outcome names with built-in meaning.</summary>
public static class Outcomes
{
    /// <summary>The normal way out of an activity.</summary>
    public const string Done = "Done";

    /// <summary>Send the dossier back to an earlier step; the overall clock keeps running.</summary>
    public const string ReturnForRework = "ReturnForRework";

    /// <summary>Ask the applicant for more documents: the step pauses in place (national status 5).</summary>
    public const string RequestSupplement = "RequestSupplement";

    /// <summary>Documents arrived: a step paused by <see cref="RequestSupplement"/> resumes.</summary>
    public const string SupplementReceived = "SupplementReceived";

    /// <summary>Stop processing (return without resolution) unless the designer connected the port.</summary>
    public const string Reject = "Reject";

    /// <summary>The applicant met the financial obligation.</summary>
    public const string Paid = "Paid";
}

/// <summary>The activity types ProcessServer runs.</summary>
public sealed class ActivityCatalog
{
    /// <summary>Counter receipt.</summary>
    public const string ReceiveDossier = "ProcessServer.ReceiveDossier";

    /// <summary>Human step.</summary>
    public const string Step = "ProcessServer.Step";

    /// <summary>Financial obligation wait.</summary>
    public const string AwaitPayment = "ProcessServer.AwaitPayment";

    /// <summary>Result ready at the counter.</summary>
    public const string ResultReady = "ProcessServer.ResultReady";

    /// <summary>Result handed to the applicant.</summary>
    public const string ReturnResult = "ProcessServer.ReturnResult";

    /// <summary>Elsa's flowchart container.</summary>
    public const string Flowchart = "Elsa.Flowchart";

    /// <summary>The default catalogue.</summary>
    public static ActivityCatalog Default { get; } = new();

    private readonly Dictionary<string, ActivityTypeSpec> _types;

    private ActivityCatalog()
    {
        var unitInput = new ActivityInputSpec("handlingUnit", "String", "Handling unit",
            "Code of the unit that handles this task; leave empty for the unit that received the dossier.", "dropdown");
        var roleInput = new ActivityInputSpec("role", "String", "Role",
            "Job role inside the unit whose inbox shows the task, e.g. cadastral-officer.");
        var instructions = new ActivityInputSpec("instructions", "String", "Instructions",
            "What the handler must check or produce.", "multiline");

        var types = new List<ActivityTypeSpec>
        {
            new(ReceiveDossier, "Receive dossier", "Procedure",
                "Counter receipt (form 01): pins the procedure version and starts the clock.",
                ActivityKind.Start,
                [
                    new("fieldCode", "String", "Field", "Field (lĩnh vực) code used in reports, e.g. land."),
                    new("nationalProcedureCode", "String", "National procedure code", "Code in the national procedure database, e.g. 1.001193."),
                    new("timeLimitDays", "Decimal", "Total time limit (working days)",
                        "Legal limit of the whole procedure in working days; fractions allowed (0.5).", "singleline"),
                    new("sameDay", "Boolean", "Same-day procedure",
                        "Result due within the day of receipt; received after 15:00 → next working day.", "checkbox", false),
                    new("pausePolicy", "String", "On resume after a pause",
                        "Resume: keep the time already used. Restart: count the limit again from the resume.", "dropdown", "Resume"),
                ],
                _ => [Outcomes.Done]),
            new(Step, "Step", "Procedure",
                "A step handled by a person of a unit within a time limit in working days.",
                ActivityKind.Task,
                [
                    new("title", "String", "Title", "What the step is, as clerks see it in their inbox."),
                    unitInput,
                    roleInput,
                    new("timeLimitDays", "Decimal", "Time limit (working days)",
                        "Budget of this step in working days; fractions allowed (0.25, 0.5, 1.5).", "singleline", 1m),
                    new("allowedOutcomes", "String[]", "Allowed outcomes",
                        "Outcomes the handler may choose: Done, ReturnForRework, RequestSupplement, Reject or your own.",
                        "multi-text", new JsonArray(Outcomes.Done)),
                    new("pausesClock", "Boolean", "Outside the time limit",
                        "The step's time does not count towards the procedure limit (tax determination, public posting).", "checkbox", false),
                    instructions,
                ],
                StepOutcomes,
                TaskKind.Step),
            new(AwaitPayment, "Await payment", "Procedure",
                "Waits for the applicant's financial obligation (taxes, fees); the clock is paused (national status 6).",
                ActivityKind.Task,
                [
                    new("title", "String", "Title", "Shown in the inbox.", "singleline", "Applicant pays the financial obligation"),
                    unitInput,
                    new("role", "String", "Role", "Role that records the payment.", "singleline", "counter-clerk"),
                    instructions,
                ],
                _ => [Outcomes.Paid],
                TaskKind.Payment),
            new(ResultReady, "Result ready", "Procedure",
                "Processing is finished and the result waits at the counter (national status 9); the dossier is judged here.",
                ActivityKind.ResultReady,
                [],
                _ => [Outcomes.Done]),
            new(ReturnResult, "Return result", "Procedure",
                "The counter hands the result to the applicant (national status 10).",
                ActivityKind.Task,
                [
                    new("title", "String", "Title", "Shown in the inbox.", "singleline", "Return the result to the applicant"),
                    unitInput,
                    new("role", "String", "Role", "Role of the counter clerk.", "singleline", "counter-clerk"),
                ],
                _ => [Outcomes.Done],
                TaskKind.ReturnResult),
            new("Elsa.FlowDecision", "Decision", "Branching",
                "Continues on True or False depending on a condition over dossier variables.",
                ActivityKind.Decision,
                [
                    new("condition", "Boolean", "Condition",
                        "Over the declared variables: and/&&, or/||, not/!, parentheses, == != > >= < <= on numbers, 'text', true/false and date('2025-07-01'); e.g. area > 500 && hasFinancialObligation."),
                ],
                _ => ["True", "False"]),
            new("Elsa.FlowFork", "Fork", "Branching",
                "Starts parallel branches, one per branch name.",
                ActivityKind.Fork,
                [
                    new("branches", "String[]", "Branches", "Names of the parallel branches (ports).", "dynamic-outcomes"),
                ],
                ForkOutcomes),
            new("Elsa.FlowJoin", "Join", "Branching",
                "Waits until every incoming branch has arrived, then continues.",
                ActivityKind.Join,
                [
                    new("mode", "String", "Mode", "WaitAll: continue when every incoming branch has arrived.", "dropdown", "WaitAll"),
                ],
                _ => [Outcomes.Done]),
            new("Elsa.SetVariable", "Set variable", "Primitives",
                "Assigns a value to a dossier variable.",
                ActivityKind.SetVariable,
                [
                    new("variable", "Object", "Variable", "The variable to set.", "variable-picker"),
                    new("value", "Object", "Value", "The value, converted to the variable's declared type."),
                ],
                _ => [Outcomes.Done]),
            new("Elsa.Finish", "Finish", "Primitives",
                "Ends the dossier's workflow; anything still pending is cancelled.",
                ActivityKind.Finish,
                [],
                _ => []),
        };
        _types = types.ToDictionary(t => t.TypeName, StringComparer.Ordinal);
    }

    /// <summary>All known activity types.</summary>
    public IReadOnlyCollection<ActivityTypeSpec> Types => _types.Values;

    /// <summary>Looks up a type by its full name.</summary>
    public bool TryGet(string typeName, out ActivityTypeSpec spec) => _types.TryGetValue(typeName, out spec!);

    private static IReadOnlyList<string> StepOutcomes(JsonObject activity)
    {
        var allowed = InputValue.GetStringList(activity, "allowedOutcomes") ?? [Outcomes.Done];

        // RequestSupplement pauses the step in place, so it is a choice for the clerk but not a port.
        return allowed.Where(o => o != Outcomes.RequestSupplement).ToList();
    }

    private static IReadOnlyList<string> ForkOutcomes(JsonObject activity)
    {
        var declared = InputValue.GetStringList(activity, "branches");
        if (declared is not null)
        {
            return declared;
        }

        // Elsa's designer lets a fork be drawn without naming branches: every port used by an
        // outgoing connection is then a branch. The compiler fills these in from the connections.
        return [];
    }
}
