using System.Security.Claims;
using ProcessServer.Engine.Execution;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Infrastructure;

/// <summary>What kind of caller: a person signed in through the identity provider, or an API key.</summary>
public static class CallerKinds
{
    /// <summary>A person with a token from the province's OpenID Connect provider.</summary>
    public const string Person = "Person";

    /// <summary>An integration, Excel or Power BI with an API key from configuration.</summary>
    public const string ApiKey = "ApiKey";

    /// <summary>The server itself (start-up seeding, background work without a requester).</summary>
    public const string System = "System";
}

/// <summary>Who is calling, read from the authenticated principal.</summary>
public sealed class Caller
{
    /// <summary>Claim holding a unit code the caller works for.</summary>
    public const string UnitClaim = "unit";

    /// <summary>Claim holding the caller's kind (<see cref="CallerKinds"/>).</summary>
    public const string KindClaim = "processserver/kind";

    private Caller(string id, string name, string role, IReadOnlySet<string> units, string kind)
    {
        Id = id;
        Name = name;
        Role = role;
        Units = units;
        Kind = kind;
    }

    /// <summary>Stable id: the identity provider's subject, or the API key's name.</summary>
    public string Id { get; }

    /// <summary>Display name (the actor in the journal): the person's name, or the API key's name.</summary>
    public string Name { get; }

    /// <summary>Role.</summary>
    public string Role { get; }

    /// <summary>Units the caller works for (a retired unit's successor included).</summary>
    public IReadOnlySet<string> Units { get; }

    /// <summary>Person, ApiKey or System.</summary>
    public string Kind { get; }

    /// <summary>Whether a person signed in through the identity provider.</summary>
    public bool IsPerson => Kind == CallerKinds.Person;

    /// <summary>Administrators act for every unit.</summary>
    public bool IsAdministrator => Role == Roles.Administrator;

    /// <summary>The caller as a task holder or journal actor.</summary>
    public PersonRef Person => new(Id, Name);

    /// <summary>The unit the caller acts for when the act names none: their only unit, or null.</summary>
    public string? HomeUnit => Units.Count == 1 ? Units.First() : null;

    /// <summary>
    /// The scope of stored Idempotency-Key answers: API keys keep their name (as before people
    /// existed); people are scoped by subject, so two officers with the same display name never share keys.
    /// </summary>
    public string IdempotencyScope => IsPerson ? "person:" + Id : Name;

    /// <summary>Whether the caller may act for <paramref name="unitCode"/>.</summary>
    public bool ActsFor(string unitCode) => IsAdministrator || Units.Contains(unitCode);

    /// <summary>The journal's record of the caller acting for <paramref name="unitCode"/> (their home unit when null).</summary>
    public JournalActor ActingFor(string? unitCode) => new(Id, Name, unitCode ?? HomeUnit);

    /// <summary>A caller acting outside HTTP (the importer, the fault suite, background runs).</summary>
    public static Caller Of(string name, string role, IEnumerable<string> units) =>
        new(name, name, role, units.ToHashSet(StringComparer.Ordinal), CallerKinds.ApiKey);

    /// <summary>A person acting outside HTTP (a background run on behalf of the administrator who started it).</summary>
    public static Caller OfPerson(string id, string name, string role, IEnumerable<string> units) =>
        new(id, name, role, units.ToHashSet(StringComparer.Ordinal), CallerKinds.Person);

    /// <summary>The server itself.</summary>
    public static Caller System { get; } = new("system", "system", Roles.Administrator, new HashSet<string>(), CallerKinds.System);

    /// <summary>Reads the caller from a request's user.</summary>
    public static Caller From(ClaimsPrincipal user)
    {
        // One pass over the claims (each FindFirst walks them again through an iterator of its own;
        // this runs on every request, some requests twice).
        string? id = null, role = null, kind = null;
        var units = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in user.Claims)
        {
            switch (claim.Type)
            {
                case ClaimTypes.NameIdentifier:
                    id ??= claim.Value;
                    break;
                case ClaimTypes.Role:
                    role ??= claim.Value;
                    break;
                case KindClaim:
                    kind ??= claim.Value;
                    break;
                case UnitClaim:
                    units.Add(claim.Value);
                    break;
            }
        }

        var name = user.Identity?.Name ?? "anonymous";
        return new(id ?? name, name, role ?? string.Empty, units, kind ?? CallerKinds.ApiKey);
    }
}

/// <summary>The caller of the current request, for services that record who acted (audit) without an HTTP dependency.</summary>
public sealed class CurrentCaller
{
    /// <summary>The caller; <see cref="Caller.System"/> outside a request.</summary>
    public Caller Value { get; set; } = Caller.System;
}
