using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.CompleteTask;
using ProcessServer.Host.Features.ReceiveDossier;
using ProcessServer.Host.Features.ReturnWithoutResolution;
using ProcessServer.Host.Features.Withdrawal;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.HistoryImport;

/// <summary>Statuses of an import run.</summary>
public static class ImportStatuses
{
    public const string Pending = "Pending";
    public const string Running = "Running";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
}

/// <summary>What a run did (or, dry, would do) with one line.</summary>
public static class ImportOutcomes
{
    /// <summary>The dossier was created with its whole history.</summary>
    public const string Created = "Created";

    /// <summary>Dry run: the dossier would be created as described.</summary>
    public const string WouldCreate = "WouldCreate";

    /// <summary>The same line was imported before; nothing changed.</summary>
    public const string Unchanged = "Unchanged";

    /// <summary>The line was not imported; the detail says why. Nothing of it is stored.</summary>
    public const string Refused = "Refused";
}

/// <summary>History import settings (configuration section <c>ProcessServer:Import</c>).</summary>
public sealed class ImportOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "ProcessServer:Import";

    /// <summary>Folder for uploaded files; default: "imports" next to the SQLite file (the temp folder on PostgreSQL).</summary>
    public string? Folder { get; set; }

    /// <summary>Dossiers per transaction (default 50): fewer commits, a short hold of the write gate.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>Lines between progress lines on the console (default 5000).</summary>
    public int ProgressEvery { get; set; } = 5000;

    /// <summary>Name written as the importer in the journal's recorded-by when a run has no starter (never the case over HTTP).</summary>
    public string Recorder { get; set; } = "history-import";
}

