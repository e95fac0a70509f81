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
    WriteGate gate,
    CalendarStore calendars,
    UnitDirectory units,
    VietnamTime time,
    TimeProvider clock,
    OutboxStaging outbox,
    OutboxSignal outboxSignal,
    FieldLimits limits,
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
        var errors = Validate(request, units, now);
        limits.Name(errors, "applicant.name", request.Applicant?.Name?.Trim());
        limits.Variables(errors, "data", request.Data);
        limits.Instant(errors, "receivedAt", request.ReceivedAt);
        if (errors.Count > 0)
        {
            return TransitionOutcome.Refused(Refusal.Invalid("The dossier cannot be received as sent", errors));
        }

        var unit = request.ReceivingUnit!.Trim();
        if (!caller.ActsFor(unit))
        {
            return TransitionOutcome.Refused(new Refusal(RefusalKind.Forbidden, "Not your unit",
                $"You receive dossiers for {string.Join(", ", caller.Units)}, not for '{unit}'."));
        }

        if (await transitions.ReplayAsync(caller, idempotency, cancellationToken) is { } replay)
        {
            return replay;
        }

        var code = request.ProcedureCode!.Trim();

        // The highest published version: the database allows only one, and ordering keeps the
        // choice deterministic even on a store written before that rule.
        var published = await db.WorkflowDefinitions.AsNoTracking()
            .Where(d => d.DefinitionId == code && d.IsPublished)
            .OrderByDescending(d => d.Version)
            .Select(d => new { d.Id, d.Version })
            .FirstOrDefaultAsync(cancellationToken);
        if (published is null)
        {
            var known = await db.WorkflowDefinitions.AnyAsync(d => d.DefinitionId == code, cancellationToken);
            return TransitionOutcome.Refused(Refusal.Field("The dossier cannot be received as sent", "procedureCode", known
                ? $"Procedure '{code}' has no published version; ask an administrator to publish it."
                : $"Procedure '{code}' does not exist; GET /api/procedures lists the codes."));
        }

        var workflow = await workflows.GetAsync(db, published.Id, cancellationToken);
        var calendar = await calendars.CurrentAsync(db, cancellationToken);
        var receivedAt = request.ReceivedAt?.UtcDateTime ?? now;

        using var pass = await gate.EnterAsync(cancellationToken);
        if (await transitions.ReplayAsync(caller, idempotency, cancellationToken) is { } waited)
        {
            return waited;
        }

        for (var attempt = 1; ; attempt++)
        {
            TransitionResult result;
            try
            {
                result = interpreter.Start(workflow, new StartDossier(receivedAt, unit, caller.Name, request.Data, calendar));
            }
            catch (TransitionException ex)
            {
                return TransitionOutcome.Refused(new Refusal(RefusalKind.Unprocessable, "The dossier data does not fit the procedure", ex.Message));
            }

            var dossier = new Dossier
            {
                Id = Guid.CreateVersion7().ToString(),
                ReceiptCode = await ReceiptCodes.NextAsync(db, unit, time.ToLocal(receivedAt), cancellationToken),
                ProcedureCode = code,
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
            var secret = LookupSecrets.New();
            dossier.LookupSecretHash = LookupSecrets.Hash(dossier.Id, secret);
            db.Dossiers.Add(dossier);
            var journal = DossierWriter.Stage(db, dossier, [], [], 1, result, now);
            var messages = outbox.Stage(db, new StagedChange(dossier, 0, journal, workflow, caller.Name, now));
            var answer = await transitions.AnswerAsync(dossier, journal, created: true, location: $"/api/dossiers/{dossier.Id}", now, cancellationToken);
            transitions.StageAnswer(caller, idempotency, answer, now);

            try
            {
                if (await transitions.CommitAsync(caller, idempotency, dossierId: null, readVersion: 0, cancellationToken) is { } lost)
                {
                    return lost;
                }
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // Another counter took the same receipt number: number again.
                db.ChangeTracker.Clear();
                continue;
            }

            if (messages > 0)
            {
                outboxSignal.Notify();
            }

            Log.DossierReceived(_logger, dossier.Id, dossier.ReceiptCode, code, published.Version, unit, dossier.Status, result.State.Tasks.Count);
            return TransitionOutcome.Accepted(answer with { LookupSecret = secret });
        }
    }

    private static Dictionary<string, string[]> Validate(ReceiveDossierRequest request, UnitDirectory units, DateTime now)
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

        if (request.ReceivedAt is { } at && at.UtcDateTime > now.AddMinutes(5))
        {
            Add("receivedAt", $"receivedAt {at:O} is in the future; leave it out to use the current time.");
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
