using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.PortalSync;

/// <summary>
/// Posts portal messages to the national portal's adapter: the stored envelope, plus the session
/// token when the portal wants a log-in (obtained once, renewed when the portal refuses it).
/// </summary>
/// <remarks>
/// The answer counts as taken when it is 2xx and its <c>error_code</c>, if any, is 0 or "00", as in
/// the public implementations. 401/403 renew the session and try again; 408, 429, 5xx, a non-zero
/// error code, no answer or a timeout are transient; any other 4xx means the portal refuses the
/// content itself, so the message goes to the dead-letter list at once.
/// </remarks>
public sealed class PortalTransport(IHttpClientFactory clients, IOptionsMonitor<PortalOptions> options) : IOutboxTransport, IDisposable
{
    /// <summary>Name of the HttpClient.</summary>
    public const string ClientName = "portal";

    private readonly SemaphoreSlim _login = new(1, 1);
    private string? _session;

    /// <inheritdoc />
    public string Channel => OutboxChannels.Portal;

    /// <inheritdoc />
    public void Dispose() => _login.Dispose();

    /// <inheritdoc />
    public bool Configured => options.CurrentValue.Enabled;

    /// <inheritdoc />
    public async Task<DeliveryResult> SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var client = clients.CreateClient(ClientName);
        var body = message.Body;
        string? session = null;
        if (settings.Username.Length > 0)
        {
            session = await SessionAsync(client, settings, cancellationToken);
            if (session is null)
            {
                return new DeliveryResult(DeliveryOutcome.Transient, "the portal refused the log-in or gave no session");
            }

            var envelope = JsonNode.Parse(body)!.AsObject();
            envelope["session"] = session;
            body = envelope.ToJsonString(JsonBody.Options);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Combine(settings.BaseUrl, settings.SyncPath))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (settings.MessageIdHeader.Length > 0)
        {
            request.Headers.TryAddWithoutValidation(settings.MessageIdHeader, message.Id);
        }

        foreach (var (name, value) in settings.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request, cancellationToken);
        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        var summary = $"HTTP {(int)response.StatusCode}: {Shorten(answer)}";
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            Interlocked.CompareExchange(ref _session, null, session);
            return new DeliveryResult(DeliveryOutcome.Transient, summary);
        }

        if (!response.IsSuccessStatusCode)
        {
            var transient = (int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            return new DeliveryResult(transient ? DeliveryOutcome.Transient : DeliveryOutcome.Permanent, summary);
        }

        return ErrorCode(answer) is { } code && code is not ("0" or "00")
            ? new DeliveryResult(DeliveryOutcome.Transient, $"portal error_code {code}: {Shorten(answer)}")
            : DeliveryResult.Ok;
    }

    private async Task<string?> SessionAsync(HttpClient client, PortalOptions settings, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _session) is { } known)
        {
            return known;
        }

        await _login.WaitAsync(cancellationToken);
        try
        {
            if (_session is not null)
            {
                return _session;
            }

            var login = new JsonObject { ["username"] = settings.Username, ["password"] = settings.Password };
            using var response = await client.PostAsync(Combine(settings.BaseUrl, settings.AuthPath),
                new StringContent(login.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
            _session = answer?["session"]?.ToString();
            return _session;
        }
        finally
        {
            _login.Release();
        }
    }

    private static string? ErrorCode(string answer)
    {
        try
        {
            return (JsonNode.Parse(answer) as JsonObject)?["error_code"]?.ToString();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static string Combine(string baseUrl, string path) => $"{baseUrl.TrimEnd('/')}/{path.TrimStart('/')}";

    private static string Shorten(string text) => text.Length > 300 ? text[..300] : text;
}
