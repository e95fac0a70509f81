using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Transitions;

/// <summary>
/// The caller's Idempotency-Key and a digest of what the request asks for. The digest catches a key
/// reused for a different request; any caller (HTTP, importer, fault suite) computes it the same way.
/// </summary>
/// <param name="Key">The caller's key (at most 128 characters).</param>
/// <param name="Fingerprint">Digest of the operation and its payload.</param>
public sealed record IdempotencyToken(string Key, string Fingerprint)
{
    /// <summary>Longest key accepted.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>A token whose fingerprint digests <paramref name="operation"/> and <paramref name="payload"/>.</summary>
    /// <param name="key">The caller's key.</param>
    /// <param name="operation">What is asked, e.g. "POST /api/tasks/{id}/complete".</param>
    /// <param name="payload">The request's content as sent.</param>
    public static IdempotencyToken For(string key, string operation, string payload) =>
        new(key, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{operation}\n{payload}"))));
}

/// <summary>A state change of an existing dossier as asked for.</summary>
/// <param name="DossierRef">Dossier id or receipt code.</param>
/// <param name="Caller">Who asks.</param>
/// <param name="ExpectedVersion">The dossier version the caller decided on; a different current version is refused as stale.</param>
/// <param name="Idempotency">The caller's Idempotency-Key, when given.</param>
/// <param name="OccurredAt">When the act happened, for a late (paper) entry; null for now. Checked by <see cref="LateEntryRules"/>.</param>
public sealed record TransitionCall(string DossierRef, Caller Caller, int? ExpectedVersion = null, IdempotencyToken? Idempotency = null,
    DateTimeOffset? OccurredAt = null)
{
    /// <summary>The unit the caller acts for (the task's unit…); their home unit when null. Recorded on every journal entry of the change.</summary>
    public string? ActedFor { get; init; }

    /// <summary>
    /// True when <see cref="DossierRef"/> is the dossier's id as read from one of its own rows (a
    /// task's), so the read before the write path need not look the id up; the write path still
    /// reads the dossier by id or receipt code as for any other call.
    /// </summary>
    public bool RefIsDossierId { get; init; }

    /// <summary>
    /// Checks run first on the write path, before the Idempotency-Key and the dossier's version,
    /// on what they read there (a completion's task, when its dossier was known without reading
    /// it): a refusal, or the unit the caller acts for when <see cref="ActedFor"/> is not set.
    /// </summary>
    public Func<WritePathTasks, CancellationToken, Task<(Refusal? Refusal, string? ActedFor)>>? CheckFirst { get; init; }
}

/// <summary>Everything a handler decides on, read on the write path (<see cref="GroupCommit"/>).</summary>
/// <param name="Dossier">The dossier row (tracked).</param>
/// <param name="State">Its engine state.</param>
/// <param name="Workflow">The definition version it runs on.</param>
/// <param name="Time">The current working calendar.</param>
/// <param name="Rows">Its open task rows, deadline rows and where its journal ends.</param>
/// <param name="Now">Server time of the change (UTC).</param>
/// <param name="Caller">Who asks.</param>
/// <param name="Db">The context the change is staged on (for rows a custom change adds).</param>
/// <param name="Actor">Who acted and for which unit, as the journal records it.</param>
public sealed record TransitionInput(
    Dossier Dossier,
    DossierState State,
    CompiledWorkflow Workflow,
    TimeContext Time,
    TransitionRows Rows,
    DateTime Now,
    Caller Caller,
    ProcessServerDbContext Db,
    JournalActor Actor)
{
    /// <summary>When the act happened (UTC): <see cref="Now"/>, or the earlier time of a late entry. Engine commands run at this instant.</summary>
    public DateTime OccurredAt { get; init; } = Now;

    /// <summary>Null for an act recorded as it happens; <see cref="EntryModes.BackDated"/> for a late entry.</summary>
    public string? EntryMode { get; init; }
}

/// <summary>What a handler decided: refuse, apply an engine result, or stage its own rows.</summary>
public sealed class TransitionDecision
{
    private TransitionDecision(Refusal? refusal, TransitionResult? result, Func<TransitionInput, IReadOnlyList<JournalEntry>>? stage)
    {
        Refusal = refusal;
        Result = result;
        CustomStage = stage;
    }

    /// <summary>The refusal, when nothing is to change.</summary>
    public Refusal? Refusal { get; }

