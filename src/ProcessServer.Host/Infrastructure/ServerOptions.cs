namespace ProcessServer.Host.Infrastructure;

/// <summary>Roles an API key can hold.</summary>
public static class Roles
{
    /// <summary>Edits and publishes procedures, migrates dossiers, sees everything.</summary>
    public const string Administrator = "Administrator";

    /// <summary>
    /// Leads one or more units: works their dossiers like a clerk, and in addition assigns and reassigns
    /// the unit's tasks, sees what needs attention, accepts withdrawals, returns dossiers without
    /// resolution or for rework, forces completion, records late entries.
    /// </summary>
    public const string Leader = "Leader";

    /// <summary>Receives and advances dossiers of their own units.</summary>
    public const string Clerk = "Clerk";

    /// <summary>Reads run data for reports.</summary>
    public const string Reporter = "Reporter";

    /// <summary>All roles.</summary>
    public static readonly string[] All = [Administrator, Leader, Clerk, Reporter];
}

/// <summary>One API key from configuration.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds the key; written to the journal as the actor.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The secret.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>Administrator, Leader, Clerk or Reporter.</summary>
    public string Role { get; set; } = Roles.Clerk;

    /// <summary>For clerks (and unit-bound reporters): the unit codes they work for.</summary>
    public List<string> Units { get; set; } = [];
}

/// <summary>
/// An administrative unit as configured. Configuration seeds the store's units when the server
/// starts (a unit the store does not have yet is added); from then on units are data that
/// administrators change through <c>/api/units</c> (names, validity, successors, leaders).
/// </summary>
public sealed class UnitOptions
{
    /// <summary>Unit code used in definitions and APIs.</summary>
    public string Code { get; set; } = string.Empty;

    /// <summary>Official name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Level: province, commune, district (historical) or agency.</summary>
    public string Level { get; set; } = string.Empty;

    /// <summary>The unit above it, for level subtotals.</summary>
    public string? Parent { get; set; }

    /// <summary>The unit that took over its work, for a unit already retired when seeded.</summary>
    public string? Successor { get; set; }

    /// <summary>First day it exists.</summary>
    public DateTimeOffset? ValidFrom { get; set; }

    /// <summary>First instant it no longer exists.</summary>
    public DateTimeOffset? ValidTo { get; set; }

    /// <summary>Ids of the people who lead it (identity provider subjects or API key names).</summary>
    public List<string> Leaders { get; set; } = [];
}

/// <summary>The configuration section <c>ProcessServer</c>.</summary>
public sealed class ServerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "ProcessServer";

    /// <summary>Accepted API keys.</summary>
    public List<ApiKeyOptions> ApiKeys { get; set; } = [];

    /// <summary>Known units.</summary>
    public List<UnitOptions> Units { get; set; } = [];

    /// <summary>Folder of procedure definitions loaded at start-up when absent from the store.</summary>
    public string WorkflowsPath { get; set; } = "workflows";

    /// <summary>Time zone of working-day arithmetic and receipt-code dates.</summary>
    public string TimeZone { get; set; } = "Asia/Ho_Chi_Minh";

    /// <summary>Sign-in of people through the province's OpenID Connect provider.</summary>
    public OpenIdConnectOptions OpenIdConnect { get; set; } = new();

    /// <summary>Rules of tasks held by people.</summary>
    public TaskOptions Tasks { get; set; } = new();
}

/// <summary>Rules of tasks held by people (configuration section <c>ProcessServer:Tasks</c>).</summary>
public sealed class TaskOptions
{
    /// <summary>A leader's "needs attention" list shows open tasks nobody has held for longer than this.</summary>
    public TimeSpan UnassignedAlertAfter { get; set; } = TimeSpan.FromHours(4);

    /// <summary>"Due soon" in the leader's list: due within this window.</summary>
    public TimeSpan DueSoonWithin { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The inbox counts its tasks exactly up to this many and says "at least" beyond (a request may
    /// still ask exactCount=true): an exact count reads every open task of the unit on each first page.
    /// </summary>
    public int InboxExactCountUpTo { get; set; } = 10_000;
}

/// <summary>
/// The province's OpenID Connect provider (configuration section <c>ProcessServer:OpenIdConnect</c>).
/// Its JWT access tokens are accepted when <see cref="Authority"/> is set; API keys keep working
/// beside them. Claim names differ between providers, so each one read is configurable.
/// </summary>
public sealed class OpenIdConnectOptions
{
    /// <summary>The issuer URL; its discovery document (<c>/.well-known/openid-configuration</c>) gives the signing keys. Empty: no sign-in of people.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience the tokens must be issued for (the API's resource or client id at the provider).</summary>
    public string? Audience { get; set; }

    /// <summary>Discovery document URL when it is not under the authority.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Refuse a discovery document over plain HTTP (true outside development and tests).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerated difference between the provider's and the server's clocks.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Claim with the person's stable id.</summary>
    public string SubjectClaim { get; set; } = "sub";

    /// <summary>Claim with the display name (falls back to <see cref="FallbackNameClaim"/>, then the subject).</summary>
    public string NameClaim { get; set; } = "name";

    /// <summary>Second choice for the display name.</summary>
    public string FallbackNameClaim { get; set; } = "preferred_username";

    /// <summary>Claim with the role (one value, or an array); the first value known to ProcessServer counts.</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>Provider role values mapped to ProcessServer's roles, e.g. "qtv" → "Administrator"; values equal to a role name need no entry.</summary>
    public Dictionary<string, string> RoleValues { get; set; } = [];

    /// <summary>Claim with the unit codes (several claims, a JSON array, or one value separated by spaces or commas).</summary>
    public string UnitsClaim { get; set; } = "units";

    /// <summary>Whether sign-in of people is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
