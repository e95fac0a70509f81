using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Converts store times (UTC) to the administration's local time.</summary>
public sealed class VietnamTime(IOptions<ServerOptions> options)
{
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    /// <summary>The configured zone.</summary>
    public TimeZoneInfo Zone => _zone;

    /// <summary>Local wall-clock time of a UTC instant.</summary>
    public DateTime ToLocal(DateTime utc) => TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), _zone);
}
