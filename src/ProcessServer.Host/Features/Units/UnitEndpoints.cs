using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Units;

/// <summary>A unit as the API shows it.</summary>
/// <param name="Code">Code.</param>
/// <param name="Name">Official name.</param>
/// <param name="Level">province, district (historical), commune or agency.</param>
/// <param name="Parent">The unit above it.</param>
/// <param name="Successor">The unit that took over its work.</param>
/// <param name="ValidFrom">First instant it exists (UTC).</param>
/// <param name="ValidTo">First instant it no longer exists (UTC).</param>
/// <param name="Current">Whether it exists now.</param>
/// <param name="Leaders">Ids of its leaders.</param>
public sealed record UnitView(string Code, string Name, string Level, string? Parent, string? Successor, DateTime? ValidFrom, DateTime? ValidTo,
    bool Current, IReadOnlyList<string> Leaders);

/// <summary>A unit to add or change.</summary>
/// <param name="Name">Official name.</param>
/// <param name="Level">province, district, commune or agency.</param>
/// <param name="Parent">The unit above it.</param>
/// <param name="ValidFrom">First instant it exists.</param>
/// <param name="ValidTo">First instant it no longer exists (a reorganisation sets it).</param>
public sealed record UnitRequest(string? Name, string? Level, string? Parent, DateTimeOffset? ValidFrom, DateTimeOffset? ValidTo);

/// <summary>The leaders of a unit.</summary>
/// <param name="Leaders">Person ids (identity provider subjects or API key names).</param>
public sealed record LeadersRequest(List<string>? Leaders);

/// <summary>An officer as the unit's people list shows them.</summary>
/// <param name="Id">Stable id: assign tasks with it.</param>
/// <param name="Name">Display name.</param>
/// <param name="Kind">Person or ApiKey.</param>
/// <param name="Role">Role.</param>
/// <param name="Units">Units they work for.</param>
/// <param name="Leads">Whether they lead this unit.</param>
/// <param name="LastSeenAt">When their sign-in last changed what the server knows of them (UTC).</param>
public sealed record OfficerView(string Id, string Name, string Kind, string Role, IReadOnlyList<string> Units, bool Leads, DateTime LastSeenAt);