/// <summary>
/// Runs a history file through the engine with the events' own times: each dossier is received and
/// every event applied by the same decisions the clerk API uses (CompleteTaskHandler.Decide,
/// RequestWithdrawalHandler.Decide, …), so due dates, pauses, verdicts and the journal are what a
/// live run would have produced. A dossier is stored whole or not at all; a line already imported
/// is left alone (its legacy ref is the idempotency key), so a re-run changes nothing.
/// </summary>
public sealed partial class HistoryImporter(
    ProcessServerDbContext db,
    WorkflowCache workflows,
    CalendarStore calendars,
    WorkflowInterpreter interpreter,
    ReceiveDossierHandler receipts,
    CompleteTaskHandler completions,
    RequestWithdrawalHandler withdrawalRequests,
    AcceptWithdrawalHandler withdrawalAcceptances,
    ReturnWithoutResolutionHandler returns,
    UnitDirectory units,
    VietnamTime zone,
    FieldLimits limits,
    WriteGate gate,
    TimeProvider clock,
    IOptions<ImportOptions> options,
    ILogger<HistoryImporter> logger)
{
    /// <summary>Prefix of the actor id of an imported entry: the legacy user's name follows.</summary>
    public const string LegacyActorPrefix = "legacy:";

    private readonly Dictionary<(string Code, int Version), (ReceiveDossierHandler.PublishedProcedure Procedure, CompiledWorkflow Workflow)?> _procedures = [];

    /// <summary>A line that replayed: everything to store it.</summary>
    private sealed record Plan(int Line, string Ref, string Digest, ReceiveDossierHandler.PublishedProcedure Procedure, CompiledWorkflow Workflow,
        ReceiveDossierRequest Shape, string Unit, DateTime ReceivedAt, TransitionResult Start, IReadOnlyList<TransitionResult> Steps)
    {
        public DossierState Final => Steps.Count == 0 ? Start.State : Steps[^1].State;
    }

    /// <summary>Runs (or resumes) an import run to its end.</summary>
    public async Task RunAsync(string runId, CancellationToken cancellationToken)
    {
        var run = await db.ImportRuns.SingleAsync(r => r.Id == runId, cancellationToken);
        if (run.Status is ImportStatuses.Completed or ImportStatuses.Failed)
        {
            return;
        }

        var caller = Caller.Of(run.CreatedBy, Roles.Administrator, []);
        var time = await calendars.CurrentAsync(db, cancellationToken);
        var resumeAfter = run.LinesDone;
        run.Status = ImportStatuses.Running;
        run.StartedAt ??= clock.GetUtcNow().UtcDateTime;
        if (run.TotalLines == 0)
        {
            run.TotalLines = CountLines(run.FilePath);
        }

        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.AutoDetectChangesEnabled = false;

        var watch = Stopwatch.StartNew();
        var doneAtStart = run.LinesDone;
        using var reader = new StreamReader(run.FilePath);
        var header = await reader.ReadLineAsync(cancellationToken);
        if (HistoryFormat.CheckHeader(header) is { } wrong)
        {
            await FinishAsync(runId, ImportStatuses.Failed, wrong, cancellationToken);
            return;
        }

        var batch = new List<(int Number, string Text)>();
        var lineNumber = 1;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await reader.ReadLineAsync(cancellationToken) is { } text)
        {
            // Data lines already done by an earlier start of this run are skipped, not redone.
            if (++lineNumber - 1 <= resumeAfter)
            {
                continue;
            }

            batch.Add((lineNumber, text));
            if (batch.Count >= Math.Max(1, options.Value.BatchSize))
            {
                await ProcessBatchAsync(runId, run.DryRun, batch, seen, caller, time, cancellationToken);
                batch.Clear();
                await ProgressAsync(runId, doneAtStart, watch, cancellationToken);
            }
        }

        if (batch.Count > 0)
        {
            await ProcessBatchAsync(runId, run.DryRun, batch, seen, caller, time, cancellationToken);
        }

        await FinishAsync(runId, ImportStatuses.Completed, null, cancellationToken);
        var finished = await db.ImportRuns.AsNoTracking().SingleAsync(r => r.Id == runId, cancellationToken);
        var rate = (finished.LinesDone - doneAtStart) / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
        ImportFinished(logger, runId, finished.LinesDone, finished.Created, finished.Unchanged, finished.Refused, rate);
    }

    private async Task ProgressAsync(string runId, int doneAtStart, Stopwatch watch, CancellationToken cancellationToken)
    {
        var run = await db.ImportRuns.AsNoTracking().SingleAsync(r => r.Id == runId, cancellationToken);
        var every = Math.Max(1, options.Value.ProgressEvery);
        if (run.LinesDone / every != (run.LinesDone - options.Value.BatchSize) / every)
        {
            var rate = (run.LinesDone - doneAtStart) / Math.Max(watch.Elapsed.TotalSeconds, 0.001);
            ImportProgress(logger, runId, run.LinesDone, run.TotalLines, run.Created, run.Unchanged, run.Refused, rate);
        }
    }

    private async Task FinishAsync(string runId, string status, string? error, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var run = await db.ImportRuns.SingleAsync(r => r.Id == runId, cancellationToken);
        run.Status = status;
        run.Error = error;
        run.FinishedAt = clock.GetUtcNow().UtcDateTime;
        db.ChangeTracker.DetectChanges();
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Replays every line of the batch, then stores what replayed in one transaction (line by line when that fails).</summary>
    private async Task ProcessBatchAsync(string runId, bool dryRun, List<(int Number, string Text)> batch, Dictionary<string, int> seen, Caller caller,
        TimeContext time, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var now = clock.GetUtcNow().UtcDateTime;
        var results = new List<ImportLineResult>();
        var plans = new List<Plan>();
        var parsed = batch.Select(l => (l.Number, l.Text, Parsed: string.IsNullOrWhiteSpace(l.Text) ? (Dossier: (HistoryDossier?)null, Error: (string?)"the line is empty") : HistoryFormat.Parse(l.Text))).ToList();
        var refs = parsed.Select(p => p.Parsed.Dossier?.Ref?.Trim()).OfType<string>().Distinct().ToList();
        var imported = await db.ImportedDossiers.AsNoTracking().Where(i => refs.Contains(i.SourceRef)).ToDictionaryAsync(i => i.SourceRef, cancellationToken);

        foreach (var (number, text, (dossier, error)) in parsed)
        {
            var result = new ImportLineResult { RunId = runId, LineNumber = number, SourceRef = dossier?.Ref?.Trim(), Outcome = ImportOutcomes.Refused };
            results.Add(result);
            if (dossier is null)
            {
                result.Detail = $"line {number}: {error}";
                continue;
            }

            var digest = HistoryFormat.Digest(text);
            if (result.SourceRef is { } reference && imported.TryGetValue(reference, out var before))
            {
                result.Outcome = before.Digest == digest ? ImportOutcomes.Unchanged : ImportOutcomes.Refused;
                result.DossierId = before.DossierId;
                result.Detail = before.Digest == digest
                    ? $"line {number}: already imported (run {before.RunId}); nothing changed"
                    : $"line {number}: ref '{reference}' was imported before from different content (run {before.RunId}); nothing changed — a legacy dossier is imported once";
                continue;
            }

            if (result.SourceRef is { } duplicate && seen.TryGetValue(duplicate, out var firstLine))
            {
                result.Detail = $"line {number}: ref '{duplicate}' already appears on line {firstLine}; each dossier is one line";
                continue;
            }

            var (plan, refusal) = await ReplayAsync(number, dossier, digest, caller, time, now, cancellationToken);
            if (plan is null)
            {
                result.Detail = $"line {number}: {refusal}";
                continue;
            }

            seen[plan.Ref] = number;
            var final = plan.Final;
            var status = DossierStatusRules.Derive(final);
            result.NationalStatusCode = DossierStatusRules.NationalCode(status);
            result.Detail = $"{status} (national {result.NationalStatusCode}){(final.Verdict is { } v ? $", {v}" : string.Empty)}, "
                + $"{plan.Start.Events.Count + plan.Steps.Sum(s => s.Events.Count)} journal entries";
            if (dryRun)
            {
                result.Outcome = ImportOutcomes.WouldCreate;
                result.Detail = $"would create: {result.Detail}";
            }
            else
            {
                plans.Add(plan);
            }
        }

        var linesDone = batch[^1].Number - 1;
        if (plans.Count > 0 && await TryStoreAsync(runId, plans, results, results, linesDone, caller, now, cancellationToken))
        {
            return;
        }

        // Nothing to store, or one line's rows made the batch fail: store each line on its own, so only that line is refused.
        var stored = new HashSet<int>();
        foreach (var plan in plans)
        {
            var own = results.Single(r => r.LineNumber == plan.Line);
            if (await TryStoreAsync(runId, [plan], [own], [], null, caller, now, cancellationToken))
            {
                stored.Add(plan.Line);
            }
            else
            {
                own.Outcome = ImportOutcomes.Refused;
                own.Detail = $"line {plan.Line}: the store refused the dossier's rows; nothing of it was stored";
                own.DossierId = null;
                own.ReceiptCode = null;
            }
        }

        db.ChangeTracker.Clear();
        var rest = results.Where(r => !stored.Contains(r.LineNumber)).ToList();
        db.ImportLineResults.AddRange(rest);
        await CountAsync(runId, rest, linesDone, cancellationToken);
        db.ChangeTracker.DetectChanges();
        using (await gate.EnterAsync(cancellationToken))
        {
            await db.SaveChangesAsync(cancellationToken);
        }
    }

    /// <summary>Adds what <paramref name="results"/> count to the run's figures and moves its progress to <paramref name="linesDone"/>.</summary>
    private async Task CountAsync(string runId, IReadOnlyCollection<ImportLineResult> results, int? linesDone, CancellationToken cancellationToken)
    {
        var run = await db.ImportRuns.SingleAsync(r => r.Id == runId, cancellationToken);
        run.Created += results.Count(r => r.Outcome is ImportOutcomes.Created or ImportOutcomes.WouldCreate);
        run.Unchanged += results.Count(r => r.Outcome == ImportOutcomes.Unchanged);
        run.Refused += results.Count(r => r.Outcome == ImportOutcomes.Refused);
        if (linesDone is { } done)
        {
            run.LinesDone = Math.Max(run.LinesDone, done);
        }
    }

    /// <summary>
    /// Marks entries as imported by <paramref name="caller"/>. Who acted is the legacy system's user,
    /// known there only by name: the name is the actor id too, prefixed so it never passes for a person
    /// of this server's identity provider or an API key (the importer is only who recorded it).
    /// </summary>
    private static void Imported(IReadOnlyList<JournalEntry> entries, Caller caller)
    {
        DossierTransitions.Recorded(entries, caller, EntryModes.Imported);
        foreach (var entry in entries)
        {
            entry.ActorId = LegacyActorPrefix + entry.Actor;
            entry.ActorName = entry.Actor;
            entry.ActedForUnit = entry.UnitCode ?? entry.ActedForUnit;
        }
    }

    /// <summary>
    /// Stages every plan (receipt, events, the ref) with the given line results and counts, and
    /// commits them in one transaction under the write gate. False (nothing written) when the store refuses.
    /// </summary>
    private async Task<bool> TryStoreAsync(string runId, List<Plan> plans, List<ImportLineResult> own, List<ImportLineResult> others, int? linesDone,
        Caller caller, DateTime now, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        using var pass = await gate.EnterAsync(cancellationToken);
        try
        {
            foreach (var plan in plans)
            {
                var (dossier, journal) = await receipts.StageNewAsync(plan.Procedure, plan.Workflow, plan.Shape, plan.Unit, plan.ReceivedAt, plan.Start, caller.ActingFor(plan.Unit), now, cancellationToken);
                Imported(journal, caller);
                var sequence = journal.Count + 1;
                foreach (var step in plan.Steps)
                {
                    var added = DossierWriter.Stage(db, dossier, Tracked<DossierTask>(t => t.DossierId == dossier.Id && TaskStatuses.Open.Contains(t.Status)),
                        Tracked<Deadline>(d => d.DossierId == dossier.Id), sequence, step, caller.ActingFor(plan.Unit), now);
                    Imported(added, caller);
                    sequence += added.Count;
                }

                db.ImportedDossiers.Add(new ImportedDossier { SourceRef = plan.Ref, DossierId = dossier.Id, Digest = plan.Digest, RunId = runId, ImportedAt = now });
                var result = own.Single(r => r.LineNumber == plan.Line);
                result.Outcome = ImportOutcomes.Created;
                result.DossierId = dossier.Id;
                result.ReceiptCode = dossier.ReceiptCode;
            }

            // A deadline created and cancelled within the history never existed for anyone; do not write it.
            foreach (var entry in db.ChangeTracker.Entries<Deadline>().Where(e => e.State == EntityState.Added && e.Entity.Status == Persistence.Entities.Deadlines.Cancelled).ToList())
            {
                entry.State = EntityState.Detached;
            }

            var all = own.Union(others).ToList();
            db.ImportLineResults.AddRange(all);
            await CountAsync(runId, all, linesDone, cancellationToken);
            db.ChangeTracker.DetectChanges();
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex)
        {
            StoreFailed(logger, ex, runId, plans[0].Line, plans[^1].Line);
            db.ChangeTracker.Clear();
            foreach (var result in own.Where(r => r.Outcome == ImportOutcomes.Created))
            {
                result.Outcome = ImportOutcomes.Refused;
            }

            return false;
        }
    }

    private List<T> Tracked<T>(Func<T, bool> wanted)
        where T : class =>
        db.ChangeTracker.Entries<T>().Select(e => e.Entity).Where(wanted).ToList();

    /// <summary>Checks a line and runs its history through the engine in memory; nothing is stored here.</summary>
    private async Task<(Plan? Plan, string? Refusal)> ReplayAsync(int line, HistoryDossier d, string digest, Caller importer, TimeContext time, DateTime now,
        CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(d.Ref))
        {
            missing.Add("ref (the dossier's code in the legacy system)");
        }
        else if (d.Ref.Trim().Length > 128)
        {
            return (null, "ref is longer than 128 characters");
        }

        if (string.IsNullOrWhiteSpace(d.Procedure) || d.Version is null)
        {
            missing.Add("procedure and version");
        }

        if (string.IsNullOrWhiteSpace(d.Unit))
        {
            missing.Add("unit");
        }

        if (string.IsNullOrWhiteSpace(d.Applicant?.Ref))
        {
            missing.Add("applicant.ref");
        }

        if (missing.Count > 0)
        {
            return (null, $"missing {string.Join(", ", missing)}");
        }

        var unit = d.Unit!.Trim();
        if (units.Find(unit) is null)
        {
            return (null, $"unit '{unit}' is not a configured unit; known units: {string.Join(", ", units.All.Select(u => u.Code))}");
        }

        var channel = d.Channel?.Trim().ToLowerInvariant();
        if (channel is null || !ReceiveDossierEndpoint.Channels.ContainsKey(channel))
        {
            return (null, $"channel '{d.Channel}' is not one of direct, online, postal");
        }

        var receivedAt = HistoryFormat.Instant(d.ReceivedAt, zone.Zone);
        if (receivedAt is null)
        {
            return (null, $"receivedAt '{d.ReceivedAt}' is not an ISO 8601 time (e.g. 2023-03-06T08:15:00+07:00)");
        }

        if (receivedAt > now)
        {
            return (null, $"receivedAt {receivedAt:yyyy-MM-dd HH:mm} UTC is in the future");
        }

        var procedure = await ProcedureAsync(d.Procedure!.Trim(), d.Version!.Value, cancellationToken);
        if (procedure is null)
        {
            return (null, $"procedure '{d.Procedure}' version {d.Version} is not in the store; save that version first (PUT /api/procedures/{d.Procedure}/versions/{d.Version})");
        }

        var (published, workflow) = procedure.Value;
        var applicant = d.Applicant!;
        var shape = new ReceiveDossierRequest(published.Code,
            new ApplicantRequest(Limit(applicant.Name ?? applicant.Ref!, 200), Limit(applicant.IdNumber ?? string.Empty, 32), applicant.Phone is null ? null : Limit(applicant.Phone, 32)),
            channel, unit, null, null);
        var receiver = string.IsNullOrWhiteSpace(d.ReceivedBy) ? importer.Name : Limit(d.ReceivedBy.Trim(), 128);

        TransitionResult start;
        try
        {
            start = interpreter.Start(workflow, new StartDossier(receivedAt.Value, unit, receiver, d.Data, time));
        }
        catch (TransitionException ex)
        {
            return (null, $"receipt: {ex.Message}");
        }

        var steps = new List<TransitionResult>();
        var state = start.State;
        var previous = receivedAt.Value;
        var stand = new Dossier
        {
            Id = string.Empty, ReceiptCode = d.Ref!, ProcedureCode = published.Code, DefinitionVersionId = published.Id, ReceivingUnit = unit,
            Channel = channel, ApplicantName = string.Empty, ApplicantIdNumber = string.Empty, Status = string.Empty, StateJson = string.Empty,
        };
        var events = d.Events ?? [];
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            var label = $"event {i + 1}";
            var at = HistoryFormat.Instant(e.At, zone.Zone);
            if (at is null)
            {
                return (null, $"{label}: at '{e.At}' is not an ISO 8601 time");
            }

            if (at < previous)
            {
                return (null, $"{label}: at {at:yyyy-MM-dd HH:mm} UTC is before the event before it ({previous:yyyy-MM-dd HH:mm} UTC); list events in the order they happened");
            }

            if (at > now)
            {
                return (null, $"{label}: at {at:yyyy-MM-dd HH:mm} UTC is in the future");
            }

            var actor = string.IsNullOrWhiteSpace(e.Actor) ? importer.Name : Limit(e.Actor.Trim(), 128);
            var act = e.Act?.Trim() ?? (e.Step is null ? null : HistoryActs.Complete);
            var input = new TransitionInput(stand, state, workflow, time, new TransitionRows([], [], new JournalMark(0, null)), now, importer, db, importer.ActingFor(unit)) { OccurredAt = at.Value, EntryMode = EntryModes.Imported };
            TransitionDecision decision;
            switch (act)
            {
                case HistoryActs.Complete:
                    var step = e.Step?.Trim();
                    var open = state.Tasks.Where(t => t.ActivityId == step).ToList();
                    if (string.IsNullOrWhiteSpace(step) || string.IsNullOrWhiteSpace(e.Outcome))
                    {
                        return (null, $"{label}: a completion needs step and outcome");
                    }

                    if (open.Count != 1)
                    {
                        return (null, $"{label}: no open step '{step}' at that point; the dossier waits at {(state.Tasks.Count == 0 ? "nothing (it is closed)" : string.Join(", ", state.Tasks.Select(t => t.ActivityId)))}");
                    }

                    decision = completions.Decide(input, open[0].Id, step, e.Outcome.Trim(), actor, e.Comment, e.Data);
                    break;
                case HistoryActs.RequestWithdrawal:
                    decision = withdrawalRequests.Decide(input, actor, Reason(e, "withdrawal requested by the applicant"));
                    break;
                case HistoryActs.AcceptWithdrawal:
                    decision = withdrawalAcceptances.Decide(input, actor, Reason(e, "withdrawal accepted"));
                    break;
                case HistoryActs.ReturnWithoutResolution:
                    decision = returns.Decide(input, actor, Reason(e, "returned without resolution"));
                    break;
                default:
                    return (null, $"{label}: act '{e.Act}' is not one of {string.Join(", ", HistoryActs.All)} (give step and outcome for a completion)");
            }

            if (decision.Refusal is { } refused)
            {
                return (null, $"{label} ({act}{(e.Step is null ? string.Empty : $" {e.Step}")}): {refused.Detail}");
            }

            steps.Add(decision.Result!);
            state = decision.Result!.State;
            previous = at.Value;
        }

        return (new Plan(line, d.Ref!.Trim(), digest, published, workflow, shape, unit, receivedAt.Value, start, steps), null);
    }

    private string Reason(HistoryEvent e, string fallback) =>
        Limit(string.IsNullOrWhiteSpace(e.Reason) ? e.Comment ?? fallback : e.Reason.Trim(), limits.Current.MaxCommentLength);

    private static string Limit(string text, int length) => text.Length <= length ? text : text[..length];

    private async Task<(ReceiveDossierHandler.PublishedProcedure, CompiledWorkflow)?> ProcedureAsync(string code, int version, CancellationToken cancellationToken)
    {
        if (!_procedures.TryGetValue((code, version), out var found))
        {
            var row = await db.WorkflowDefinitions.AsNoTracking().Where(w => w.DefinitionId == code && w.Version == version)
                .Select(w => new { w.Id, w.Version }).SingleOrDefaultAsync(cancellationToken);
            found = row is null ? null : (new ReceiveDossierHandler.PublishedProcedure(code, row.Id, row.Version), await workflows.GetAsync(db, row.Id, cancellationToken));
            _procedures[(code, version)] = found;
        }

        return found;
    }

    private static int CountLines(string path)
    {
        var count = 0;
        using var reader = new StreamReader(path);
        while (reader.ReadLine() is not null)
        {
            count++;
        }

        return Math.Max(0, count - 1);
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information,
        Message = "Import {RunId}: {LinesDone}/{TotalLines} lines, {Created} created, {Unchanged} unchanged, {Refused} refused, {Rate:0} lines/s")]
    private static partial void ImportProgress(ILogger logger, string runId, int linesDone, int totalLines, int created, int unchanged, int refused, double rate);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information,
        Message = "Import {RunId} finished: {LinesDone} lines, {Created} created, {Unchanged} unchanged, {Refused} refused, {Rate:0} lines/s")]
    private static partial void ImportFinished(ILogger logger, string runId, int linesDone, int created, int unchanged, int refused, double rate);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Import {RunId}: lines {FirstLine}-{LastLine} could not be stored together; storing them one by one")]
    private static partial void StoreFailed(ILogger logger, Exception exception, string runId, int firstLine, int lastLine);
}
