using System.Text.Json.Serialization;

namespace ProcessServer.Host.Features.Reports;

/// <summary>Where dossiers withdrawn or returned without resolution (national code 8) go (DOMAIN §5.3).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WithdrawnPlacement>))]
public enum WithdrawnPlacement
{
    /// <summary>A bucket of their own: received = resolved + in progress + withdrawn/returned (Bình Sơn, Đức Phổ, Minh Long).</summary>
    Separate,

    /// <summary>Counted as resolved on time, as one provincial II.06a template does: received = resolved + in progress.</summary>
    OnTime,
}

/// <summary>The three published definitions of the on-time rate (DOMAIN §5.5).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OnTimeRateDefinition>))]
public enum OnTimeRateDefinition
{
    /// <summary>Report form 06: (early + on time) / resolved.</summary>
    Form06,

    /// <summary>Portal style: 1 − (late + overdue in progress) / received.</summary>
    LateShare,

    /// <summary>Decision 766 style: (early + on time + in progress within limit) / (resolved + in progress).</summary>
    Index766,
}

/// <summary>How percentages are cut to <see cref="ReportSettings.RateDecimals"/> decimals (DOMAIN §5.5).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RateRounding>))]
public enum RateRounding
{
    /// <summary>Round half up (Đức Phổ, Bình Sơn): 0.157 % → 0.16 %.</summary>
    HalfUp,

    /// <summary>Truncate (Văn Quan): 98.096 % → 98.09 %.</summary>
    Truncate,
}

/// <summary>How a dossier with an apology (form 04) is judged (DOMAIN §4.5).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ApologyReading>))]
public enum ApologyReading
{
    /// <summary>Against the legal due date: the apology acknowledges the delay, it does not cure it.</summary>
    LegalDue,

    /// <summary>Against the apology's new appointment.</summary>
    NewAppointment,
}

/// <summary>How a dossier whose clock is paused at the cut-off is classified (DOMAIN §4.6).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PausedReading>))]
public enum PausedReading
{
    /// <summary>Within limit, as the province template does ("bao gồm cả hồ sơ chờ bổ sung").</summary>
    WithinLimit,

    /// <summary>766 style: judged at the moment of the pause (within limit if the pause began by the due instant).</summary>
    JudgeAtPause,
}

/// <summary>Report settings (configuration section <c>ProcessServer:Reports</c>); each can be overridden per request.</summary>
public sealed class ReportSettings
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Reports";

    /// <summary>Where withdrawn / returned dossiers go.</summary>
    public WithdrawnPlacement WithdrawnReturned { get; set; } = WithdrawnPlacement.Separate;

    /// <summary>Which on-time rate the report shows.</summary>
    public OnTimeRateDefinition OnTimeRate { get; set; } = OnTimeRateDefinition.Form06;

    /// <summary>Rounding of the rate.</summary>
    public RateRounding Rounding { get; set; } = RateRounding.HalfUp;

    /// <summary>Decimals of the rate (in percent).</summary>
    public int RateDecimals { get; set; } = 2;

    /// <summary>Apology reading.</summary>
    public ApologyReading Apology { get; set; } = ApologyReading.LegalDue;

    /// <summary>Paused-at-cut-off reading.</summary>
    public PausedReading PausedAtCutOff { get; set; } = PausedReading.WithinLimit;

    /// <summary>A copy with the request's overrides (query parameters withdrawn, rate, rounding, decimals, apology, paused).</summary>
    /// <exception cref="ArgumentException">A value is not one of the allowed ones; the message says which are.</exception>
    public ReportSettings With(Func<string, string?> query)
    {
        var copy = (ReportSettings)MemberwiseClone();
        copy.WithdrawnReturned = Parse(query("withdrawn"), copy.WithdrawnReturned, "withdrawn");
        copy.OnTimeRate = Parse(query("rate"), copy.OnTimeRate, "rate");
        copy.Rounding = Parse(query("rounding"), copy.Rounding, "rounding");
        copy.Apology = Parse(query("apology"), copy.Apology, "apology");
        copy.PausedAtCutOff = Parse(query("paused"), copy.PausedAtCutOff, "paused");
        if (query("decimals") is { } decimals)
        {
            copy.RateDecimals = int.TryParse(decimals, System.Globalization.CultureInfo.InvariantCulture, out var d) && d is >= 0 and <= 6
                ? d
                : throw new ArgumentException("decimals must be a whole number from 0 to 6");
        }

        return copy;
    }

    private static T Parse<T>(string? text, T fallback, string name)
        where T : struct, Enum =>
        text is null ? fallback
        : Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) ? value
        : throw new ArgumentException($"{name} must be one of {string.Join(", ", Enum.GetNames<T>())}");
}

/// <summary>A field (lĩnh vực) with its display name (configuration <c>ProcessServer:Fields</c>).</summary>
public sealed class FieldOptions
{
    /// <summary>The code used in procedures (ReceiveDossier.fieldCode).</summary>
    public string Code { get; set; } = string.Empty;

    /// <summary>Official name.</summary>
    public string Name { get; set; } = string.Empty;
}
