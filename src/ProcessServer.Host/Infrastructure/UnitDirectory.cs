using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Unit levels the server knows (DOMAIN §0: two tiers since 1/7/2025; districts are history).</summary>
public static class UnitLevels
{
    /// <summary>Province-level body.</summary>
    public const string Province = "province";

    /// <summary>Commune, ward or special zone.</summary>
    public const string Commune = "commune";

    /// <summary>District level, abolished on 1/7/2025; kept for the history of dossiers handled before.</summary>
    public const string District = "district";

    /// <summary>A specialised agency (tax, police, social insurance…).</summary>
    public const string Agency = "agency";

    /// <summary>All levels, in report order.</summary>
    public static readonly string[] All = [Province, District, Commune, Agency];
}

/// <summary>
/// A unit as the server knows it (see <see cref="OrgUnit"/> for the stored model).
/// </summary>
/// <param name="Code">Code used in definitions, dossiers, tasks and reports.</param>
/// <param name="Name">Official name while the unit exists.</param>
/// <param name="Level">province, district (historical), commune or agency.</param>
/// <param name="Parent">The unit above it.</param>
/// <param name="Successor">The unit that took over its work when it was retired.</param>
/// <param name="ValidFrom">First instant it exists (UTC); null = always.</param>
/// <param name="ValidTo">First instant it no longer exists (UTC); null while it exists.</param>
/// <param name="Leaders">Ids of the people who lead it.</param>
public sealed record UnitInfo(string Code, string Name, string Level, string? Parent, string? Successor, DateTime? ValidFrom, DateTime? ValidTo,
    IReadOnlySet<string> Leaders)
{
    /// <summary>Whether the unit exists at <paramref name="instant"/>.</summary>
    public bool ExistsAt(DateTime instant) => (ValidFrom is null || ValidFrom <= instant) && (ValidTo is null || instant < ValidTo);

    /// <summary>Whether the unit has been retired by <paramref name="instant"/>.</summary>
    public bool RetiredBy(DateTime instant) => ValidTo is { } to && to <= instant;
}

/// <summary>
/// The units, their levels, successors and leaders: data in the store (table Units, seeded from
/// <c>ProcessServer:Units</c> at start-up), read into an immutable snapshot so every request can
/// look units up without a query. The snapshot is replaced after each change made through this
/// server and re-read at most a minute after a change made by another server on the same database.
/// </summary>
public sealed class UnitDirectory(TimeProvider clock)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(1);

    private volatile Snapshot _snapshot = new([], DateTime.MinValue);

    private sealed record Snapshot(IReadOnlyList<UnitInfo> Units, DateTime ReadAt)
    {
        public FrozenDictionary<string, UnitInfo> ByCode { get; } = Units.ToFrozenDictionary(u => u.Code, StringComparer.Ordinal);
    }

    /// <summary>All units, current and retired.</summary>
    public IReadOnlyList<UnitInfo> All => _snapshot.Units;

    /// <summary>Units that exist now.</summary>
    public IReadOnlyList<UnitInfo> Current
    {
        get
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return [.. _snapshot.Units.Where(u => u.ExistsAt(now))];
        }
    }

    /// <summary>Finds a unit by code.</summary>
    public UnitInfo? Find(string code) => _snapshot.ByCode.GetValueOrDefault(code);

    /// <summary>The unit that does <paramref name="code"/>'s work now, following successors of retired units; null when it is not retired.</summary>
    public string? SuccessorOf(string code)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        string? successor = null;
        var unit = Find(code);
        for (var hops = 0; hops < 32 && unit is { Successor: { } next } && unit.RetiredBy(now); hops++)
        {
            successor = next;
            unit = Find(next);
        }

        return successor;
    }

    /// <summary>Retired units and the unit doing their work now, for dossiers starting on a definition that names them.</summary>
    public IReadOnlyDictionary<string, string> Successions()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var unit in _snapshot.Units)
        {
            if (SuccessorOf(unit.Code) is { } successor)
            {
                result[unit.Code] = successor;
            }
        }

        return result;
    }

    /// <summary>
    /// Whether <paramref name="caller"/> leads <paramref name="unitCode"/>: listed among its leaders, or
    /// holding the Leader role for it. Administrators lead every unit.
    /// </summary>
    public bool Leads(Caller caller, string unitCode) =>
        caller.IsAdministrator
        || (caller.Role == Roles.Leader && caller.Units.Contains(unitCode))
        || (caller.ActsFor(unitCode) && Find(unitCode)?.Leaders.Contains(caller.Id) == true);

    /// <summary>Adds configured units and leaders the store does not have yet, then reads the directory.</summary>
    public async Task SeedAsync(ProcessServerDbContext db, IReadOnlyList<UnitOptions> configured, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var known = await db.Units.Select(u => u.Code).ToListAsync(cancellationToken);
        var leaders = await db.UnitLeaders.Select(l => new { l.UnitCode, l.PersonId }).ToListAsync(cancellationToken);
        foreach (var unit in configured.Where(u => !known.Contains(u.Code)))
        {
            db.Units.Add(new OrgUnit
            {
                Code = unit.Code,
                Name = unit.Name,
                Level = string.IsNullOrWhiteSpace(unit.Level) ? UnitLevels.Agency : unit.Level,
                ParentCode = unit.Parent,
                SuccessorCode = unit.Successor,
                ValidFrom = unit.ValidFrom?.UtcDateTime,
                ValidTo = unit.ValidTo?.UtcDateTime,
                CreatedAt = now,
                UpdatedAt = now,
            });
        }

        foreach (var unit in configured)
        {
            foreach (var person in unit.Leaders.Where(p => !leaders.Any(l => l.UnitCode == unit.Code && l.PersonId == p)))
            {
                db.UnitLeaders.Add(new OrgUnitLeader { UnitCode = unit.Code, PersonId = person, Since = now });
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await ReloadAsync(db, cancellationToken);
    }

    /// <summary>Reads the directory from the store.</summary>
    public async Task ReloadAsync(ProcessServerDbContext db, CancellationToken cancellationToken)
    {
        var units = await db.Units.AsNoTracking().OrderBy(u => u.Code).ToListAsync(cancellationToken);
        var leaders = (await db.UnitLeaders.AsNoTracking().ToListAsync(cancellationToken))
            .ToLookup(l => l.UnitCode, l => l.PersonId, StringComparer.Ordinal);
        _snapshot = new Snapshot(
            [.. units.Select(u => new UnitInfo(u.Code, u.Name, u.Level, u.ParentCode, u.SuccessorCode, u.ValidFrom, u.ValidTo,
                leaders[u.Code].ToHashSet(StringComparer.Ordinal)))],
            clock.GetUtcNow().UtcDateTime);
    }

    /// <summary>Re-reads the directory when another server may have changed it since it was read.</summary>
    public async Task RefreshIfStaleAsync(IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        var age = clock.GetUtcNow().UtcDateTime - _snapshot.ReadAt;
        if (age < MaxAge && age >= TimeSpan.Zero)
        {
            return;
        }

        using var scope = scopes.CreateScope();
        await ReloadAsync(scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>(), cancellationToken);
    }
}
