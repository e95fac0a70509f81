using System.Globalization;
using System.Xml;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Transitions;

/// <summary>Paper and late entry settings (configuration section <c>ProcessServer:LateEntry</c>).</summary>
public sealed class LateEntryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "ProcessServer:LateEntry";

    /// <summary>How far back an act may be dated (default 30 days): older paper needs the history import.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Roles that may record an act that happened earlier (default Leader and Administrator).</summary>
    public List<string> Roles { get; set; } = [Infrastructure.Roles.Leader, Infrastructure.Roles.Administrator];

    /// <summary>Clock difference tolerated between a client and the server: a time this little ahead is "now".</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>When an act happened, as the pipeline will record it.</summary>
/// <param name="At">Occurred-at, UTC: what verdicts, pauses and reports count with.</param>
/// <param name="EntryMode">Null for an act recorded as it happens, <see cref="EntryModes.BackDated"/> for a late entry.</param>
public sealed record OccurredAt(DateTime At, string? EntryMode);

/// <summary>
/// The one rule for acts recorded after they happened (paper intake at a commune without the
/// software, late data entry): an authorised role may give the real occurred-at time, within the
/// configured window, never before the dossier's previous event and never in the future. The
/// journal keeps occurred-at, recorded-at and who recorded it, and late entries stay visible in the
/// leaders' list rather than being forbidden (DOMAIN §7, pain points 4 and 20).
/// </summary>
public sealed class LateEntryRules(IOptionsMonitor<LateEntryOptions> options)
{
    /// <summary>The settings in force.</summary>
    public LateEntryOptions Options => options.CurrentValue;

    /// <summary>Decides the occurred-at instant of an act, or refuses it.</summary>
    /// <param name="requested">The time the caller says the act happened; null for now.</param>
    /// <param name="caller">Who records it.</param>
    /// <param name="now">Server time (UTC).</param>
    /// <param name="previousEvent">The dossier's latest journal instant, if it has one.</param>
    /// <param name="field">Name of the request field, for the error.</param>
    public (OccurredAt? When, Refusal? Refusal) Resolve(DateTimeOffset? requested, Caller caller, DateTime now, DateTime? previousEvent, string field = "occurredAt")
    {
        var settings = options.CurrentValue;
        if (requested is null)
        {
            return (new OccurredAt(now, null), null);
        }

        var at = requested.Value.UtcDateTime;
        if (at > now + settings.ClockSkew)
        {
            return (null, Refusal.Field("The time is in the future", field,
                $"{field} {Show(at)} is later than the server's time {Show(now)}; an act can only be recorded once it happened. Leave {field} out for now."));
        }

        if (at >= now - settings.ClockSkew && (previousEvent is null || at >= previousEvent))
        {
            // Within the clock difference tolerated: an act as it happens, not a late entry.
            return (new OccurredAt(at > now ? now : at, null), null);
        }

        if (!settings.Roles.Contains(caller.Role, StringComparer.Ordinal))
        {
            return (null, new Refusal(RefusalKind.Forbidden, "Late entry not allowed",
                $"Recording an act that happened earlier ({field} {Show(at)}) needs one of the roles {string.Join(", ", settings.Roles)}; you are {caller.Role}. Leave {field} out to record it now."));
        }

        if (at < now - settings.Window)
        {
            return (null, Refusal.Field("The time is outside the late-entry window", field,
                $"{field} {Show(at)} is more than {Describe(settings.Window)} before now ({Show(now)}); older acts are loaded with the history import (POST /api/imports)."));
        }

        if (previousEvent is { } previous && at < previous)
        {
            return (null, Refusal.Field("The time is before the dossier's previous event", field,
                $"{field} {Show(at)} is before the dossier's previous event at {Show(previous)}; acts are recorded in the order they happened, so give a time on or after it."));
        }

        return (new OccurredAt(at, EntryModes.BackDated), null);
    }

    private static string Show(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Describe(TimeSpan window) => window.TotalDays >= 1 && window.TotalDays == Math.Floor(window.TotalDays)
        ? $"{window.TotalDays} days ({XmlConvert.ToString(window)})"
        : XmlConvert.ToString(window);
}
