using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Host.Features.OData;

/// <summary>A query the feed refuses: answered with an OData error, 400 unless said otherwise.</summary>
internal sealed class FeedQueryException(string code, string message, string? target = null, int status = 400) : Exception(message)
{
    public string Code { get; } = code;

    public string? Target { get; } = target;

    public int Status { get; } = status;
}

/// <summary>
/// The <c>$skiptoken</c> of our next links. Kept on top of the library's own skip token because it does
/// more: the sort values of the last row sent (keyset paging, so dossiers added meanwhile neither repeat
/// nor skip rows, null sort values included), the rows served so far (so <c>$top</c> is honoured across
/// pages), the count (computed once per query, not on every page) and the page size. For <c>$apply</c>
/// results, which have no key, an offset. Opaque to clients: base64url of a small JSON document.
/// </summary>
internal sealed record SkipToken(IReadOnlyList<object?> Values, long Served, long? Count, int PageSize, long Offset)
{
    public string Encode()
    {
        var values = new JsonArray([.. Values.Select(EncodeValue)]);
        var json = new JsonObject { ["v"] = values, ["n"] = Served, ["c"] = Count, ["p"] = PageSize, ["o"] = Offset };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static SkipToken Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var json = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(base64)))!.AsObject();
            var values = json["v"]!.AsArray().Select(DecodeValue).ToList();
            return new SkipToken(values, json["n"]!.GetValue<long>(), json["c"]?.GetValue<long>(), json["p"]!.GetValue<int>(),
                json["o"]?.GetValue<long>() ?? 0);
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FeedQueryException("InvalidSkipToken", "The $skiptoken is not valid. Follow the @odata.nextLink as given.", "$skiptoken");
        }
    }

    private static JsonNode? EncodeValue(object? value) => value switch
    {
        null => null,
        string s => "s" + s,
        int i => "i" + i.ToString(CultureInfo.InvariantCulture),
        long l => "l" + l.ToString(CultureInfo.InvariantCulture),
        double d => "d" + d.ToString("R", CultureInfo.InvariantCulture),
        decimal m => "m" + m.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "b1" : "b0",
        DateTime t => "t" + t.Ticks.ToString(CultureInfo.InvariantCulture),
        DateOnly d => "D" + d.DayNumber.ToString(CultureInfo.InvariantCulture),
        DateTimeOffset o => "o" + o.UtcTicks.ToString(CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"cannot page on values of type {value.GetType().Name}"),
    };

    private static object? DecodeValue(JsonNode? node)
    {
        if (node is null)
        {
            return null;
        }

        var text = node.GetValue<string>();
        var body = text[1..];
        var culture = CultureInfo.InvariantCulture;
        return text[0] switch
        {
            's' => body,
            'i' => int.Parse(body, culture),
            'l' => long.Parse(body, culture),
            'd' => double.Parse(body, culture),
            'm' => decimal.Parse(body, culture),
            'b' => body == "1",
            't' => new DateTime(long.Parse(body, culture), DateTimeKind.Utc),
            'D' => DateOnly.FromDayNumber(int.Parse(body, culture)),
            'o' => new DateTimeOffset(long.Parse(body, culture), TimeSpan.Zero),
            _ => throw new FormatException("unknown value tag"),
        };
    }
}
