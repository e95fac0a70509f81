using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ProcessServer.Faults;

/// <summary>One configured API key and what it may do.</summary>
/// <param name="Name">Key name (the actor in the journal and the Idempotency-Key scope).</param>
/// <param name="Secret">The key itself.</param>
/// <param name="Role">Administrator, Clerk or Reporter.</param>
/// <param name="Units">Units the key is bound to (clerks, unit-bound reporters).</param>
public sealed record Principal(string Name, string Secret, string Role, IReadOnlyList<string> Units)
{
    public bool IsAdministrator => Role == "Administrator";

    public bool IsClerk => Role == "Clerk";

    public bool IsReporter => Role == "Reporter";

    /// <summary>Sees every unit's rows (administrators and reporters bound to no unit).</summary>
    public bool SeesEveryUnit => IsAdministrator || (IsReporter && Units.Count == 0);

    public override string ToString() => Name;
}

/// <summary>
/// The keys a fault server is configured with: fresh random secrets of 48 characters (so a server
/// that refuses short or development keys outside Development still starts), one administrator,
/// reporters with and without a unit, one clerk per configured unit and a clerk of two units.
/// </summary>
public sealed class KeyRing
{
    private KeyRing(IReadOnlyList<Principal> all, IReadOnlyList<string> units)
    {
        All = all;
        Units = units;
    }

    public IReadOnlyList<Principal> All { get; }

    /// <summary>Unit codes configured on the server.</summary>
    public IReadOnlyList<string> Units { get; }

    public Principal Admin => All.Single(p => p.Name == "fault-admin");

    public Principal Reporter => All.Single(p => p.Name == "fault-reporter");

    /// <summary>The clerk bound to exactly <paramref name="unit"/>.</summary>
    public Principal ClerkOf(string unit) => All.Single(p => p.IsClerk && p.Units.Count == 1 && p.Units[0] == unit);

    /// <summary>Builds keys for the units of the host's appsettings.json.</summary>
    public static KeyRing For(IReadOnlyList<string> units)
    {
        static string Secret(string name) => $"{name}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20))}";
        var all = new List<Principal>
        {
            new("fault-admin", Secret("admin"), "Administrator", []),
            new("fault-reporter", Secret("reporter"), "Reporter", []),
        };
        if (units.Count > 0)
        {
            // A unit that handles steps of dossiers received elsewhere, so both visibility rules matter.
            all.Add(new("fault-reporter-unit", Secret("reporter-unit"), "Reporter", [units[Math.Min(2, units.Count - 1)]]));
        }

        all.AddRange(units.Select(u => new Principal($"fault-clerk-{u}", Secret("clerk"), "Clerk", [u])));
        if (units.Count > 3)
        {
            all.Add(new("fault-clerk-two-units", Secret("clerk2"), "Clerk", [units[^2], units[^1]]));
        }

        return new KeyRing(all, units);
    }

    /// <summary>The ProcessServer:ApiKeys array for the server's settings.</summary>
    public JsonArray ToSettings() => new([.. All.Select(p => (JsonNode)new JsonObject
    {
        ["Name"] = p.Name,
        ["Key"] = p.Secret,
        ["Role"] = p.Role,
        [nameof(Principal.Units)] = new JsonArray([.. p.Units.Select(u => (JsonNode)JsonValue.Create(u))]),
    })]);
}
