using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Infrastructure;

/// <summary>A person as the server last saw them.</summary>
/// <param name="Id">Stable id (identity provider subject or API key name).</param>
/// <param name="Name">Display name.</param>
/// <param name="Kind">Person or ApiKey.</param>
/// <param name="Role">Role.</param>
/// <param name="Units">Units they work for.</param>
/// <param name="LastSeenAt">When their sign-in last changed what the server knows of them (UTC).</param>
public sealed record PersonInfo(string Id, string Name, string Kind, string Role, IReadOnlyList<string> Units, DateTime LastSeenAt);

/// <summary>
/// Who may hold tasks: every person who has signed in (as their last token described them: name,
/// role, units) and every API key. A leader assigns a task to someone listed here who works for the
/// task's unit. The store is written only when a caller is new or their name, role or units changed,
/// so an ordinary request costs a dictionary look-up.
/// </summary>
public sealed class PersonDirectory(IServiceScopeFactory scopes, WriteGate gate, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, string> _known = new(StringComparer.Ordinal);

    /// <summary>Records the caller when the server has not seen them like this yet.</summary>
    public async Task NoteAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Kind == CallerKinds.System)
        {
            return;
        }

        var fingerprint = $"{caller.Name}\n{caller.Role}\n{caller.Kind}\n{string.Join(",", caller.Units.Order(StringComparer.Ordinal))}";
        if (_known.TryGetValue(caller.Id, out var seen) && seen == fingerprint)
        {
            return;
        }

        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<ProcessServerDbContext>();
        using (await gate.EnterAsync(cancellationToken))
        {
            // On PostgreSQL nothing gates writers (and other server processes share the database):
            // a person's first requests arriving together both find no row and both insert it. The
            // loser reads again and updates the row the winner wrote.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await RecordAsync(db, caller, cancellationToken);
                    break;
                }
                catch (DbUpdateException) when (attempt < 3 && !cancellationToken.IsCancellationRequested)
                {
                    db.ChangeTracker.Clear();
                }
            }
        }

        _known[caller.Id] = fingerprint;
    }

    private async Task RecordAsync(ProcessServerDbContext db, Caller caller, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var person = await db.People.SingleOrDefaultAsync(p => p.Id == caller.Id, cancellationToken);
        if (person is null)
        {
            person = new Person { Id = caller.Id, Name = caller.Name, Kind = caller.Kind, Role = caller.Role, FirstSeenAt = now };
            db.People.Add(person);
        }

        person.Name = caller.Name;
        person.Kind = caller.Kind;
        person.Role = caller.Role;
        person.LastSeenAt = now;
        var units = await db.PersonUnits.Where(u => u.PersonId == caller.Id).ToListAsync(cancellationToken);
        db.PersonUnits.RemoveRange(units.Where(u => !caller.Units.Contains(u.UnitCode)));
        db.PersonUnits.AddRange(caller.Units.Where(u => !units.Any(k => k.UnitCode == u)).Select(u => new PersonUnit { PersonId = caller.Id, UnitCode = u }));
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Finds a person by id.</summary>
    public static async Task<PersonInfo?> FindAsync(ProcessServerDbContext db, string id, CancellationToken cancellationToken)
    {
        var person = await db.People.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (person is null)
        {
            return null;
        }

        var units = await db.PersonUnits.AsNoTracking().Where(u => u.PersonId == id).Select(u => u.UnitCode).ToListAsync(cancellationToken);
        return new PersonInfo(person.Id, person.Name, person.Kind, person.Role, units, person.LastSeenAt);
    }

    /// <summary>The people who work for a unit, by name.</summary>
    public static async Task<IReadOnlyList<PersonInfo>> OfUnitAsync(ProcessServerDbContext db, string unitCode, CancellationToken cancellationToken)
    {
        var people = await db.PersonUnits.AsNoTracking().Where(u => u.UnitCode == unitCode)
            .Join(db.People, u => u.PersonId, p => p.Id, (u, p) => p)
            .ToListAsync(cancellationToken);
        var ids = people.Select(p => p.Id).ToList();
        var units = (await db.PersonUnits.AsNoTracking().Where(u => ids.Contains(u.PersonId)).ToListAsync(cancellationToken))
            .ToLookup(u => u.PersonId, u => u.UnitCode, StringComparer.Ordinal);
        return [.. people.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new PersonInfo(p.Id, p.Name, p.Kind, p.Role, [.. units[p.Id]], p.LastSeenAt))];
    }
}

/// <summary>The request's caller into <see cref="CurrentCaller"/>, recorded in the person directory; units re-read when stale.</summary>
public sealed class PeopleMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, CurrentCaller current, PersonDirectory people, UnitDirectory units, IServiceScopeFactory scopes)
    {
        await units.RefreshIfStaleAsync(scopes, context.RequestAborted);
        if (context.User.Identity?.IsAuthenticated == true)
        {
            current.Value = Caller.From(context.User);
            await people.NoteAsync(current.Value, context.RequestAborted);
        }

        await next(context);
    }
}
