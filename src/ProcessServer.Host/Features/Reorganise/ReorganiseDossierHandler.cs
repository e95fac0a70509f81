using System.Text.Json.Nodes;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;

namespace ProcessServer.Host.Features.Reorganise;

/// <summary>What a reorganisation does, or did, to one dossier.</summary>
public static class ReorganisationOutcomes
{
    /// <summary>Its open tasks and later steps in the retired unit moved (or, in a dry run, would move).</summary>
    public const string Moves = "Moves";

    /// <summary>Nothing of it is in the retired unit any more (an earlier run moved it).</summary>
    public const string AlreadyMoved = "AlreadyMoved";

    /// <summary>Returned or stopped since it was listed.</summary>
    public const string Closed = "Closed";
}

/// <summary>One open task that moves.</summary>
/// <param name="TaskId">Task id (kept).</param>
/// <param name="Title">Its step.</param>
/// <param name="HolderId">Who holds it.</param>
/// <param name="HolderName">Their name.</param>
/// <param name="Released">Whether it goes to the successor's queue instead of staying with its holder.</param>
public sealed record MovingTask(string TaskId, string Title, string? HolderId, string? HolderName, bool Released);

/// <summary>What moves for one dossier.</summary>
/// <param name="DossierId">Dossier id.</param>
/// <param name="ReceiptCode">Receipt code.</param>
/// <param name="ProcedureCode">Procedure.</param>
/// <param name="DefinitionVersion">The version it stays on.</param>
/// <param name="Outcome">Moves, AlreadyMoved or Closed.</param>
/// <param name="Tasks">Open tasks moving to the successor.</param>
/// <param name="LaterSteps">Steps of its pinned version that would start in the retired unit and will start in the successor.</param>
public sealed record DossierMove(string DossierId, string ReceiptCode, string ProcedureCode, int DefinitionVersion, string Outcome,
    IReadOnlyList<MovingTask> Tasks, IReadOnlyList<string> LaterSteps);

/// <summary>
/// Moves one dossier's work from a retired unit to its successor, on the shared write path: the
/// open tasks (holders kept unless released), their deadlines, and the unit its later steps start
/// in. The dossier keeps its procedure version; its completed steps stay under the old unit.
/// </summary>
public sealed class ReorganiseDossierHandler(DossierTransitions transitions)
{
    private const int MaxAttempts = 5;

    /// <summary>What would move for a dossier in this state (nothing is changed).</summary>
    public static DossierMove Analyze(string dossierId, string receiptCode, string procedureCode, int version, DossierState state, CompiledWorkflow workflow,
        string fromUnit, bool releaseHeld)
    {
        if (state.IsClosed)
        {
            return new DossierMove(dossierId, receiptCode, procedureCode, version, ReorganisationOutcomes.Closed, [], []);
        }

        var tasks = state.Tasks.Where(t => t.UnitCode == fromUnit)
            .Select(t => new MovingTask(t.Id, t.Title, t.Holder?.Id, t.Holder?.Name, releaseHeld && t.Holder is not null)).ToList();
        var later = workflow.Activities.Values
            .Where(a => a.Task is { } template && state.HandlingUnit(template.HandlingUnit ?? state.ReceivingUnit) == fromUnit)
            .Select(a => a.DisplayName).ToList();
        return new DossierMove(dossierId, receiptCode, procedureCode, version,
            tasks.Count == 0 && later.Count == 0 ? ReorganisationOutcomes.AlreadyMoved : ReorganisationOutcomes.Moves, tasks, later);
    }

    /// <summary>Moves the dossier's work (retrying when a clerk changed the dossier meanwhile); returns what it did.</summary>
    public async Task<DossierMove?> HandleAsync(string dossierId, string fromUnit, string toUnit, bool releaseHeld, string reorganisationId, Caller caller,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            DossierMove? move = null;
            var result = await transitions.RunAsync(new TransitionCall(dossierId, caller) { ActedFor = toUnit }, input =>
            {
                move = Analyze(input.Dossier.Id, input.Dossier.ReceiptCode, input.Dossier.ProcedureCode, input.Dossier.DefinitionVersion,
                    input.State, input.Workflow, fromUnit, releaseHeld);
                if (move.Outcome != ReorganisationOutcomes.Moves)
                {
                    // Nothing to write: the dossier is closed or was moved by an earlier run.
                    return TransitionDecision.Refuse(new Refusal(RefusalKind.Conflict, move.Outcome, "nothing to move"));
                }

                var moved = TaskHolding.MoveUnit(input.State, fromUnit, toUnit, releaseHeld, caller.Person, input.Now);
                moved.Events[0].Data!["reorganisationId"] = reorganisationId;
                moved.Events[0].Data!["laterSteps"] = new JsonArray([.. move.LaterSteps.Select(s => (JsonNode?)JsonValue.Create(s))]);
                return TransitionDecision.Apply(moved);
            }, cancellationToken);

            if (result.Succeeded || move is { Outcome: not ReorganisationOutcomes.Moves })
            {
                return move;
            }

            if (attempt == MaxAttempts || result.Refusal!.Kind != RefusalKind.Conflict)
            {
                return null;
            }

            // A clerk changed the dossier meanwhile: decide again on it as it is now.
        }
    }
}
