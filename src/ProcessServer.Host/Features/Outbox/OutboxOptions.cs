namespace ProcessServer.Host.Features.Outbox;

/// <summary>How the outbox sender delivers (configuration <c>ProcessServer:Outbox</c>); shared by the portal, e-mail and SMS.</summary>
public sealed class OutboxOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Outbox";

    /// <summary>Whether this server process runs the sender (several processes on PostgreSQL may all run it).</summary>
    public bool SenderEnabled { get; set; } = true;

    /// <summary>Tries of one message before it moves to the dead-letter list.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait before the first retry; doubled each retry (with jitter) up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between two tries.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one try may take before it counts as failed.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a claim on a message holds without being renewed. A sender that dies leaves its
    /// claims to expire; another process (or the same one restarted) then takes the message.
    /// Must exceed <see cref="AttemptTimeout"/>.
    /// </summary>
    public TimeSpan ClaimLease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Messages delivered at the same time (each to a different dossier or recipient).</summary>
    public int Workers { get; set; } = 8;

    /// <summary>Messages claimed per round.</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>How often the sender looks for due messages when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
