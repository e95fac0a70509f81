using System.Text.Encodings.Web;
using System.Text.Json;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Reads a JSON request body with a message that names the offending field, instead of the
/// framework's bare "Bad Request".
/// </summary>
public static class JsonBody
{
    /// <summary>Web defaults: camelCase, case-insensitive, numbers only as numbers.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        // Vietnamese names and quotes stay readable in responses instead of \u escapes (JSON, never embedded in HTML).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The raw body text and the parsed value, or a 400 problem.</summary>
    public static async Task<(string Text, T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (text, null, Problems.Result(400, "Request body missing", "Send the request as a JSON object in the body."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(text, Options);
            return value is null
                ? (text, null, Problems.Result(400, "Request body missing", "The body is JSON null; send a JSON object."))
                : (text, value, null);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "the body" : $"field '{ex.Path.TrimStart('$', '.')}'";
            return (text, null, Problems.Result(400, "Request body is not valid",
                $"Could not read {field}: check its type and the JSON syntax around line {ex.LineNumber + 1}."));
        }
    }
}
