using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.CitizenLookup;
using ProcessServer.Host.Features.Views;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Forms;

/// <summary>Printing form 01 with a look-up secret already issued to the clerk.</summary>
/// <param name="Secret">The secret from the receipt's Lookup-Secret header; leave out to issue a new one.</param>
public sealed record ReceiptSlipRequest(string? Secret);

/// <summary>
/// The official forms as print-ready pages and PDF:
/// <c>POST /api/dossiers/{id}/forms/01</c> (the receipt slip: it carries the look-up secret, which is
/// never stored, so printing needs the secret from the receipt or issues a new one) and
/// <c>GET /api/dossiers/{id}/forms/{02|03|04|05}</c>; <c>?format=pdf</c> or <c>Accept: application/pdf</c>
/// gives the PDF printed by Chromium.
/// </summary>
public static partial class FormEndpoints
{
    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        ["02"] = "the supplement request (form 02) exists once a step asked for documents",
        ["03"] = "the refusal (form 03) exists once the application was refused at the counter (POST /api/dossiers/refusals) or the dossier was stopped",
        ["04"] = "the apology (form 04) exists once an apology was issued (POST /api/dossiers/{id}/apology)",
    };

    /// <summary>Registers the printer.</summary>
    public static WebApplicationBuilder AddForms(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<FormOptions>(builder.Configuration.GetSection(FormOptions.Section));
        builder.Services.AddSingleton<ChromiumPdf>();
        return builder;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/forms/forms.css", () => Results.Text(FormPages.Css, "text/css; charset=utf-8")).ExcludeFromDescription().AllowAnonymous();
        var group = app.MapGroup("/api/dossiers/{id}/forms").WithTags("Forms").RequireAuthorization(Policies.Clerk);
        group.MapPost("/01", ReceiptAsync)
            .WithName("PrintReceiptSlip")
            .WithSummary("Form 01, receipt and appointment slip, with the look-up secret and its QR code")
            .WithDescription("Send {\"secret\": \"...\"} with the secret the receipt returned in its Lookup-Secret header to print it; without it a new secret is issued (the old one stops working) and returned in the Lookup-Secret header. HTML, or PDF with ?format=pdf.")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf")
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        group.MapGet("/{form}", FormAsync)
            .WithName("PrintForm")
            .WithSummary("Forms 02 (supplement request), 03 (refusal), 04 (apology), 05 (processing control slip)")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ReceiptAsync(string id, HttpContext http, ProcessServerDbContext db, IServiceProvider services,
        WriteGate gate, IOptionsMonitor<LookupOptions> lookup, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (facts, problem) = await LoadAsync(id, http, db, services, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.From(http.User);
        if (!caller.ActsFor(facts!.Dossier.ReceivingUnit))
        {
            return Problems.Result(StatusCodes.Status403Forbidden, "Not your unit", $"Only the receiving unit {facts.Dossier.ReceivingUnit} prints the receipt slip.");
        }

        string? secret = null;
        if (http.Request.ContentLength is > 0 || http.Request.Headers.ContentType.Count > 0)
        {
            var (_, request, bodyProblem) = await JsonBody.ReadAsync<ReceiptSlipRequest>(http.Request, cancellationToken);
            if (bodyProblem is not null)
            {
                return bodyProblem;
            }

            secret = request!.Secret;
        }

        if (secret is not null && !LookupSecrets.Matches(facts.Dossier.Id, facts.Dossier.LookupSecretHash, secret))
        {
            return Problems.Result(StatusCodes.Status422UnprocessableEntity, "Not this dossier's secret",
                "The secret is not the one issued for this dossier. Send the Lookup-Secret of its receipt, or no body to issue a new secret (the old one stops working).");
        }

        if (secret is null)
        {
            secret = LookupSecrets.New();
            var hash = LookupSecrets.Hash(facts.Dossier.Id, secret);
            using (await gate.EnterAsync(cancellationToken))
            {
                await db.Dossiers.Where(d => d.Id == facts.Dossier.Id).ExecuteUpdateAsync(s => s.SetProperty(d => d.LookupSecretHash, hash), cancellationToken);
            }

            var logger = loggers.CreateLogger("ProcessServer.Forms");
            LogSecretIssued(logger, facts.Dossier.Id, facts.Dossier.ReceiptCode, caller.Name);
            http.Response.Headers[LookupSecrets.Header] = secret;
        }

        var shown = LookupSecrets.Format(secret);
        var html = FormPages.Receipt(facts, shown, lookup.CurrentValue.LinkFor(facts.Dossier.ReceiptCode, shown));
        return await RenderAsync(http, services, html, "01", facts.Dossier.ReceiptCode, cancellationToken);
    }

    private static async Task<IResult> FormAsync(string id, string form, HttpContext http, ProcessServerDbContext db, IServiceProvider services, CancellationToken cancellationToken)
    {
        if (form is not ("02" or "03" or "04" or "05"))
        {
            return Problems.Result(StatusCodes.Status404NotFound, "No such form",
                form == "01" ? "Form 01 carries the look-up secret: print it with POST /api/dossiers/{id}/forms/01." : $"Form '{form}' does not exist; forms are 01 to 05.");
        }

        var (facts, problem) = await LoadAsync(id, http, db, services, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var html = form switch
        {
            "02" => FormPages.Supplement(facts!),
            "03" => FormPages.Refusal(facts!),
            "04" => FormPages.Apology(facts!),
            _ => FormPages.ControlSlip(facts!),
        };
        return html is null
            ? Problems.Result(StatusCodes.Status409Conflict, "Nothing to print yet", $"Dossier {facts!.Dossier.ReceiptCode} has no form {form}: {Names[form]}.")
            : await RenderAsync(http, services, html, form, facts!.Dossier.ReceiptCode, cancellationToken);
    }

    private static async Task<(FormFacts? Facts, IResult? Problem)> LoadAsync(string id, HttpContext http, ProcessServerDbContext db, IServiceProvider services, CancellationToken cancellationToken)
    {
        var dossier = await db.Dossiers.AsNoTracking().SingleOrDefaultAsync(d => d.Id == id || d.ReceiptCode == id, cancellationToken);
        if (dossier is null)
        {
            return (null, Problems.Result(StatusCodes.Status404NotFound, "Dossier not found", $"No dossier has id or receipt code '{id}'."));
        }

        if (!await DossierViews.CanSeeAsync(db, Caller.From(http.User), dossier, cancellationToken))
        {
            return (null, Problems.Result(StatusCodes.Status403Forbidden, "Not your unit", "The dossier has not passed through your units."));
        }

        var units = services.GetRequiredService<UnitDirectory>();
        var time = services.GetRequiredService<VietnamTime>();
        var journal = await db.Journal.AsNoTracking().Where(j => j.DossierId == dossier.Id).OrderBy(j => j.Sequence).ToListAsync(cancellationToken);
        var facts = new FormFacts(
            dossier,
            DossierState.FromJson(dossier.StateJson),
            await DossierViews.ProcedureNameAsync(db, dossier.DefinitionVersionId, cancellationToken),
            journal,
            code => units.Find(code)?.Name ?? code,
            time.ToLocal,
            services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
            services.GetRequiredService<IOptionsMonitor<FormOptions>>().CurrentValue.Place);
        return (facts, null);
    }

    private static async Task<IResult> RenderAsync(HttpContext http, IServiceProvider services, string html, string form, string receiptCode, CancellationToken cancellationToken)
    {
        var pdf = string.Equals(http.Request.Query["format"], "pdf", StringComparison.OrdinalIgnoreCase)
            || http.Request.Headers.Accept.Any(a => a?.Contains("application/pdf", StringComparison.OrdinalIgnoreCase) == true);
        if (!pdf)
        {
            return Results.Text(FormPages.WithStyle(html, inline: false), "text/html; charset=utf-8");
        }

        try
        {
            var bytes = await services.GetRequiredService<ChromiumPdf>().PrintAsync(FormPages.WithStyle(html, inline: true), cancellationToken);
            return Results.File(bytes, "application/pdf", $"mau-{form}-{receiptCode}.pdf");
        }
        catch (PdfPrinterMissingException missing)
        {
            return Problems.Result(StatusCodes.Status503ServiceUnavailable, "PDF printing is not available", missing.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "New look-up secret issued for dossier {DossierId} ({ReceiptCode}) by {Actor}; the previous one no longer works")]
    private static partial void LogSecretIssued(ILogger logger, string dossierId, string receiptCode, string actor);
}
