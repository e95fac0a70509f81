using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

/// <summary>
/// How the throughput benchmarks call the clerk API, on SQLite and on PostgreSQL alike: a POST with
/// the clerk's key, an Idempotency-Key and If-Match; a completion's answer read into a pooled buffer,
/// timed to its last byte, then only what the next step needs taken from it.
/// </summary>
internal static class ClerkCalls
{
    /// <summary>A clerk's POST: <paramref name="body"/> as JSON, the API key, the Idempotency-Key and, when given, If-Match on the version.</summary>
    public static HttpRequestMessage Post(string path, string key, object body, int? version, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", key);
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (version is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", $"\"{version}\"");
        }

        return request;
    }

    /// <summary>
    /// Reads an answer's body into a pooled buffer (grown from the pool when too small). HttpClient
    /// buffering the body itself made an array of its length, and a 192-entry journal's answer
    /// (over 100 KB) goes to the large-object heap: the client then ran a full collection every ten
    /// completions, pausing whichever request it was timing. The client shares the two cores with
    /// the server and must not weigh on what is measured.
    /// </summary>
    public static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response, byte[] buffer)
    {
        await using var body = await response.Content.ReadAsStreamAsync();
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = larger;
            }

            var read = await body.ReadAsync(buffer.AsMemory(length));
            if (read == 0)
            {
                return (buffer, length);
            }

            length += read;
        }
    }

    /// <summary>What the next step needs of a completion's answer (its id, version and current tasks), taken from the UTF-8 without a copy of the whole.</summary>
    public static JsonObject Next(HttpResponseMessage response, ReadOnlyMemory<byte> body)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"expected {HttpStatusCode.OK}, got {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body.Span)}");
        }

        using var answer = JsonDocument.Parse(body);
        var root = answer.RootElement;
        return new JsonObject
        {
            ["id"] = root.GetProperty("id").GetString(),
            ["version"] = root.GetProperty("version").GetInt32(),
            ["currentTasks"] = JsonNode.Parse(root.GetProperty("currentTasks").GetRawText()),
        };
    }
}
