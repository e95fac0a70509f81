using System.Text.Json.Nodes;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;

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
/// <param name="Email">E-mail for notifications (optional).</param>
public sealed record ApplicantRequest(string? Name, string? IdNumber, string? Phone, string? Email = null);

/// <summary>POST /api/dossiers.</summary>
public static class ReceiveDossierEndpoint
{
    /// <summary>Channels and their national codes (1 direct, 2 online, 3 postal).</summary>
    public static readonly IReadOnlyDictionary<string, int> Channels = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["direct"] = 1,
        ["online"] = 2,
        ["postal"] = 3,
    };

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost("/api/dossiers", HandleAsync)
            .WithName("ReceiveDossier")
            .WithTags("Dossiers")
            .WithSummary("Receive a dossier at the counter")
            .WithDescription("Pins the procedure's published version, starts the workflow and returns the dossier with its receipt code. The Lookup-Secret response header carries the applicant's look-up secret once (print it on form 01: POST /api/dossiers/{id}/forms/01). Optional Idempotency-Key header makes a retry safe.")
            .Accepts<ReceiveDossierRequest>("application/json")
            .Produces<DossierView>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Policies.Clerk);

    private static async Task<IResult> HandleAsync(HttpContext http, ReceiveDossierHandler handler, CancellationToken cancellationToken)
    {
        var (body, request, bodyProblem) = await JsonBody.ReadAsync<ReceiveDossierRequest>(http.Request, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        var (token, keyProblem) = Idempotency.ReadToken(http.Request, body, required: false);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        var outcome = await handler.HandleAsync(request!, Caller.From(http.User), token, cancellationToken);
        if (outcome.Answer?.LookupSecret is { } secret)
        {
            // Shown once: only its hash is stored, so a replay of the same request does not carry it.
            http.Response.Headers[LookupSecrets.Header] = secret;
        }

        return outcome.ToHttpResult();
    }
}
