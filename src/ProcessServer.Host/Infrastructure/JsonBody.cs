using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

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

        // A property sent twice is refused when read (400 naming it) instead of surfacing later as
        // a duplicate-key failure deep inside a handler (found by the fault suite's definition fuzzing).
        AllowDuplicateProperties = false,
    };

    /// <summary>How user JSON is parsed into nodes: a property sent twice is an error, not a later 500.</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

    /// <summary>Parses user JSON into a node, refusing duplicate properties with a <see cref="JsonException"/>.</summary>
    public static JsonNode? ParseNode(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: DocumentOptions);
        }
        catch (InvalidOperationException ex)
        {
            // The duplicate check reads every property name; a name that is not valid Unicode (a lone
            // surrogate escaped as \uD800) cannot be read and must be refused like any other bad JSON.
            throw new JsonException($"A property name is not valid Unicode text (a lone surrogate?): {ex.Message}", ex);
        }
    }

    /// <summary>The raw body text and the parsed value, or a 400 problem.</summary>
    public static async Task<(string Text, T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
        where T : class
    {
        var text = await ReadTextAsync(request, cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (text, null, Problems.Result(400, "Request body missing", "Send the request as a JSON object in the body."));
        }

        try
        {
            // Nodes go through JsonDocument, whose duplicate check raises a JsonException with the
            // property's path; the serializer's node converter would throw a bare ArgumentException.
            T? value;
            if (typeof(JsonNode).IsAssignableFrom(typeof(T)))
            {
                var node = ParseNode(text);
                value = node as T;
                if (node is not null && value is null)
                {
                    return (text, null, Problems.Result(400, "Request body is not valid", "Send the request as a JSON object in the body."));
                }
            }
            else
            {
                value = JsonSerializer.Deserialize<T>(text, Options);
            }

            return value is null
                ? (text, null, Problems.Result(400, "Request body missing", "The body is JSON null; send a JSON object."))
                : (text, value, null);
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "the body" : $"field '{ex.Path.TrimStart('$', '.')}'";
            return (text, null, Problems.Result(400, "Request body is not valid", ex.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase)
                ? $"Could not read {field}: a property appears twice there; send each property once."
                : $"Could not read {field}: check its type and the JSON syntax around line {ex.LineNumber + 1}."));
        }
    }

    /// <summary>
    /// The body as text, decoded as a <see cref="StreamReader"/> decodes it (UTF-8 unless a byte
    /// order mark says otherwise, invalid bytes as U+FFFD), read from the request's pipe: a reader
    /// allocated two kilobyte-sized buffers and a builder for every request, most bodies being a
    /// few hundred bytes that the pipe already holds.
    /// </summary>
    private static async Task<string> ReadTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var pipe = request.BodyReader;
        while (true)
        {
            var read = await pipe.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                var text = Decode(read.Buffer);
                pipe.AdvanceTo(read.Buffer.End);
                return text;
            }

            // Nothing consumed until the whole body is there.
            pipe.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static string Decode(ReadOnlySequence<byte> body)
    {
        Span<byte> head = stackalloc byte[4];
        var length = (int)Math.Min(4, body.Length);
        body.Slice(0, length).CopyTo(head);
        head = head[..length];
        var (encoding, skip) = head switch
        {
            [0xEF, 0xBB, 0xBF, ..] => (Encoding.UTF8, 3),
            [0xFF, 0xFE, 0x00, 0x00] => (Encoding.UTF32, 4),
            [0xFF, 0xFE, ..] => (Encoding.Unicode, 2),
            [0xFE, 0xFF, ..] => (Encoding.BigEndianUnicode, 2),
            [0x00, 0x00, 0xFE, 0xFF] => (new UTF32Encoding(bigEndian: true, byteOrderMark: true), 4),
            _ => (Encoding.UTF8, 0),
        };
        return encoding.GetString(body.Slice(skip));
    }
}