    /// <summary>The engine's result, staged by <see cref="DossierWriter.Stage"/>.</summary>
    public TransitionResult? Result { get; }

    /// <summary>A change that is not an engine step (e.g. a migration), staged by the handler.</summary>
    public Func<TransitionInput, IReadOnlyList<JournalEntry>>? CustomStage { get; }

    /// <summary>Runs after the change is durably committed (logging).</summary>
    public Action<Dossier>? Committed { get; private init; }

    /// <summary>Refuses; nothing is written.</summary>
    public static TransitionDecision Refuse(Refusal refusal) => new(refusal, null, null);

    /// <summary>Applies an engine transition.</summary>
    public static TransitionDecision Apply(TransitionResult result) => new(null, result, null);

    /// <summary>Stages rows the handler builds itself, returning the journal entries added.</summary>
    public static TransitionDecision Stage(Func<TransitionInput, IReadOnlyList<JournalEntry>> stage) => new(null, null, stage);

    /// <summary>Adds an action run once the change is committed.</summary>
    public TransitionDecision Then(Action<Dossier> committed) => new(Refusal, Result, CustomStage) { Committed = committed };
}

/// <summary>
/// The one write path of dossier state changes. Every use-case handler (receive, complete,
/// apology, migrate, and the acts built on them) goes through it, so these rules hold everywhere:
/// <list type="bullet">
/// <item>one change is one transaction: dossier row, task rows, deadlines, journal entries and the
/// stored answer land together or not at all;</item>
/// <item>the dossier's Version column decides between concurrent changes; the loser is told the
/// dossier changed, never overwrites;</item>
/// <item>an Idempotency-Key is checked before and again on the write path, so a duplicate that
/// arrives while the first is in flight gets the first answer, not a conflict;</item>
/// <item>the answer is built once, from what was written, and stored with the change;</item>
/// <item>the messages the change owes the national portal and the applicant are staged in the
/// outbox in the same transaction (<see cref="OutboxStaging"/>);</item>
/// <item>the caller hears back only once the change is durable: on SQLite changes arriving together
/// share one commit, each in a savepoint of its own (<see cref="GroupCommit"/>).</item>
/// </list>
/// </summary>
public sealed class DossierTransitions(
    ProcessServerDbContext db,
    WorkflowCache workflows,
    CalendarStore calendars,
    GroupCommit groupCommit,
    UnitDirectory units,
    TimeProvider clock,
    LateEntryRules lateEntries,
    OutboxStaging outbox,
    OutboxSignal outboxSignal,
    ServerMetrics metrics,
    JournalCache journals,
    TaskDossiers taskDossiers,
    DossierRows dossierRows)
{
    /// <summary>Status code stored with the answer of an accepted change to an existing dossier.</summary>
    internal const int AnswerOk = 200;

    /// <summary>Status code stored with the answer of a receipt.</summary>
    internal const int AnswerCreated = 201;

    /// <summary>The dossier of a task a change committed by this process left open, when still kept; null otherwise (read the task).</summary>
    internal string? DossierOfTask(string taskId) => taskDossiers.Find(taskId);

    /// <summary>Runs a state change of an existing dossier.</summary>
    /// <param name="call">Which dossier, who asks, the version decided on and the Idempotency-Key.</param>
    /// <param name="decide">The handler's decision on the dossier as it is now.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public Task<TransitionOutcome> RunAsync(TransitionCall call, Func<TransitionInput, TransitionDecision> decide, CancellationToken cancellationToken) =>
        RunAsync(call, (input, _) => Task.FromResult(decide(input)), cancellationToken);

    /// <summary>Runs a state change of an existing dossier whose decision reads more rows.</summary>
    /// <param name="call">Which dossier, who asks, the version decided on and the Idempotency-Key.</param>
    /// <param name="decide">The handler's decision on the dossier as it is now.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<TransitionOutcome> RunAsync(
        TransitionCall call,
        Func<TransitionInput, CancellationToken, Task<TransitionDecision>> decide,
        CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await RunOnceAsync(call, decide, cancellationToken);
        metrics.Transition(outcome.Kind, started);
        return outcome;
    }

