using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// JSON as the Studio reads it: camelCase names (matching is case-sensitive in the browser, CONTRACT
/// §2.2), ISO dates with offset, envelopes <c>{items, count}</c> and <c>{items, totalCount}</c>.
/// Responses are built as JSON trees so every property name is written exactly as the contract says.
/// </summary>
public static class StudioJson
{
    /// <summary>Serializer options for request bodies and values.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JsonBody.Options.Encoder,
    };

    /// <summary>A 200 response with a JSON body.</summary>
    public static IResult Ok(JsonNode body) => Results.Text(body.ToJsonString(Options), "application/json", statusCode: 200);

    /// <summary><c>{items, count}</c>.</summary>
    public static JsonObject List(IEnumerable<JsonNode?> items)
    {
        var array = new JsonArray([.. items]);
        return new JsonObject { ["items"] = array, ["count"] = array.Count };
    }

    /// <summary><c>{items, totalCount}</c>.</summary>
    public static JsonObject Paged(IEnumerable<JsonNode?> items, int totalCount) =>
        new() { ["items"] = new JsonArray([.. items]), ["totalCount"] = totalCount };

    /// <summary>A link; only <c>rel</c> is read by the Studio.</summary>
    public static JsonObject Link(string href, string rel, string method) => new() { ["href"] = href, ["rel"] = rel, ["method"] = method };

    /// <summary>An instant as the Studio expects it (ISO 8601 with offset).</summary>
    public static JsonNode? Date(DateTime? utc) => utc is null
        ? null
        : JsonValue.Create(new DateTimeOffset(DateTime.SpecifyKind(utc.Value, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffK", CultureInfo.InvariantCulture));

    /// <summary>
    /// A 400 the Studio shows as one red message per entry (CONTRACT §2.4 and §3.3): <c>{"errors": [...]}</c>,
    /// with the problem-details fields beside it for other readers.
    /// </summary>
    public static IResult Errors(string title, IEnumerable<string> messages, int status = 400, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        var list = messages.ToList();
        var body = new JsonObject
        {
            ["type"] = status == 409 ? "https://tools.ietf.org/html/rfc9110#section-15.5.10" : "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = string.Join(" ", list),
            ["errors"] = new JsonArray([.. list.Select(m => (JsonNode?)JsonValue.Create(m))]),
        };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            body[key] = JsonSerializer.SerializeToNode(value, Options);
        }

        return Results.Text(body.ToJsonString(Options), "application/problem+json", statusCode: status);
    }

    /// <summary>Reads a JSON object body; an empty body reads as an empty object.</summary>
    public static async Task<(JsonObject? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (new JsonObject(), null);
        }

        try
        {
            return JsonBody.ParseNode(text) is JsonObject body
                ? (body, null)
                : (null, Errors("Request body is not valid", ["Send the request as a JSON object."]));
        }
        catch (JsonException ex)
        {
            return (null, Errors("Request body is not valid", [$"The body is not valid JSON: {ex.Message}"]));
        }
    }

    /// <summary>Reads a string property case-insensitively (the Studio mixes naming styles in some bodies).</summary>
    public static string? Text(JsonObject? json, string name)
    {
        var node = Property(json, name);
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToString();
    }

    /// <summary>Reads an integer property (number or numeric string).</summary>
    public static int? Number(JsonObject? json, string name) => Property(json, name) switch
    {
        JsonValue v when v.TryGetValue<int>(out var n) => n,
        JsonValue v when v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>Reads a Boolean property (true/false or "True"/"False").</summary>
    public static bool? Bool(JsonObject? json, string name) => Property(json, name) switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() is JsonValueKind.False => false,
        JsonValue v when v.TryGetValue<string>(out var s) && bool.TryParse(s, out var b) => b,
        _ => null,
    };

    /// <summary>Reads a list of strings; a single string reads as a one-item list.</summary>
    public static IReadOnlyList<string> Strings(JsonObject? json, string name) => Property(json, name) switch
    {
        JsonArray array => array.Select(i => i?.ToString()).Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList(),
        JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => [s],
        _ => [],
    };

    private static JsonNode? Property(JsonObject? json, string name)
    {
        if (json is null)
        {
            return null;
        }

        if (json.TryGetPropertyValue(name, out var exact))
        {
            return exact;
        }

        return json.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
    }
}

/// <summary>Reads the Studio's query strings: keys and Booleans case-insensitively, repeated keys as lists (CONTRACT §2.3).</summary>
public static class StudioQuery
{
    /// <summary>The first value of a key, or null.</summary>
    public static string? Get(HttpRequest request, string key)
    {
        var values = request.Query[key];
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>An integer value.</summary>
    public static int? Number(HttpRequest request, string key) =>
        int.TryParse(Get(request, key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A Boolean value (True/False/true/false).</summary>
    public static bool? Bool(HttpRequest request, string key) => bool.TryParse(Get(request, key), out var b) ? b : null;

    /// <summary>Every value of a repeated key (also comma-separated ones).</summary>
    public static IReadOnlyList<string> List(HttpRequest request, string key) =>
        request.Query[key].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
