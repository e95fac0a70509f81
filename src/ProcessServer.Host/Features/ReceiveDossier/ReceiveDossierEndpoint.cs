using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Calendar;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.ReceiveDossier;

/// <summary>Counter receipt of a dossier (form 01).</summary>
/// <param name="ProcedureCode">Procedure code (definition id), e.g. land-first-certificate.</param>
/// <param name="Applicant">Applicant.</param>
/// <param name="Channel">direct, online or postal.</param>
/// <param name="ReceivingUnit">Code of the receiving unit.</param>
/// <param name="ReceivedAt">Receipt instant; defaults to now. Must not be in the future.</param>
/// <param name="Data">Initial dossier variables (e.g. hasFinancialObligation).</param>
public sealed record ReceiveDossierRequest(
    string? ProcedureCode,
    ApplicantRequest? Applicant,
    string? Channel,
    string? ReceivingUnit,
    DateTimeOffset? ReceivedAt,
    Dictionary<string, JsonNode?>? Data);

/// <summary>Applicant as entered at the counter.</summary>
/// <param name="Name">Full name.</param>
/// <param name="IdNumber">Citizen identity number (12 digits) or other ID document number.</param>
/// <param name="Phone">Phone for SMS notifications.</param>
public sealed record ApplicantRequest(string? Name, string? IdNumber, string? Phone);

/// <summary>POST /api/dossiers.</summary>
public static partial class ReceiveDossierEndpoint
{
    /// <summary>Channels and their national codes (1 direct, 2 online, 3 postal).</summary>
    public static readonly IReadOnlyDictionary<string, int> Channels = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["direct"] = 1,
        ["online"] = 2,
        ["postal"] = 3,
    };

    private const int MaxAttempts = 5;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers", HandleAsync)
            .WithName("ReceiveDossier")
            .WithTags("Dossiers")
            .WithSummary("Receive a dossier at the counter")
            .WithDescription("Pins the procedure's published version, starts the workflow and returns the dossier with its receipt code. Optional Idempotency-Key header makes a retry safe.")
            .Accepts<ReceiveDossierRequest>("application/json")
            .Produces<DossierView>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(
        HttpContext http,
        ProcessServerDbContext db,
        WorkflowCache workflows,
        WorkflowInterpreter interpreter,
        WriteGate gate,
        CalendarStore calendars,
        UnitDirectory units,
        VietnamTime time,
        TimeProvider clock,
        FieldLimits limits,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(http.User);
        var (key, keyProblem) = Idempotency.ReadKey(http.Request);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var (body, request, bodyProblem) = await JsonBody.ReadAsync<ReceiveDossierRequest>(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var errors = Validate(request!, units, now);
        limits.Name(errors, "applicant.name", request!.Applicant?.Name?.Trim());
        limits.Variables(errors, "data", request.Data);
        limits.Instant(errors, "receivedAt", request.ReceivedAt);
        if (errors.Count > 0)
        {
            return Problems.Validation("The dossier cannot be received as sent", errors);
        }

        var unit = request!.ReceivingUnit!.Trim();
        if (!caller.ActsFor(unit))
        {
            return Problems.Result(403, "Not your unit", $"You receive dossiers for {string.Join(", ", caller.Units)}, not for '{unit}'.");
        }

        var fingerprint = Idempotency.Fingerprint(http.Request, body);
        if (key is not null && await Idempotency.TryReplayAsync(db, caller.Name, key, fingerprint, cancellationToken) is { } replay)
        {
            return replay;
        }

        var code = request.ProcedureCode!.Trim();
        var published = await db.WorkflowDefinitions.AsNoTracking()
            .Where(d => d.DefinitionId == code && d.IsPublished)
            .Select(d => new { d.Id, d.Version, d.Name })
            .FirstOrDefaultAsync(cancellationToken);
        if (published is null)
        {
            var known = await db.WorkflowDefinitions.AnyAsync(d => d.DefinitionId == code, cancellationToken);
            return Problems.Validation("The dossier cannot be received as sent", new Dictionary<string, string[]>
            {
                ["procedureCode"] = [known
                    ? $"Procedure '{code}' has no published version; ask an administrator to publish it."
                    : $"Procedure '{code}' does not exist; GET /api/procedures lists the codes."],
            });
        }

        var workflow = await workflows.GetAsync(db, published.Id, cancellationToken);
        var calendar = await calendars.CurrentAsync(db, cancellationToken);
        var receivedAt = request.ReceivedAt?.UtcDateTime ?? now;
        var logger = loggers.CreateLogger("ProcessServer.Transitions");

        using var pass = await gate.EnterAsync(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            TransitionResult result;
            try
            {
                result = interpreter.Start(workflow, new StartDossier(receivedAt, unit, caller.Name, request.Data, calendar));
            }
            catch (TransitionException ex)
            {
                return Problems.Result(422, "The dossier data does not fit the procedure", ex.Message);
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
                ReceivedAt = receivedAt,
                Status = string.Empty,
                NationalStatusCode = 0,
                StateJson = string.Empty,
                Version = 0,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Dossiers.Add(dossier);
            var journal = DossierWriter.Stage(db, dossier, [], [], 1, result, now);

            var view = DossierViews.Build(dossier, published.Name, journal, now);
            var json = DossierViews.Serialize(view);
            var etag = DossierViews.ETag(dossier.Version);
            var location = $"/api/dossiers/{dossier.Id}";
            if (key is not null)
            {
                Idempotency.Stage(db, caller.Name, key, fingerprint, StatusCodes.Status201Created, json, etag, location, now);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < MaxAttempts)
            {
                // Another counter took the same receipt number, or a retry raced us on the key.
                if (key is not null && await Idempotency.KeyTakenAsync(db, caller.Name, key, cancellationToken))
                {
                    return await Idempotency.TryReplayAsync(db, caller.Name, key, fingerprint, cancellationToken)
                        ?? Problems.Result(409, "Retry", "A concurrent request with the same Idempotency-Key is in progress; retry.");
                }

                db.ChangeTracker.Clear();
                continue;
            }

            Log.DossierReceived(logger,
                dossier.Id, dossier.ReceiptCode, code, published.Version, unit, dossier.Status, result.State.Tasks.Count);
            return new StoredJsonResult(StatusCodes.Status201Created, json, etag, location);
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
        }

        if (string.IsNullOrWhiteSpace(request.Channel) || !Channels.ContainsKey(request.Channel.Trim()))
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
}
