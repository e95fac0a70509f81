using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Notifications;

/// <summary>
/// Sends SMS / Zalo messages through an HTTP gateway:
/// <c>POST {Url}</c> with <c>{messageId, channel, sender, to, text, kind}</c> and a bearer key.
/// 2xx is delivered; 408, 429 and 5xx are transient; any other 4xx refuses the message itself.
/// </summary>
public sealed class GatewayTransport(IHttpClientFactory clients, IOptionsMonitor<NotificationOptions> options) : IOutboxTransport
{
    /// <summary>Name of the HttpClient.</summary>
    public const string ClientName = "sms-gateway";

    /// <inheritdoc />
    public string Channel => OutboxChannels.Sms;

    /// <inheritdoc />
    public bool Configured => options.CurrentValue.Gateway.Enabled;

    /// <inheritdoc />
    public async Task<DeliveryResult> SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Gateway;
        using var request = new HttpRequestMessage(HttpMethod.Post, settings.Url)
        {
            Content = JsonContent.Create(new
            {
                messageId = message.Id,
                channel = settings.Channel,
                sender = settings.Sender,
                to = message.Recipient,
                text = message.Body,
                kind = message.Kind,
            }),
        };
        if (settings.ApiKey.Length > 0)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        }

        using var response = await clients.CreateClient(ClientName).SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return DeliveryResult.Ok;
        }

        var answer = await response.Content.ReadAsStringAsync(cancellationToken);
        var transient = (int)response.StatusCode >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
        return new DeliveryResult(transient ? DeliveryOutcome.Transient : DeliveryOutcome.Permanent,
            $"HTTP {(int)response.StatusCode}: {(answer.Length > 300 ? answer[..300] : answer)}");
    }
}
