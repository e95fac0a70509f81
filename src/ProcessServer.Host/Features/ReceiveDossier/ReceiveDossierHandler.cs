using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.Outbox;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Host.Transitions;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ReceiveDossier;

/// <summary>
/// Receives a dossier: pins the procedure's published version, starts the workflow, issues the
/// receipt code. Used by the clerk API and by in-process callers (importer, fault suite).
/// </summary>
public sealed partial class ReceiveDossierHandler(
    ProcessServerDbContext db,
    DossierTransitions transitions,
    WorkflowCache workflows,
    WorkflowInterpreter interpreter,
    CalendarStore calendars,
    UnitDirectory units,
    VietnamTime time,
    TimeProvider clock,
    LateEntryRules lateEntries,
    OutboxStaging outbox,
    OutboxSignal outboxSignal,
    FieldLimits limits,
    ServerMetrics metrics,
    ILoggerFactory loggers)
{
    private const int MaxAttempts = 5;

    private readonly ILogger _logger = loggers.CreateLogger("ProcessServer.Transitions");

    /// <summary>Receives the dossier, or says why not.</summary>
    /// <param name="request">The dossier as entered at the counter.</param>
    /// <param name="caller">The receiving clerk.</param>
    /// <param name="idempotency">The clerk's Idempotency-Key, when given.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<TransitionOutcome> HandleAsync(ReceiveDossierRequest request, Caller caller, IdempotencyToken? idempotency, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var (checkedRequest, unit, when, refusal) = Check(request, caller, now, request.ReceivedAt, "receivedAt");
        if (refusal is not null)
        {
            return TransitionOutcome.Refused(refusal);
        }

        return await ReceiveAsync(checkedRequest!, unit!, caller, idempotency, when!,
            (workflow, calendar) => interpreter.Start(workflow, new StartDossier(when!.At, unit!, caller.Name, request.Data, calendar, units.Successions())), cancellationToken);
    }

    /// <summary>
    /// Validates what the counter entered and the time given for it (a late entry by an authorised
    /// role, within the window, never in the future), and that the caller works for the unit.
    /// </summary>
    internal (ReceiveDossierRequest? Request, string? Unit, OccurredAt? When, Refusal? Refusal) Check(
        ReceiveDossierRequest request, Caller caller, DateTime now, DateTimeOffset? occurredAt, string timeField)
    {
        var errors = Validate(request, units);
        limits.Name(errors, "applicant.name", request.Applicant?.Name?.Trim());
        limits.Variables(errors, "data", request.Data);
        limits.Instant(errors, timeField, occurredAt);
        var (when, late) = lateEntries.Resolve(occurredAt, caller, now, previousEvent: null, timeField);
        foreach (var (field, messages) in late is { Kind: RefusalKind.Invalid, Errors: { } timeErrors } ? timeErrors : new Dictionary<string, string[]>())
        {
            errors[field] = messages;
        }

        if (errors.Count > 0)
        {
            return (null, null, null, Refusal.Invalid("The dossier cannot be received as sent", errors));
        }

        var unit = request.ReceivingUnit!.Trim();
        // A paper dossier received before a reorganisation is entered under the unit that received it then.
        if (units.Find(unit) is { } receiving && receiving.RetiredBy(when?.At ?? now))
        {
            return (null, null, null, Refusal.Field("The dossier cannot be received as sent", "receivingUnit",
                $"Unit {unit} ({receiving.Name}) no longer exists since {receiving.ValidTo:yyyy-MM-dd}"
                + (units.SuccessorOf(unit) is { } successor ? $"; its work went to {successor}: receive the dossier there." : ".")));
        }

        if (!caller.ActsFor(unit))
        {
            return (null, null, null, new Refusal(RefusalKind.Forbidden, "Not your unit",
                $"You receive dossiers for {string.Join(", ", caller.Units)}, not for '{unit}'."));
        }

        return late is not null ? (null, null, null, late) : (request, unit, when, null);
    }

    /// <summary>
    /// Creates a dossier on the procedure's published version with what the engine makes of it
    /// (a receipt, or a refusal at the counter), numbered and written in one transaction.
    /// </summary>
    internal async Task<TransitionOutcome> ReceiveAsync(ReceiveDossierRequest request, string unit, Caller caller, IdempotencyToken? idempotency,
        OccurredAt when, Func<Engine.Definitions.CompiledWorkflow, TimeContext, TransitionResult> start, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var outcome = await ReceiveOnceAsync(request, unit, caller, idempotency, when, start, cancellationToken);
        metrics.Transition(outcome.Kind, started);
        return outcome;
    }

    private async Task<TransitionOutcome> ReceiveOnceAsync(ReceiveDossierRequest request, string unit, Caller caller, IdempotencyToken? idempotency,
        OccurredAt when, Func<Engine.Definitions.CompiledWorkflow, TimeContext, TransitionResult> start, CancellationToken cancellationToken)
    {
        if (await transitions.ReplayAsync(caller, idempotency, cancellationToken) is { } replay)
        {
            return replay;
        }

        var (published, missing) = await FindPublishedAsync(db, request.ProcedureCode!.Trim(), cancellationToken);
        if (missing is not null)
        {
            return TransitionOutcome.Refused(missing);
        }

        var code = published!.Code;
        var workflow = await workflows.GetAsync(db, published.Id, cancellationToken);
        var calendar = await calendars.CurrentAsync(db, cancellationToken);
        var receivedAt = when.At;

        // Numbered, staged and saved on the write path, where a receipt shares one durable commit
        // with the changes queued with it (DossierTransitions.WriteAsync); answered once that is durable.
        var (outcome, committed) = await transitions.WriteAsync(async ct =>
        {
            if (await transitions.ReplayAsync(caller, idempotency, ct) is { } waited)
            {
                return (waited, null);
            }

            for (var attempt = 1; ; attempt++)
            {
                var now = clock.GetUtcNow().UtcDateTime;
                TransitionResult result;
                try
                {
                    result = start(workflow, calendar);
                }
                catch (TransitionException ex)
                {
                    return (TransitionOutcome.Refused(new Refusal(RefusalKind.Unprocessable, "The dossier data does not fit the procedure", ex.Message)), null);
                }

                var (dossier, journal) = await StageNewAsync(published, workflow, request, unit, receivedAt, result, caller.ActingFor(unit), now, ct);
                DossierTransitions.Recorded(journal, caller, when.EntryMode);
                var secret = LookupSecrets.New();
                dossier.LookupSecretHash = LookupSecrets.Hash(dossier.Id, secret);
                var messages = outbox.Stage(db, new StagedChange(dossier, 0, journal, workflow, caller.Name, now));
                var answer = await transitions.AnswerAsync(dossier, journal, created: true, location: $"/api/dossiers/{dossier.Id}", now, ct);
                transitions.StageAnswer(caller, idempotency, answer, now);

                try
                {
                    if (await transitions.CommitAsync(caller, idempotency, dossierId: null, readVersion: 0, ct) is { } lost)
                    {
                        return (lost, null);
                    }
                }
                catch (DbUpdateException) when (attempt < MaxAttempts)
                {
                    // Another counter took the same receipt number: number again.
                    db.ChangeTracker.Clear();
                    continue;
                }

                var written = transitions.WrittenRows(dossier);
                return (TransitionOutcome.Accepted(answer with { LookupSecret = secret }), () =>
                {
                    transitions.Remember(dossier, answer, result.State.Tasks, written);
                    if (messages > 0)
                    {
                        outboxSignal.Notify();
                    }

                    Log.DossierReceived(_logger, dossier.Id, dossier.ReceiptCode, code, published.Version, unit, dossier.Status, result.State.Tasks.Count);
                });
            }
        }, cancellationToken);
        committed?.Invoke();
        return outcome;
    }

    /// <summary>The published version of a procedure, or why none can be used.</summary>
    internal sealed record PublishedProcedure(string Code, string Id, int Version);

    /// <summary>The highest published version of <paramref name="code"/>, or a refusal naming the problem.</summary>
    internal static async Task<(PublishedProcedure? Published, Refusal? Refusal)> FindPublishedAsync(ProcessServerDbContext db, string code, CancellationToken cancellationToken)
    {
        if (await WritePathQueries.PublishedVersion(db, code, cancellationToken) is { } published)
        {
            return (new PublishedProcedure(code, published.Id, published.Version), null);
        }

        var known = await db.WorkflowDefinitions.AnyAsync(d => d.DefinitionId == code, cancellationToken);
        return (null, Refusal.Field("The dossier cannot be received as sent", "procedureCode", known
            ? $"Procedure '{code}' has no published version; ask an administrator to publish it."
            : $"Procedure '{code}' does not exist; GET /api/procedures lists the codes."));
    }

    /// <summary>Stages a new dossier row, numbered for its unit and day, and what the engine did on it.</summary>
    internal async Task<(Dossier Dossier, IReadOnlyList<JournalEntry> Journal)> StageNewAsync(PublishedProcedure published,
        Engine.Definitions.CompiledWorkflow workflow, ReceiveDossierRequest request, string unit, DateTime receivedAt, TransitionResult result,
        JournalActor actor, DateTime now, CancellationToken cancellationToken)
    {
        var dossier = new Dossier
        {
            Id = Guid.CreateVersion7().ToString(),
            ReceiptCode = await ReceiptCodes.NextAsync(db, unit, time.ToLocal(receivedAt), cancellationToken),
            ProcedureCode = published.Code,
            DefinitionVersionId = published.Id,
            DefinitionVersion = published.Version,
            FieldCode = workflow.Settings.FieldCode,
            ReceivingUnit = unit,
            Channel = request.Channel!.Trim().ToLowerInvariant(),
            ApplicantName = request.Applicant!.Name!.Trim(),
            ApplicantIdNumber = request.Applicant.IdNumber!.Trim(),
            ApplicantPhone = request.Applicant.Phone?.Trim(),
            ApplicantEmail = string.IsNullOrWhiteSpace(request.Applicant.Email) ? null : request.Applicant.Email.Trim(),
            ReceivedAt = receivedAt,
            Status = string.Empty,
            NationalStatusCode = 0,
            StateJson = string.Empty,
            Version = 0,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Dossiers.Add(dossier);
        return (dossier, DossierWriter.Stage(db, dossier, [], [], 1, result, actor, now));
    }

    private static Dictionary<string, string[]> Validate(ReceiveDossierRequest request, UnitDirectory units)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) => errors[field] = [message];

        if (string.IsNullOrWhiteSpace(request.ProcedureCode))
        {
            Add("procedureCode", "procedureCode is required, e.g. \"land-first-certificate\".");
        }

        if (request.Applicant is null)
        {
            Add("applicant", "applicant is required: {\"name\", \"idNumber\", \"phone\"}.");
        }
        else
        {
            if (string.IsNullOrWhiteSpace(request.Applicant.Name))
            {
                Add("applicant.name", "applicant.name is required: the applicant's full name.");
            }

            if (string.IsNullOrWhiteSpace(request.Applicant.IdNumber) || !IdNumberPattern().IsMatch(request.Applicant.IdNumber.Trim()))
            {
                Add("applicant.idNumber", "applicant.idNumber is required: the 12-digit citizen identity number, or another ID document number (6–20 letters and digits).");
            }

            if (!string.IsNullOrWhiteSpace(request.Applicant.Phone) && !PhonePattern().IsMatch(request.Applicant.Phone.Trim()))
            {
                Add("applicant.phone", "applicant.phone must be a phone number of 9–15 digits, optionally starting with +.");
            }

            if (!string.IsNullOrWhiteSpace(request.Applicant.Email) && !EmailPattern().IsMatch(request.Applicant.Email.Trim()))
            {
                Add("applicant.email", "applicant.email must be an e-mail address such as an@example.vn (at most 200 characters).");
            }
        }

        if (string.IsNullOrWhiteSpace(request.Channel) || !ReceiveDossierEndpoint.Channels.ContainsKey(request.Channel.Trim()))
        {
            Add("channel", "channel is required: one of direct, online, postal.");
        }

        if (string.IsNullOrWhiteSpace(request.ReceivingUnit))
        {
            Add("receivingUnit", "receivingUnit is required: the code of the unit receiving the dossier.");
        }
        else if (units.Find(request.ReceivingUnit.Trim()) is null)
        {
            Add("receivingUnit", $"receivingUnit '{request.ReceivingUnit}' is not a configured unit; known units: {string.Join(", ", units.All.Select(u => u.Code))}.");
        }

        return errors;
    }

    [GeneratedRegex(@"^[A-Za-z0-9]{6,20}$")]
    private static partial Regex IdNumberPattern();

    [GeneratedRegex(@"^\+?[0-9 .-]{9,15}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^(?=.{3,200}$)[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();
}
