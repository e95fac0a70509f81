namespace ProcessServer.Host.Features.PortalSync;

/// <summary>
/// The National Public Service Portal (Cổng Dịch vụ công quốc gia) connection and field mapping
/// (configuration <c>ProcessServer:Portal</c>). With no <see cref="BaseUrl"/> nothing is synchronised.
/// </summary>
public sealed class PortalOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Portal";

    /// <summary>The portal adapter's base address, e.g. https://adapter.example.gov.vn; empty: synchronisation off.</summary>
    public string BaseUrl { get; set; } = string.Empty;

    /// <summary>Path of the integration endpoint the services are posted to.</summary>
    public string SyncPath { get; set; } = "/api/dvcqg/integration";

    /// <summary>Path of the log-in that returns a session token; used when <see cref="Username"/> is set.</summary>
    public string AuthPath { get; set; } = "/api/dvcqg/auth";

    /// <summary>Account for the session log-in.</summary>
    public string Username { get; set; } = string.Empty;

    /// <summary>Password for the session log-in.</summary>
    public string Password { get; set; } = string.Empty;

    /// <summary>Extra request headers (e.g. an API gateway key), sent with every call.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>The province's agency code on the portal (<c>madonvi</c>).</summary>
    public string AgencyCode { get; set; } = string.Empty;

    /// <summary>Header carrying the message id, so the portal side can drop a repeat; empty: not sent.</summary>
    public string MessageIdHeader { get; set; } = "X-Message-Id";

    /// <summary>Service names of the portal's API.</summary>
    public PortalServices Services { get; set; } = new();

    /// <summary>
    /// Field renames and additions per payload (Dossier, Progress): portal field name → source
    /// (see docs/portal-sync.md for the sources; "=text" is a constant; "" drops a default field).
    /// </summary>
    public Dictionary<string, Dictionary<string, string>> Fields { get; set; } = [];

    /// <summary>National procedure codes (MaTTHC) per procedure code, when the definition does not carry one.</summary>
    public Dictionary<string, string> ProcedureCodes { get; set; } = [];

    /// <summary>Portal agency codes per unit code; a unit not listed is sent under its own code.</summary>
    public Dictionary<string, string> UnitCodes { get; set; } = [];

    /// <summary>Portal field codes (MaLinhVuc) per field code.</summary>
    public Dictionary<string, string> FieldCodes { get; set; } = [];

    /// <summary>Whether synchronisation is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(BaseUrl);
}

/// <summary>Service names posted in the request envelope.</summary>
public sealed class PortalServices
{
    /// <summary>Creates or updates the dossier record.</summary>
    public string Dossier { get; set; } = "DongBoHoSoMC";

    /// <summary>Adds a processing step (progress) with the new status.</summary>
    public string Progress { get; set; } = "CapNhatTienDoHoSoMC";
}