/// <summary>/api/units: units as dated data, their leaders and their people.</summary>
public static class UnitEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/units", (UnitDirectory units, TimeProvider clock) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return TypedResults.Ok(units.All.Select(u => View(u, now)).ToList());
            })
            .WithName("Units").WithTags("Units")
            .WithSummary("Every unit, current and retired, with level, parent, successor, validity and leaders")
            .Produces<List<UnitView>>()
            .RequireAuthorization(Policies.AnyRole);

        app.MapGet("/api/units/{unit}/people", async (string unit, HttpContext http, UnitDirectory units, ProcessServerDbContext db, CancellationToken ct) =>
            {
                var info = units.Find(unit);
                if (info is null)
                {
                    return Problems.Result(404, "Unknown unit", $"There is no unit '{unit}'; GET /api/units lists them.");
                }

                var caller = Caller.From(http.User);
                if (!caller.ActsFor(unit))
                {
                    return Problems.Result(403, "Not your unit", $"You work for {string.Join(", ", caller.Units)}, not for '{unit}'.");
                }

                var people = await PersonDirectory.OfUnitAsync(db, unit, ct);
                return TypedResults.Ok(people.Select(p => new OfficerView(p.Id, p.Name, p.Kind, p.Role, p.Units,
                    info.Leaders.Contains(p.Id) || p.Role == Roles.Leader, p.LastSeenAt)).ToList());
            })
            .WithName("UnitPeople").WithTags("Units")
            .WithSummary("The officers of a unit (everyone who has signed in working for it, and its API keys)")
            .Produces<List<OfficerView>>()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Clerk);

        app.MapPut("/api/units/{code}", SaveAsync)
            .WithName("SaveUnit").WithTags("Units")
            .WithSummary("(Administrator) add a unit or change its name, level, parent or validity")
            .WithDescription("A unit is never deleted: dossiers, steps and reports keep its code. To retire a unit and move its open work, use POST /api/reorganisations.")
            .Accepts<UnitRequest>("application/json")
            .Produces<UnitView>()
            .ProducesValidationProblem()
            .RequireAuthorization(Policies.Administrator);

        app.MapPut("/api/units/{code}/leaders", SaveLeadersAsync)
            .WithName("SaveUnitLeaders").WithTags("Units")
            .WithSummary("(Administrator) set who leads a unit")
            .Accepts<LeadersRequest>("application/json")
            .Produces<UnitView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.Administrator);
    }

    /// <summary>The API form of a unit.</summary>
    public static UnitView View(UnitInfo unit, DateTime now) =>
        new(unit.Code, unit.Name, unit.Level, unit.Parent, unit.Successor, unit.ValidFrom, unit.ValidTo, unit.ExistsAt(now), [.. unit.Leaders.Order(StringComparer.Ordinal)]);

    private static async Task<IResult> SaveAsync(string code, HttpContext http, ProcessServerDbContext db, UnitDirectory units, AuditTrail audit,
        WriteGate gate, TimeProvider clock, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<UnitRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (code.Length is 0 or > 64 || code.Any(char.IsWhiteSpace))
        {
            errors["code"] = ["The unit code must be 1–64 characters without spaces, e.g. UBND-BINHSON."];
        }

        if (string.IsNullOrWhiteSpace(request!.Name) || request.Name.Length > 400)
        {
            errors["name"] = ["name is required (at most 400 characters)."];
        }

        if (request.Level is not null && !UnitLevels.All.Contains(request.Level))
        {
            errors["level"] = [$"level must be one of {string.Join(", ", UnitLevels.All)}."];
        }

        if (request.Parent is not null && (request.Parent == code || units.Find(request.Parent) is null))
        {
            errors["parent"] = [$"parent '{request.Parent}' is not another known unit."];
        }

        if (request.ValidFrom is { } from && request.ValidTo is { } to && to <= from)
        {
            errors["validTo"] = ["validTo must be later than validFrom."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation("The unit is not valid", errors);
        }

        var caller = Caller.From(http.User);
        using (await gate.EnterAsync(ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var row = await db.Units.SingleOrDefaultAsync(u => u.Code == code, ct);
            if (row is null)
            {
                row = new OrgUnit { Code = code, Name = string.Empty, Level = UnitLevels.Agency, CreatedAt = now };
                db.Units.Add(row);
            }

            row.Name = request.Name!.Trim();
            row.Level = request.Level ?? row.Level;
            row.ParentCode = request.Parent;
            row.ValidFrom = request.ValidFrom?.UtcDateTime;
            row.ValidTo = request.ValidTo?.UtcDateTime ?? row.ValidTo;
            row.UpdatedAt = now;
            audit.Stage(db, caller, AuditActions.UnitChanged, code, null,
                new JsonObject { ["name"] = row.Name, ["level"] = row.Level, ["parent"] = row.ParentCode, ["validFrom"] = row.ValidFrom, ["validTo"] = row.ValidTo });
            await db.SaveChangesAsync(ct);
            await units.ReloadAsync(db, ct);
        }

        return TypedResults.Ok(View(units.Find(code)!, clock.GetUtcNow().UtcDateTime));
    }

    private static async Task<IResult> SaveLeadersAsync(string code, HttpContext http, ProcessServerDbContext db, UnitDirectory units, AuditTrail audit,
        WriteGate gate, TimeProvider clock, CancellationToken ct)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<LeadersRequest>(http.Request, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (units.Find(code) is null)
        {
            return Problems.Result(404, "Unknown unit", $"There is no unit '{code}'; GET /api/units lists them.");
        }

        var wanted = (request!.Leaders ?? []).Where(l => !string.IsNullOrWhiteSpace(l)).Select(l => l.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (wanted.Any(l => l.Length > 200))
        {
            return Problems.Validation("The leaders are not valid", new Dictionary<string, string[]> { ["leaders"] = ["Each leader is a person id of at most 200 characters."] });
        }

        var caller = Caller.From(http.User);
        using (await gate.EnterAsync(ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var current = await db.UnitLeaders.Where(l => l.UnitCode == code).ToListAsync(ct);
            db.UnitLeaders.RemoveRange(current.Where(l => !wanted.Contains(l.PersonId)));
            db.UnitLeaders.AddRange(wanted.Where(p => !current.Any(l => l.PersonId == p)).Select(p => new OrgUnitLeader { UnitCode = code, PersonId = p, Since = now }));
            audit.Stage(db, caller, AuditActions.UnitLeadersChanged, code, code, new JsonObject { ["leaders"] = AuditTrail.Json(wanted) });
            await db.SaveChangesAsync(ct);
            await units.ReloadAsync(db, ct);
        }

        return TypedResults.Ok(View(units.Find(code)!, clock.GetUtcNow().UtcDateTime));
    }
}
