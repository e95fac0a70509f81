namespace ProcessServer.Engine.Definitions;

/// <summary>A workflow definition cannot be run as written.</summary>
public sealed class DefinitionException : Exception
{
    /// <summary>Creates the exception for one activity (or the whole definition when <paramref name="activityId"/> is null).</summary>
    public DefinitionException(string? activityId, string problem)
        : base(activityId is null ? problem : $"activity '{activityId}': {problem}")
    {
        ActivityId = activityId;
        Problem = problem;
    }

    /// <summary>The activity at fault, when there is one.</summary>
    public string? ActivityId { get; }

    /// <summary>The problem, without the activity prefix.</summary>
    public string Problem { get; }
}

/// <summary>One problem found while validating a definition.</summary>
/// <param name="ActivityId">The activity at fault, or null for a problem of the whole definition.</param>
/// <param name="Message">What is wrong and how to fix it, naming the activity.</param>
/// <param name="Field">The property at fault (an input name, or a path such as <c>variables[2].value</c>), when known.</param>
public sealed record DefinitionError(string? ActivityId, string Message, string? Field = null);
