using System.Text.Json.Nodes;
using ProcessServer.Engine.Definitions;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Options of definition checking (configuration section <c>ProcessServer:Definitions</c>).</summary>
public sealed class DefinitionOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Definitions";

    /// <summary>Size limits; a definition over one is refused with 400 naming the field.</summary>
    public DefinitionLimits Limits { get; set; } = new();
}

/// <summary>
/// The server's one entry to <see cref="DefinitionValidator"/> with the configured limits: the REST
/// lifecycle, the designer backend and import all judge definitions through it. Stored content is
/// judged with <see cref="Judge(string)"/>, which never throws, so a version an older server stored
/// and this one cannot read is reported as broken instead of breaking lists and feeds.
/// </summary>
public class DefinitionChecker(DefinitionOptions options)
{
    private readonly DefinitionValidator _validator = new(options.Limits);

    /// <summary>The limits in force.</summary>
    public DefinitionLimits Limits => _validator.Limits;

    /// <summary>Judges a definition received from a client.</summary>
    public virtual DefinitionReport Judge(WorkflowDefinitionDocument document) => _validator.Validate(document);

    /// <summary>Judges stored content; unreadable JSON is a refusal, never an exception.</summary>
    public virtual DefinitionReport Judge(string json)
    {
        WorkflowDefinitionDocument document;
        try
        {
            document = WorkflowDefinitionDocument.Parse(json);
        }
        catch (DefinitionException ex)
        {
            return DefinitionValidator.Unreadable($"the stored definition cannot be read: {ex.Problem}");
        }

        return _validator.Validate(document);
    }

    /// <summary>The first text that is not valid Unicode in a received body (checked before anything reads it).</summary>
    public static DefinitionError? FindInvalidText(JsonNode? body) => DefinitionValidator.FindInvalidText(body);
}
