namespace ProcessServer.Host.Features.Notifications;

/// <summary>
/// Messages that reach people (configuration <c>ProcessServer:Notifications</c>): the e-mail server,
/// the SMS/Zalo gateway, who among the officers is told of warnings and overdue steps, and the
/// Vietnamese templates. A channel with no server configured is not used.
/// </summary>
public sealed class NotificationOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Notifications";

    /// <summary>The SMTP server.</summary>
    public SmtpOptions Email { get; set; } = new();

    /// <summary>The SMS / Zalo gateway.</summary>
    public GatewayOptions Gateway { get; set; } = new();

    /// <summary>Officers and leaders per unit code, told of warnings (officers) and overdue steps (officers and leaders).</summary>
    public Dictionary<string, UnitRecipients> Units { get; set; } = [];

    /// <summary>Template overrides per message kind (Receipt, SupplementRequested, Apology, ResultReady, Warning, Overdue).</summary>
    public Dictionary<string, MessageTemplate> Templates { get; set; } = [];
}

/// <summary>SMTP server settings.</summary>
public sealed class SmtpOptions
{
    /// <summary>Host name; empty: no e-mail.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>Port (25, 465 or 587).</summary>
    public int Port { get; set; } = 587;

    /// <summary>None, Auto, SslOnConnect, StartTls or StartTlsWhenAvailable (MailKit's SecureSocketOptions).</summary>
    public string Security { get; set; } = "Auto";

    /// <summary>User name, when the server wants one.</summary>
    public string User { get; set; } = string.Empty;

    /// <summary>Password.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Sender address.</summary>
    public string From { get; set; } = "noreply@localhost";

    /// <summary>Sender display name.</summary>
    public string FromName { get; set; } = "Trung tâm Phục vụ hành chính công";

    /// <summary>Whether e-mail is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>HTTP SMS / Zalo gateway settings.</summary>
public sealed class GatewayOptions
{
    /// <summary>The gateway's send endpoint; empty: no SMS.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>sms or zalo: which channel the gateway is asked to use.</summary>
    public string Channel { get; set; } = "sms";

    /// <summary>Sent as <c>Authorization: Bearer</c>, when set.</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>Brand name the SMS is sent under.</summary>
    public string Sender { get; set; } = "HCC";

    /// <summary>Whether the gateway is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Url);
}

/// <summary>Who is told about a unit's deadlines.</summary>
public sealed class UnitRecipients
{
    /// <summary>Handling officers: warnings and overdue events.</summary>
    public List<Recipient> Officers { get; set; } = [];

    /// <summary>Leaders: overdue events.</summary>
    public List<Recipient> Leaders { get; set; } = [];
}

/// <summary>A person with an e-mail address, a phone number or both.</summary>
public sealed class Recipient
{
    /// <summary>Name, for the greeting.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>E-mail address.</summary>
    public string Email { get; set; } = string.Empty;

    /// <summary>Phone number for SMS / Zalo.</summary>
    public string Phone { get; set; } = string.Empty;
}

/// <summary>A message template; placeholders are {name} (see docs/notifications.md).</summary>
public sealed class MessageTemplate
{
    /// <summary>E-mail subject.</summary>
    public string? Subject { get; set; }

    /// <summary>E-mail text.</summary>
    public string? Email { get; set; }

    /// <summary>SMS / Zalo text; kept short and mostly without diacritics (a Unicode SMS holds 70 characters).</summary>
    public string? Sms { get; set; }
}