    private async Task<TransitionOutcome> RunOnceAsync(
        TransitionCall call,
        Func<TransitionInput, CancellationToken, Task<TransitionDecision>> decide,
        CancellationToken cancellationToken)
    {
        var (first, early) = await ReadBeforeWritingAsync(call, cancellationToken);
        if (first is not null)
        {
            return first;
        }

        // The change is decided and staged inside the group commit: on SQLite it shares one durable
        // commit with the changes queued with it, in a savepoint of its own, and this returns only
        // once that commit is durable.
        var (outcome, committed) = await WriteAsync(ct => DecideAndSaveAsync(call, decide, early, ct), cancellationToken);
        if (!outcome.Succeeded && call.Idempotency is not null
            && await ReplayAsync(call.Caller, call.Idempotency, cancellationToken) is { } answered)
        {
            // On PostgreSQL a duplicate sent to another server process shares no write gate with
            // its first request: the first can commit between this one's replay check and its read
            // of the dossier, which then looks changed meanwhile. The client gets the first answer.
            return answered;
        }

        committed?.Invoke();
        return outcome;
    }

    /// <summary>
    /// What is read before the write path: the first answer to the caller's key, if any, or else
    /// the dossier's id and journal. Both reads share one connection: on SQLite each open of a
    /// pooled connection sets it up again (EF registers its functions on it), which costs about
    /// as much as a query. It is closed again before the write path, which lends the context the
    /// batch's connection.
    /// </summary>
    private async Task<(TransitionOutcome? Replay, (string Id, KeptJournal Journal)? Early)> ReadBeforeWritingAsync(
        TransitionCall call, CancellationToken cancellationToken)
    {
        // A dossier this process changed last (or read at a known version) needs no read here: the
        // write path checks the key anyway, and reads no journal at all while the dossier is still
        // at the version its kept journal is whole at. Only a dossier not kept, or kept as a
        // prefix, has its journal read here, away from the write path.
        if (call.RefIsDossierId && journals.Find(call.DossierRef) is { CompleteAtVersion: not null } whole)
        {
            return (null, (call.DossierRef, whole));
        }

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            // With checks to make on the write path first, a replay is answered only after them there.
            if (call.CheckFirst is null && await ReplayAsync(call.Caller, call.Idempotency, cancellationToken) is { } first)
            {
                return (first, null);
            }

            // The journal is append-only, so it is read before the write path (the longest read of a
            // transition; only the entries since the last transition seen, the rest is kept serialized)
            // and the write path reads only what was appended after it.
            return (null, await PreReadAsync(call.DossierRef, call.RefIsDossierId, cancellationToken));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// The part of a change that runs on the write path: the checks that must see the latest
    /// written state, the handler's decision, staging and the one SaveChanges. Returns the outcome
    /// and what is to run once the change is durable.
    /// </summary>
    private async Task<(TransitionOutcome Outcome, Action? Committed)> DecideAndSaveAsync(
        TransitionCall call,
        Func<TransitionInput, CancellationToken, Task<TransitionDecision>> decide,
        (string Id, KeptJournal Journal)? early,
        CancellationToken cancellationToken)
    {
        var epoch = groupCommit.RowsEpoch;
        if (call.RefIsDossierId && epoch is { } current && dossierRows.Find(call.DossierRef, current) is { } kept)
        {
            var (outcome, committed) = await DecideAndSaveOnceAsync(call, decide, early, kept, cancellationToken);
            if (outcome is { Succeeded: true })
            {
                if (outcome.Kind == "accepted")
                {
                    metrics.KeptRows("kept");
                }

                return (outcome, committed);
            }

            metrics.KeptRows("stale");

            // A refusal, or a write that found the rows changed: decided again on the rows as
            // stored, so nobody is ever refused or overwritten on the strength of kept rows.
            db.ChangeTracker.Clear();
            dossierRows.Forget(call.DossierRef);
        }

        var (read, afterRead) = await DecideAndSaveOnceAsync(call, decide, early, null, cancellationToken);
        if (epoch is not null && read!.Kind == "accepted")
        {
            metrics.KeptRows("read");
        }

        return (read!, afterRead);
    }

    /// <summary>
    /// <see cref="DecideAndSaveAsync"/> on the dossier's rows as <paramref name="kept"/>, or as read
    /// when that is null. On kept rows a write that finds them changed returns no outcome at all.
    /// </summary>
    private async Task<(TransitionOutcome? Outcome, Action? Committed)> DecideAndSaveOnceAsync(
        TransitionCall call,
        Func<TransitionInput, CancellationToken, Task<TransitionDecision>> decide,
        (string Id, KeptJournal Journal)? early,
        KeptRows? kept,
        CancellationToken cancellationToken)
    {
        var actedFor = call.ActedFor;

        // Not kept: on SQLite the rows are read here, on the batch's connection, by prepared
        // statements (RowReader) rather than EF's queries, and serve as kept rows would, but as read:
        // a write that finds them changed is a real conflict, as after EF's reads.
        var rows = kept;
        if (kept is null && call.RefIsDossierId && await RowReader.ReadAsync(db, call.DossierRef, cancellationToken) is { Dossier: { } readDossier } read)
        {
            rows = new KeptRows(0, readDossier, read.OpenTasks, read.Deadlines);
        }

        if (call.CheckFirst is { } check)
        {
            var (refused, checkedFor) = await check(new WritePathTasks(db, rows), cancellationToken);
            if (refused is not null)
            {
                db.ChangeTracker.Clear();
                return (TransitionOutcome.Refused(refused), null);
            }

            actedFor ??= checkedFor;
        }

        // Again on the write path: a duplicate that waited here while the first request was being
        // written must get the first answer, not "the dossier changed meanwhile".
        if (await ReplayAsync(call.Caller, call.Idempotency, cancellationToken) is { } replay)
        {
            return (replay, null);
        }

        var attached = rows?.AttachTo(db, copy: kept is not null);
        var dossier = attached?.Dossier ?? await WritePathQueries.DossierByRef(db, call.DossierRef, cancellationToken);
        if (dossier is null)
        {
            return (TransitionOutcome.Refused(new Refusal(RefusalKind.NotFound, "Dossier not found", $"No dossier has id or receipt code '{call.DossierRef}'.")), null);
        }

        if (call.ExpectedVersion is { } expected && dossier.Version != expected)
        {
            db.ChangeTracker.Clear();
            return (TransitionOutcome.Refused(Refusal.Stale(dossier.ReceiptCode, dossier.Version, dossier.Status)), null);
        }

        var readVersion = dossier.Version;
        var previousNationalCode = dossier.NationalStatusCode;
        var now = clock.GetUtcNow().UtcDateTime;
        var journal = early is { } before && before.Id == dossier.Id ? before.Journal : KeptJournal.Empty;
        if (!journal.IsWholeAt(dossier.Version))
        {
            // Entries written after the kept ones (by another server process, say) are read here.
            // Not kept back into the cache: this runs inside the write transaction.
            journal = journal.Extend(await SerializedJournalAfterAsync(dossier.Id, journal.Mark.LastSequence, cancellationToken));
        }

        var transitionRows = attached is { } known
            ? new TransitionRows(known.OpenTasks, known.Deadlines, journal.Mark)
            : await DossierWriter.LoadRowsAsync(db, dossier.Id, journal.Mark, cancellationToken);
        var (when, late) = lateEntries.Resolve(call.OccurredAt, call.Caller, now, transitionRows.LastTimestamp);
        if (late is not null)
        {
            db.ChangeTracker.Clear();
            return (TransitionOutcome.Refused(late), null);
        }

        var input = new TransitionInput(
            dossier,
            DossierState.FromJson(dossier.StateJson),
            await workflows.GetAsync(db, dossier.DefinitionVersionId, cancellationToken),
            await calendars.CurrentAsync(db, cancellationToken),
            transitionRows,
            now,
            call.Caller,
            db,
            call.Caller.ActingFor(actedFor))
        {
            OccurredAt = when!.At,
            EntryMode = when.EntryMode,
        };

        TransitionDecision decision;
        try
        {
            decision = await decide(input, cancellationToken);
        }
        catch (TransitionException ex)
        {
            decision = TransitionDecision.Refuse(FromEngine(ex));
        }

        if (decision.Refusal is { } refusal)
        {
            db.ChangeTracker.Clear();
            return (TransitionOutcome.Refused(refusal), null);
        }

        var added = decision.Result is { } result
            ? DossierWriter.Stage(db, dossier, input.Rows.OpenTasks, input.Rows.Deadlines, input.Rows.NextSequence, result, input.Actor, now)
            : decision.CustomStage!(input);
        Recorded(added, call.Caller, input.EntryMode);
        var messages = outbox.Stage(db, new StagedChange(dossier, previousNationalCode, added, input.Workflow, call.Caller.Name, now));
        var answer = await AnswerAsync(dossier, journal.Entries, added, created: false, location: null, now, cancellationToken,
            decision.Result?.State);
        StageAnswer(call.Caller, call.Idempotency, answer, now);

        if (kept is not null)
        {
            try
            {
                await ChangeWriter.SaveAsync(db, cancellationToken);
            }
            catch (DbUpdateException)
            {
                // The rows were not as kept (or a duplicate key): nothing of this attempt was written.
                return (null, null);
            }
        }
        else if (await CommitAsync(call.Caller, call.Idempotency, dossier.Id, readVersion, cancellationToken) is { } lost)
        {
            return (lost, null);
        }

        // Only an engine change is known to leave exactly the rows KeptRows.Of finds tracked.
        var written = decision.Result is not null ? WrittenRows(dossier) : null;
        return (TransitionOutcome.Accepted(answer), () =>
        {
            Remember(dossier, answer, decision.Result?.State.Tasks, written);
            if (messages > 0)
            {
                outboxSignal.Notify();
            }

            decision.Committed?.Invoke(dossier);
        });
    }

    /// <summary>
    /// Runs a change's write part (<paramref name="work"/>: checks, staging, the one SaveChanges on
    /// this scope's context) on the write path and returns its outcome once the change is durable;
    /// a refusal's writes, if any, are rolled back. The returned action is what the work wants run
    /// after the commit (signals, logs).
    /// </summary>
    internal Task<(TransitionOutcome Outcome, Action? Committed)> WriteAsync(
        Func<CancellationToken, Task<(TransitionOutcome Outcome, Action? Committed)>> work, CancellationToken cancellationToken) =>
        groupCommit.WriteAsync(db, work, written => written.Outcome.Succeeded, cancellationToken);

    /// <summary>The dossier's id and its journal, serialized, as committed before the write path; null when there is no such dossier.</summary>
    private async Task<(string Id, KeptJournal Journal)?> PreReadAsync(string dossierRef, bool refIsId, CancellationToken cancellationToken)
    {
        var id = refIsId ? dossierRef : await WritePathQueries.DossierIdByRef(db, dossierRef, cancellationToken);
        if (id is null)
        {
            return null;
        }

        // Read outside any write transaction: what is found here is committed, so it may be kept.
        var kept = journals.Find(id);
        var next = await SerializedJournalAfterAsync(id, kept.Mark.LastSequence, cancellationToken);
        if (next.Count > 0)
        {
            kept = kept.Extend(next);
            journals.Keep(id, kept);
        }

        return (id, kept);
    }

    /// <summary>
    /// The dossier's journal entries after sequence <paramref name="after"/>, serialized: the bytes
    /// stored with each entry, rendered from the columns only from the first entry that has none
    /// (imported history, rows older than the column). Reading the stored bytes alone skips
    /// materialising every column of every entry (four instants parsed from text each, on SQLite),
    /// which was most of what a long journal cost the first change after a restart.
    /// </summary>
    private async Task<List<SerializedEntry>> SerializedJournalAfterAsync(string dossierId, int after, CancellationToken cancellationToken)
    {
        var stored = await WritePathQueries.StoredViewsAfterAsync(db, dossierId, after, cancellationToken);
        var unrendered = stored.FindIndex(t => t.ViewJson is null);
        var entries = new List<SerializedEntry>(stored.Count);
        entries.AddRange(stored.Take(unrendered < 0 ? stored.Count : unrendered).Select(t => new SerializedEntry(t.Sequence, t.Timestamp, t.ViewJson!)));
        if (unrendered >= 0)
        {
            var rest = await WritePathQueries.JournalAfterAsync(db, dossierId, stored[unrendered].Sequence - 1, cancellationToken);
            entries.AddRange(rest.Select(SerializedEntry.Of));
        }

        return entries;
    }

    /// <summary>
    /// Keeps the journal of a change just durably committed, as its answer carries it (every entry,
    /// serialized), as the whole journal of the dossier at the version written: the dossier's next
    /// change then reads no journal. Called only after the commit, so the cache still holds nothing
    /// that was not committed.
    /// </summary>
    /// <param name="dossier">The dossier as written (its version is the one committed).</param>
    /// <param name="answer">The change's answer.</param>
    /// <param name="openTasks">The tasks the change left open, when it ran the engine: their dossier is kept (<see cref="TaskDossiers"/>).</param>
    /// <param name="rows">The dossier's rows as the change wrote them, to be kept (<see cref="DossierRows"/>); when null, any kept before are forgotten.</param>
    internal void Remember(Dossier dossier, TransitionAnswer answer, IEnumerable<PendingTask>? openTasks = null, KeptRows? rows = null)
    {
        if (rows is not null)
        {
            dossierRows.Keep(rows, groupCommit.RowsEpoch);
        }
        else
        {
            dossierRows.Forget(dossier.Id);
        }

        if (openTasks is not null)
        {
            taskDossiers.Keep(dossier.Id, openTasks);
        }

        if (answer.Built is { } body)
        {
            journals.Keep(dossier.Id, KeptJournal.Of(body.Entries).WholeAt(dossier.Version));
        }
    }

    /// <summary>
    /// The rows of <paramref name="dossier"/> as the change just saved on this scope's context wrote
    /// them, to be kept once durable (<see cref="Remember"/>); null on PostgreSQL. Call it on the
    /// write path only, right after the save: there the epoch is the one the batch writes in.
    /// </summary>
    internal KeptRows? WrittenRows(Dossier dossier) =>
        groupCommit.RowsEpoch is { } writtenIn ? KeptRows.Of(db, dossier, writtenIn) : null;

    /// <summary>A dossier's journal entries up to <paramref name="lastSequence"/> as views write them: the kept ones when they reach that far, else read.</summary>
    private async Task<IReadOnlyList<byte[]>> JournalUpToAsync(string dossierId, int lastSequence, CancellationToken cancellationToken)
    {
        var kept = journals.Find(dossierId);
        if (kept.Mark.LastSequence >= lastSequence)
        {
            return kept.Entries.TakeWhile(e => e.Sequence <= lastSequence).Select(e => e.Json).ToList();
        }

        // Not kept back into the cache: a replay can run inside a write transaction, and the cache
        // holds only what is known to be committed.
        var rows = await db.Journal.AsNoTracking().Where(j => j.DossierId == dossierId && j.Sequence <= lastSequence)
            .OrderBy(j => j.Sequence).ToListAsync(cancellationToken);
        return rows.Select(j => SerializedEntry.Of(j).Json).ToList();
    }

    /// <summary>Marks journal entries with who recorded them and how (live, late, imported).</summary>
    internal static void Recorded(IEnumerable<JournalEntry> entries, Caller caller, string? entryMode)
    {
        foreach (var entry in entries)
        {
            entry.RecordedBy ??= caller.Name;
            entry.EntryMode ??= entryMode;
        }
    }

    /// <summary>The stored answer to the caller's key, a refusal for a key reused differently, or null to proceed.</summary>
    public async Task<TransitionOutcome?> ReplayAsync(Caller caller, IdempotencyToken? token, CancellationToken cancellationToken)
    {
        if (token is null)
        {
            return null;
        }

        var record = await WritePathQueries.IdempotencyRecord(db, caller.IdempotencyScope, token.Key, cancellationToken);
        if (record is null)
        {
            return null;
        }

        return record.RequestFingerprint == token.Fingerprint
            ? TransitionOutcome.Accepted(new TransitionAnswer(record.StatusCode == AnswerCreated,
                await StoredAnswer.UnpackAsync(record.ResponseBody, JournalUpToAsync, cancellationToken), record.ETag, record.Location, replayed: true))
            : TransitionOutcome.Refused(new Refusal(RefusalKind.Unprocessable, "Idempotency-Key reused",
                $"The Idempotency-Key '{token.Key}' was already used for a different request. Use a new key for a new request."));
    }

    /// <summary>
    /// Builds the answer (the dossier view) of a new dossier from the rows as they will be written,
    /// and from the state just staged when the caller passes it (parsed from the row otherwise).
    /// </summary>
    internal Task<TransitionAnswer> AnswerAsync(Dossier dossier, IReadOnlyList<JournalEntry> added, bool created, string? location, DateTime now, CancellationToken cancellationToken,
        DossierState? state = null) =>
        AnswerAsync(dossier, [], added, created, location, now, cancellationToken, state);

    /// <summary>
    /// As the other overload, for a dossier whose journal so far is <paramref name="kept"/>
    /// (serialized), followed by the entries this change adds (<paramref name="added"/>). Each added
    /// entry is serialized here once and staged with its row (<see cref="JournalEntry.ViewJson"/>):
    /// nothing changes an entry after its answer is built, so the stored bytes are what every later
    /// view shows.
    /// </summary>
    internal async Task<TransitionAnswer> AnswerAsync(Dossier dossier, IReadOnlyList<SerializedEntry> kept, IReadOnlyList<JournalEntry> added,
        bool created, string? location, DateTime now, CancellationToken cancellationToken, DossierState? state = null)
    {
        RequestLogging.Dossier(dossier.Id, dossier.ReceiptCode, dossier.ProcedureCode, dossier.DefinitionVersion);
        var name = await workflows.NameAsync(db, dossier.DefinitionVersionId, cancellationToken);
        var view = DossierViews.Build(dossier, state ?? DossierState.FromJson(dossier.StateJson), name, [], now, units);
        var slot = new JournalSlot();
        var utf8 = DossierViews.SerializeToUtf8(view with { Journal = slot });
        var entries = new List<SerializedEntry>(kept.Count + added.Count);
        entries.AddRange(kept);
        foreach (var entry in added.OrderBy(j => j.Sequence))
        {
            entry.ViewJson = SerializedEntry.Render(entry);
            entries.Add(SerializedEntry.Of(entry));
        }

        var body = new AnswerBody(dossier.Id, utf8, checked((int)slot.Offset!.Value), entries);
        return new TransitionAnswer(created, body, DossierViews.ETag(dossier.Version), location);
    }

    /// <summary>Stages the answer under the caller's key, in the same transaction as the change.</summary>
    internal void StageAnswer(Caller caller, IdempotencyToken? token, TransitionAnswer answer, DateTime now)
    {
        if (token is null)
        {
            return;
        }

        // Every stored answer is a first answer built from a dossier view (AnswerAsync); replays are never stored.
        var body = answer.Built ?? throw new InvalidOperationException("Only an answer built from a dossier view is stored under an Idempotency-Key.");
        db.IdempotencyRecords.Add(new IdempotencyRecord
        {
            Scope = caller.IdempotencyScope,
            Key = token.Key,
            RequestFingerprint = token.Fingerprint,
            StatusCode = answer.Created ? AnswerCreated : AnswerOk,
            ResponseBody = StoredAnswer.Pack(body),
            ETag = answer.ETag,
            Location = answer.Location,
            CreatedAt = now,
        });
    }

    /// <summary>
    /// Commits the staged change. Returns null when it landed; otherwise what the caller is told:
    /// the first answer when a concurrent request with the same key won, or "changed meanwhile"
    /// when another change of the dossier won. Anything else is a fault and propagates.
    /// </summary>
    /// <param name="caller">Who asks.</param>
    /// <param name="token">The caller's key.</param>
    /// <param name="dossierId">The dossier changed, or null for a receipt (a new dossier).</param>
    /// <param name="readVersion">The version the change was decided on.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    internal async Task<TransitionOutcome?> CommitAsync(Caller caller, IdempotencyToken? token, string? dossierId, int readVersion, CancellationToken cancellationToken)
    {
        try
        {
            await ChangeWriter.SaveAsync(db, cancellationToken);
            return null;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await ReplayAsync(caller, token, cancellationToken) is { } replay)
            {
                return replay;
            }

            if (dossierId is null)
            {
                throw;
            }

            // On PostgreSQL a concurrent change of the same dossier can surface as a duplicate
            // journal key rather than as a concurrency conflict: both mean someone else was first.
            var current = await db.Dossiers.AsNoTracking().SingleAsync(d => d.Id == dossierId, cancellationToken);
            if (current.Version != readVersion)
            {
                return TransitionOutcome.Refused(Refusal.Stale(current.ReceiptCode, current.Version, current.Status));
            }

            throw;
        }
    }

    private static Refusal FromEngine(TransitionException ex) => ex.Error switch
    {
        TransitionError.OutcomeNotAllowed or TransitionError.InvalidData => new Refusal(RefusalKind.Unprocessable, "Not allowed for this step", ex.Message),
        _ => new Refusal(RefusalKind.Conflict, "Not possible in the dossier's current state", ex.Message),
    };
}
