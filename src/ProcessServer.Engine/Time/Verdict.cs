using System.Text.Json.Serialization;

namespace ProcessServer.Engine.Time;

/// <summary>How a completion compares with its due instant (DOMAIN §4.5).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Verdict>))]
public enum Verdict
{
    /// <summary>Trước hạn: completed on a day before the due day.</summary>
    Early,

    /// <summary>Đúng hạn: completed on the due day, at or before the due instant.</summary>
    OnTime,

    /// <summary>Quá hạn: completed after the due instant.</summary>
    Late,
}
