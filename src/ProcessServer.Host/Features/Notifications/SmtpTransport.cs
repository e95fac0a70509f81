using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Notifications;

/// <summary>Sends e-mail messages over SMTP with MailKit, one connection per message.</summary>
/// <remarks>
/// A 5xx reply to the recipient or the data (mailbox unknown, message refused) is permanent; a 4xx
/// reply, a refused connection or a timeout is transient. The Message-Id is derived from the outbox
/// id, so a repeat after a crash is the same message to the receiving server.
/// </remarks>
public sealed class SmtpTransport(IOptionsMonitor<NotificationOptions> options) : IOutboxTransport
{
    /// <inheritdoc />
    public string Channel => OutboxChannels.Email;

    /// <inheritdoc />
    public bool Configured => options.CurrentValue.Email.Enabled;

    /// <inheritdoc />
    public async Task<DeliveryResult> SendAsync(OutboxMessage message, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue.Email;
        var mail = new MimeMessage
        {
            Subject = message.Subject ?? string.Empty,
            Body = new TextPart("plain") { Text = message.Body },
            MessageId = $"{message.Id}@processserver",
        };
        mail.From.Add(new MailboxAddress(settings.FromName, settings.From));
        if (!MailboxAddress.TryParse(message.Recipient, out var to))
        {
            return new DeliveryResult(DeliveryOutcome.Permanent, $"'{message.Recipient}' is not an e-mail address");
        }

        mail.To.Add(to);
        using var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(settings.Host, settings.Port, Enum.Parse<SecureSocketOptions>(settings.Security, ignoreCase: true), cancellationToken);
            if (settings.User.Length > 0)
            {
                await client.AuthenticateAsync(settings.User, settings.Password, cancellationToken);
            }

            await client.SendAsync(mail, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return DeliveryResult.Ok;
        }
        catch (SmtpCommandException ex)
        {
            var permanent = (int)ex.StatusCode >= 500;
            return new DeliveryResult(permanent ? DeliveryOutcome.Permanent : DeliveryOutcome.Transient, $"SMTP {(int)ex.StatusCode}: {ex.Message}");
        }
    }
}
