using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Time;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Calendar;

/// <summary>Time-limit settings (configuration section <c>ProcessServer:Time</c>).</summary>
public sealed class TimeOptions
{
    /// <summary>Share of a step's time after which the warning fires.</summary>
    public decimal WarningShare { get; set; } = 0.8m;
}

/// <summary>
/// The working-day calendar as stored: every change is a new version, the newest is the one new
/// dates are computed with, and any older one can be loaded again to recompute a report with the
/// calendar as it stood. The current version is cached; a stored version never changes.
/// </summary>
public sealed class CalendarStore(IOptionsMonitor<ServerOptions> server, IOptionsMonitor<TimeOptions> timeOptions, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private (int Version, WorkingTime Time)? _current;

    /// <summary>Stores the shipped 2024–2026 government calendar as version 1 when no calendar exists.</summary>
    public async Task EnsureSeededAsync(ProcessServerDbContext db, CancellationToken ct)
    {
        if (await db.CalendarVersions.AnyAsync(ct))
        {
            return;
        }

        var shipped = WorkingCalendar.VietnamGovernment2024To2026();
        if (shipped.TimeZoneId != server.CurrentValue.TimeZone)
        {
            shipped = new WorkingCalendar(server.CurrentValue.TimeZone, shipped.OfficeHours, shipped.WeekendDays,
                shipped.DaysOff, shipped.WorkingDays, shipped.SameDayCutOff, shipped.Description);
        }

        db.CalendarVersions.Add(new CalendarVersion
        {
            Version = 1,
            Json = shipped.ToJson(),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            CreatedBy = "system",
            Comment = "Government schedule 2024–2026 shipped with ProcessServer",
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The calendar new dates are computed with, as a transition's time context.</summary>
    public async Task<TimeContext> CurrentAsync(ProcessServerDbContext db, CancellationToken ct)
    {
        var current = _current;
        if (current is null)
        {
            var row = await db.CalendarVersions.AsNoTracking().OrderByDescending(c => c.Version).FirstAsync(ct);
            current = (row.Version, new WorkingTime(WorkingCalendar.FromJson(row.Json)));
            lock (_gate)
            {
                _current ??= current;
            }
        }

        return new TimeContext(current.Value.Time, current.Value.Version, timeOptions.CurrentValue.WarningShare);
    }

    /// <summary>A stored version, for recomputing with the calendar as it stood; null when absent.</summary>
    public static async Task<(CalendarVersion Row, WorkingCalendar Calendar)?> VersionAsync(ProcessServerDbContext db, int version, CancellationToken ct)
    {
        var row = await db.CalendarVersions.AsNoTracking().SingleOrDefaultAsync(c => c.Version == version, ct);
        return row is null ? null : (row, WorkingCalendar.FromJson(row.Json));
    }

    /// <summary>Stores a changed calendar as the next version and makes it current.</summary>
    public async Task<CalendarVersion> SaveAsync(ProcessServerDbContext db, WriteGate gate, WorkingCalendar calendar, string by, string? comment, CancellationToken ct)
    {
        using var pass = await gate.EnterAsync(ct);
        var last = await db.CalendarVersions.MaxAsync(c => (int?)c.Version, ct) ?? 0;
        var row = new CalendarVersion
        {
            Version = last + 1,
            Json = calendar.ToJson(),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
            CreatedBy = by,
            Comment = comment,
        };
        db.CalendarVersions.Add(row);
        await db.SaveChangesAsync(ct);
        lock (_gate)
        {
            _current = (row.Version, new WorkingTime(calendar));
        }

        return row;
    }
}
