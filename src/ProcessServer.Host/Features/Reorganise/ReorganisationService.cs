using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.ProcedureVersions;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Reorganise;

/// <summary>A reorganisation as asked for.</summary>
/// <param name="FromUnit">The unit that is abolished or merged.</param>
/// <param name="ToUnit">Its successor, which takes over its work.</param>
/// <param name="ReleaseHeld">true puts tasks held by officers into the successor's queue; false (default) keeps them with their holders.</param>
/// <param name="EffectiveAt">When the retired unit stops existing (default: now).</param>
public sealed record ReorganisationRequest(string? FromUnit, string? ToUnit, bool? ReleaseHeld, DateTimeOffset? EffectiveAt);

/// <summary>What a reorganisation moves (dry run) or moved.</summary>
/// <param name="Id">Id of this run (in each dossier's UnitReorganised journal entry and the audit trail); null for a dry run.</param>
/// <param name="FromUnit">The retired unit.</param>
/// <param name="ToUnit">Its successor.</param>
/// <param name="DryRun">Whether nothing was changed.</param>
/// <param name="EffectiveAt">When the retired unit stops existing (UTC).</param>
/// <param name="Dossiers">Dossiers whose work moves (or moved).</param>
/// <param name="Tasks">Open tasks that move.</param>
/// <param name="Released">Of those, tasks put into the successor's queue.</param>
/// <param name="AlreadyMoved">Dossiers an earlier run already moved (nothing left in the retired unit).</param>
/// <param name="Closed">Dossiers closed meanwhile.</param>
/// <param name="Failed">Dossiers that could not be moved now (changed repeatedly meanwhile); run again.</param>
/// <param name="Items">Per dossier, what moves.</param>
public sealed record ReorganisationView(string? Id, string FromUnit, string ToUnit, bool DryRun, DateTime EffectiveAt, int Dossiers, int Tasks, int Released,
    int AlreadyMoved, int Closed, int Failed, IReadOnlyList<DossierMove> Items);

