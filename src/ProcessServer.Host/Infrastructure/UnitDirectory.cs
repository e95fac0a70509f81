using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Infrastructure;

/// <summary>The configured units, looked up by code.</summary>
public sealed class UnitDirectory(IOptionsMonitor<ServerOptions> options)
{
    /// <summary>All units.</summary>
    public IReadOnlyList<UnitOptions> All => options.CurrentValue.Units;

    /// <summary>Finds a unit by code.</summary>
    public UnitOptions? Find(string code) => options.CurrentValue.Units.FirstOrDefault(u => string.Equals(u.Code, code, StringComparison.Ordinal));
}
