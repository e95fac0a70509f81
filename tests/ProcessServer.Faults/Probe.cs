using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProcessServer.Faults;

/// <summary>
/// One request a scenario sends, kept whole so a problem can be printed as the exact request that
/// reproduces it (keys shown by name: they are random per run).
/// </summary>
public sealed class Probe
{
    public Probe(HttpMethod method, string pathAndQuery)
    {
        Method = method;
        Path = pathAndQuery;
    }

    public HttpMethod Method { get; }

    /// <summary>Path and query, already escaped as sent.</summary>
    public string Path { get; }

    /// <summary>The key sent as X-Api-Key, if any.</summary>
    public Principal? Key { get; private set; }

    /// <summary>Headers besides the key (including raw credentials for wrong-key probes).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    public byte[]? Body { get; private set; }

    public string? ContentType { get; private set; }

    /// <summary>What the scenario was doing (mutation, round, expectation), printed with the request.</summary>
    public string? Note { get; set; }

    /// <summary>Why the last send got no answer (connection refused, reset, timeout).</summary>
    public string? LastError { get; set; }

    public static Probe Get(string path) => new(HttpMethod.Get, path);

    public static Probe Post(string path) => new(HttpMethod.Post, path);

    public static Probe Put(string path) => new(HttpMethod.Put, path);

    public static Probe Delete(string path) => new(HttpMethod.Delete, path);

    public Probe As(Principal? key)
    {
        Key = key;
        return this;
    }

    public Probe Header(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    public Probe Json(JsonNode? body) => Text(body?.ToJsonString(JsonOptions) ?? "null");

    public Probe Json(object body) => Text(JsonSerializer.Serialize(body, JsonOptions));

    public Probe Text(string body, string contentType = "application/json") => Bytes(Encoding.UTF8.GetBytes(body), contentType);

    public Probe Bytes(byte[] body, string? contentType)
    {
        Body = body;
        ContentType = contentType;
        return this;
    }

    /// <summary>The body as text (for checks and printing).</summary>
    public string BodyText => Body is null ? string.Empty : Encoding.UTF8.GetString(Body);

    public HttpRequestMessage ToRequest()
    {
        var request = new HttpRequestMessage(Method, new Uri(Path, UriKind.Relative));
        if (Key is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Api-Key", Key.Secret);
        }

        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);

            // A server refusing a big body by its size answers before the body is sent, instead
            // of the client writing megabytes into a connection the server has closed.
            request.Headers.ExpectContinue = Body.Length > 1_000_000 ? true : null;
            if (ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        foreach (var (name, value) in Headers)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    /// <summary>The request as a curl command line (body shortened when long).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (Note is not null)
        {
            text.Append(Note).Append('\n');
        }

        if (LastError is not null)
        {
            text.Append("no answer: ").Append(LastError).Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"curl -X {Method} '$BASE{Path}'");
        if (Key is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" -H 'X-Api-Key: <key of {Key.Name}>'");
        }

        foreach (var (name, value) in Headers)
        {
            text.Append(CultureInfo.InvariantCulture, $" -H '{name}: {Shorten(value, 200)}'");
        }

        if (Body is not null)
        {
            if (ContentType is not null)
            {
                text.Append(CultureInfo.InvariantCulture, $" -H 'Content-Type: {ContentType}'");
            }

            text.Append(CultureInfo.InvariantCulture, $" --data-binary '{Shorten(BodyText, 1500)}'");
            if (Body.Length > 1500)
            {
                text.Append(CultureInfo.InvariantCulture, $"   ({Body.Length:N0} bytes in all)");
            }
        }

        return text.ToString();
    }

    public static string Shorten(string text, int max)
    {
        var flat = text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        return flat.Length <= max ? flat : string.Concat(flat.AsSpan(0, max / 2), $" …[{flat.Length - max:N0} chars]… ", flat.AsSpan(flat.Length - max / 2));
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>An answer to a probe.</summary>
public sealed class Answer
{
    public required int Status { get; init; }

    public required string Body { get; init; }

    /// <summary>Response headers; none for answers of in-process handler calls.</summary>
    public HttpResponseHeaders? Headers { get; init; }

    /// <summary>For in-process handler calls: whether the answer was the stored first one.</summary>
    public bool ReplayedFlag { get; init; }

    public HttpContentHeaders? ContentHeaders { get; init; }

    public TimeSpan Elapsed { get; init; }

    public bool Replayed => ReplayedFlag || (Headers is not null && Headers.TryGetValues("Idempotent-Replayed", out var v) && v.Contains("true"));

    public bool IsSuccess => Status is >= 200 and < 300;

    public JsonNode? Json()
    {
        try
        {
            return JsonNode.Parse(Body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public JsonObject? JsonObject() => Json() as JsonObject;

    /// <summary>Retry-After of a 429, bounded so a scenario never stalls on a misconfigured limiter.</summary>
    public TimeSpan RetryAfter()
    {
        var delta = Headers?.RetryAfter?.Delta;
        return delta is { } d ? TimeSpan.FromSeconds(Math.Clamp(d.TotalSeconds, 0.05, 5)) : TimeSpan.FromMilliseconds(500);
    }
}

/// <summary>Sends probes and counts attempts, answers, 5xx and unanswered requests.</summary>
public sealed class FaultClient(HttpClient http, FaultReport report)
{
    public HttpClient Http { get; } = http;

    /// <summary>
    /// Sends one probe. Returns null when no answer came (connection refused or reset, timeout).
    /// A 5xx is recorded as a server error. A 429 is waited out (Retry-After) and sent again up to
    /// <paramref name="rateLimitRetries"/> times: rate limiting is an expected answer, not a fault.
    /// </summary>
    public async Task<Answer?> SendAsync(Probe probe, int rateLimitRetries = 3, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var answer = await SendOnceAsync(probe, cancellationToken);
            if (answer is { Status: 429 } && attempt < rateLimitRetries)
            {
                report.Count("rate-limited (429)");
                await Task.Delay(answer.RetryAfter(), cancellationToken);
                continue;
            }

            return answer;
        }
    }

    private async Task<Answer?> SendOnceAsync(Probe probe, CancellationToken cancellationToken)
    {
        report.Attempt();
        using var request = probe.ToRequest();
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var answer = new Answer
            {
                Status = (int)response.StatusCode,
                Body = body,
                Headers = response.Headers,
                ContentHeaders = response.Content.Headers,
                Elapsed = watch.Elapsed,
            };
            if (answer.Status >= 500)
            {
                report.ServerError(probe, answer);
            }

            return answer;
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            probe.LastError = $"{ex.GetType().Name}: {ex.Message}";
            report.NoAnswer();
            return null;
        }
    }
}

/// <summary>Small helpers over JSON answers.</summary>
public static class Json
{
    public static string Text(JsonNode? node, string property) => node?[property]?.GetValue<string>() ?? string.Empty;

    public static int Number(JsonNode? node, string property) => node?[property]?.GetValue<int>() ?? 0;

    public static HttpStatusCode Code(int status) => (HttpStatusCode)status;
}
