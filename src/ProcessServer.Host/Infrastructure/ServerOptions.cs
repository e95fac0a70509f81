namespace ProcessServer.Host.Infrastructure;

/// <summary>Roles an API key can hold.</summary>
public static class Roles
{
    /// <summary>Edits and publishes procedures, migrates dossiers, sees everything.</summary>
    public const string Administrator = "Administrator";

    /// <summary>Receives and advances dossiers of their own units.</summary>
    public const string Clerk = "Clerk";

    /// <summary>Reads run data for reports.</summary>
    public const string Reporter = "Reporter";

    /// <summary>
    /// Leads one or more units: works their dossiers like a clerk, and in addition accepts withdrawals,
    /// returns dossiers without resolution or for rework, forces completion, records late entries.
    /// </summary>
    public const string Leader = "Leader";

    /// <summary>All roles.</summary>
    public static readonly string[] All = [Administrator, Clerk, Reporter, Leader];
}

/// <summary>One API key from configuration.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Who holds the key; written to the journal as the actor.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The secret.</summary>
    public string Key { get; set; } = string.Empty;

    /// <summary>Administrator, Clerk or Reporter.</summary>
    public string Role { get; set; } = Roles.Clerk;

    /// <summary>For clerks (and unit-bound reporters): the unit codes they work for.</summary>
    public List<string> Units { get; set; } = [];
}

/// <summary>An administrative unit (configuration data: units change, as in 2025).</summary>
public sealed class UnitOptions
{
    /// <summary>Unit code used in definitions and APIs.</summary>
    public string Code { get; set; } = string.Empty;

    /// <summary>Official name.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>Level: province, commune, agency.</summary>
    public string Level { get; set; } = string.Empty;
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
}