/// <summary>
/// Reorganisation of units (DOMAIN §0: districts abolished on 1/7/2025, units merged): an
/// administrator moves all open work of a unit to its successor in one audited act. The unit is
/// retired first (so dossiers received or steps started meanwhile already go to the successor),
/// then each running dossier that has work in it moves in its own transaction; a second run of the
/// same reorganisation moves only what is left, so the act is idempotent and a run interrupted by
/// a restart is finished by running it again. Reports keep the history under the unit as it was:
/// dossiers keep their receiving unit and their procedure version, completed steps their unit.
/// </summary>
public sealed class ReorganisationService(
    ProcessServerDbContext db,
    UnitDirectory units,
    WorkflowCache workflows,
    ReorganiseDossierHandler handler,
    AuditTrail audit,
    WriteGate gate,
    TimeProvider clock)
{
    /// <summary>Checks the request; returns the per-field errors, a 409 reason, or nothing.</summary>
    public (Dictionary<string, string[]> Errors, string? Conflict) Validate(ReorganisationRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        var from = units.Find(request.FromUnit?.Trim() ?? string.Empty);
        var to = units.Find(request.ToUnit?.Trim() ?? string.Empty);
        if (from is null)
        {
            errors["fromUnit"] = [$"fromUnit must be a known unit (GET /api/units); '{request.FromUnit}' is not."];
        }

        if (to is null)
        {
            errors["toUnit"] = [$"toUnit must be a known unit (GET /api/units); '{request.ToUnit}' is not. Add the successor first with PUT /api/units/{{code}}."];
        }
        else if (from is not null && from.Code == to.Code)
        {
            errors["toUnit"] = ["toUnit must differ from fromUnit."];
        }

        if (errors.Count > 0)
        {
            return (errors, null);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (to!.RetiredBy(now))
        {
            return (errors, $"Unit {to.Code} was itself retired{(to.Successor is null ? string.Empty : $" (succeeded by {to.Successor})")}; move the work to a unit that exists.");
        }

        if (from!.Successor is { } successor && successor != to.Code)
        {
            return (errors, $"Unit {from.Code} was already succeeded by {successor}; a unit has one successor. Reorganise {successor} instead.");
        }

        // A successor that leads back to the retired unit would send work in a circle.
        for (var unit = to; unit?.Successor is { } next; unit = units.Find(next))
        {
            if (next == from.Code)
            {
                return (errors, $"Unit {to.Code} already hands its work on towards {from.Code}; that would be a circle.");
            }
        }

        return (errors, null);
    }

    /// <summary>Lists what would move, changing nothing.</summary>
    public async Task<ReorganisationView> DryRunAsync(ReorganisationRequest request, CancellationToken ct)
    {
        var (from, to, release, effective) = Read(request);
        var items = new List<DossierMove>();
        foreach (var id in await CandidatesAsync(from, ct))
        {
            var dossier = await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == id, ct);
            var workflow = await workflows.GetAsync(db, dossier.DefinitionVersionId, ct);
            items.Add(ReorganiseDossierHandler.Analyze(dossier.Id, dossier.ReceiptCode, dossier.ProcedureCode, dossier.DefinitionVersion,
                DossierState.FromJson(dossier.StateJson), workflow, from, release));
        }

        return Summary(null, from, to, dryRun: true, effective, items, failed: 0);
    }

    /// <summary>Retires the unit (successor and end of validity), moves every running dossier's work in it, and records the act.</summary>
    public async Task<ReorganisationView> ExecuteAsync(ReorganisationRequest request, Caller caller, CancellationToken ct)
    {
        var (from, to, release, effective) = Read(request);
        var id = Guid.CreateVersion7().ToString();
        using (await gate.EnterAsync(ct))
        {
            var unit = await db.Units.SingleAsync(u => u.Code == from, ct);
            unit.SuccessorCode = to;
            unit.ValidTo ??= effective;
            unit.UpdatedAt = clock.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(ct);
            await units.ReloadAsync(db, ct);
            effective = unit.ValidTo.Value;
        }

        var items = new List<DossierMove>();
        var failed = 0;
        foreach (var dossierId in await CandidatesAsync(from, ct))
        {
            db.ChangeTracker.Clear();
            var move = await handler.HandleAsync(dossierId, from, to, release, id, caller, ct);
            if (move is null)
            {
                failed++;
            }
            else
            {
                items.Add(move);
            }
        }

        var view = Summary(id, from, to, dryRun: false, effective, items, failed);
        using (await gate.EnterAsync(ct))
        {
            db.ChangeTracker.Clear();
            audit.Stage(db, caller, AuditActions.UnitReorganised, from, to, new JsonObject
            {
                ["reorganisationId"] = id,
                ["fromUnit"] = from,
                ["toUnit"] = to,
                ["releaseHeld"] = release,
                ["effectiveAt"] = effective,
                ["dossiers"] = view.Dossiers,
                ["tasks"] = view.Tasks,
                ["released"] = view.Released,
                ["alreadyMoved"] = view.AlreadyMoved,
                ["closed"] = view.Closed,
                ["failed"] = failed,
            });
            await db.SaveChangesAsync(ct);
        }

        return view;
    }

    private (string From, string To, bool Release, DateTime Effective) Read(ReorganisationRequest request) =>
        (request.FromUnit!.Trim(), request.ToUnit!.Trim(), request.ReleaseHeld ?? false,
            request.EffectiveAt?.UtcDateTime ?? clock.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Running dossiers with work in the unit, or in a unit whose work already went to it: an open
    /// task there, received there (steps without a handling unit go to the receiving unit), or
    /// pinned to a version with a step handled there.
    /// </summary>
    private async Task<List<string>> CandidatesAsync(string unit, CancellationToken ct)
    {
        var chain = units.All.Where(u => u.Code == unit || Leads(u.Code, unit)).Select(u => u.Code).ToList();
        var closed = DefinitionLifecycle.ClosedStatuses;
        var versionIds = await db.Dossiers.AsNoTracking().Where(d => !closed.Contains(d.Status)).Select(d => d.DefinitionVersionId).Distinct().ToListAsync(ct);
        var naming = new List<string>();
        foreach (var versionId in versionIds)
        {
            var workflow = await workflows.GetAsync(db, versionId, ct);
            if (workflow.Activities.Values.Any(a => a.Task?.HandlingUnit is { } handling && chain.Contains(handling)))
            {
                naming.Add(versionId);
            }
        }

        var open = TaskStatuses.Open;
        return await db.Dossiers.AsNoTracking()
            .Where(d => !closed.Contains(d.Status)
                && (chain.Contains(d.ReceivingUnit) || naming.Contains(d.DefinitionVersionId)
                    || db.Tasks.Any(t => t.DossierId == d.Id && open.Contains(t.Status) && chain.Contains(t.UnitCode))))
            .OrderBy(d => d.ReceivedAt).ThenBy(d => d.Id)
            .Select(d => d.Id)
            .ToListAsync(ct);
    }

    /// <summary>Whether <paramref name="code"/>'s successors lead to <paramref name="unit"/>.</summary>
    private bool Leads(string code, string unit)
    {
        var current = units.Find(code);
        for (var hops = 0; hops < 32 && current?.Successor is { } next; hops++)
        {
            if (next == unit)
            {
                return true;
            }

            current = units.Find(next);
        }

        return false;
    }

    private static ReorganisationView Summary(string? id, string from, string to, bool dryRun, DateTime effective, List<DossierMove> items, int failed)
    {
        var moving = items.Where(i => i.Outcome == ReorganisationOutcomes.Moves).ToList();
        return new ReorganisationView(id, from, to, dryRun, effective, moving.Count, moving.Sum(i => i.Tasks.Count),
            moving.Sum(i => i.Tasks.Count(t => t.Released)), items.Count(i => i.Outcome == ReorganisationOutcomes.AlreadyMoved),
            items.Count(i => i.Outcome == ReorganisationOutcomes.Closed), failed, items);
    }
}
