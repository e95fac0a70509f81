using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Outbox;

/// <summary>How a try ended.</summary>
public enum DeliveryOutcome
{
    /// <summary>The receiver took the message.</summary>
    Delivered,

    /// <summary>It may work later (unreachable, timeout, 5xx, busy): try again after a back-off.</summary>
    Transient,

    /// <summary>The receiver refused the content itself (e.g. 400): trying again cannot help; dead-letter at once.</summary>
    Permanent,
}

/// <summary>What one try of one message gave.</summary>
/// <param name="Outcome">Delivered, transient or permanent failure.</param>
/// <param name="Detail">The receiver's answer or the error, for the dead-letter list.</param>
public sealed record DeliveryResult(DeliveryOutcome Outcome, string? Detail = null)
{
    /// <summary>Delivered.</summary>
    public static readonly DeliveryResult Ok = new(DeliveryOutcome.Delivered);
}

/// <summary>Sends the messages of one outbox channel. One try per call; the sender does retries.</summary>
public interface IOutboxTransport
{
    /// <summary>The channel served (<see cref="OutboxChannels"/>).</summary>
    string Channel { get; }

    /// <summary>Whether the channel is configured; messages of an unconfigured channel wait.</summary>
    bool Configured { get; }

    /// <summary>Tries to deliver <paramref name="message"/> once.</summary>
    Task<DeliveryResult> SendAsync(OutboxMessage message, CancellationToken cancellationToken);
}
