using System.Diagnostics;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Features;
using Serilog;
using Serilog.AspNetCore;
using Serilog.Events;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Serilog.AspNetCore's request logging (one event per request) with what an operator needs to
/// follow a dossier: the caller (API key name, role, units), and the dossier, receipt code and
/// procedure the request touched.
/// </summary>
public static class RequestLogging
{
    private const string DossierTag = "processserver.dossier.id";
    private const string ReceiptTag = "processserver.dossier.receipt_code";
    private const string ProcedureTag = "processserver.procedure.code";
    private const string DefinitionVersionTag = "processserver.procedure.version";

    /// <summary>
    /// Names the dossier the current request works on. The state-change pipeline calls it, so every
    /// receipt, completion, apology and migration is logged (and traced) with its dossier. It sets
    /// tags on the request's <see cref="Activity"/>, which ASP.NET Core creates for every request
    /// while logging is on; the pipeline itself stays free of HTTP and of Serilog.
    /// </summary>
    public static void Dossier(string dossierId, string receiptCode, string procedureCode, int definitionVersion)
    {
        var activity = Activity.Current;
        activity?.SetTag(DossierTag, dossierId);
        activity?.SetTag(ReceiptTag, receiptCode);
        activity?.SetTag(ProcedureTag, procedureCode);
        activity?.SetTag(DefinitionVersionTag, definitionVersion);
    }

    /// <summary>Adds the request logging middleware (replaces the hand-written one this project had).</summary>
    public static IApplicationBuilder UseProcessServerRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            // This host's logger (configured from appsettings), not the static bootstrap logger.
            options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            // Same text as the events of the hand-written middleware, so log searches keep working.
            options.MessageTemplate = "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms for {Caller}";
            options.GetLevel = (http, _, exception) =>
                exception is not null || http.Response.StatusCode >= 500 ? LogEventLevel.Error : LogEventLevel.Information;
            options.EnrichDiagnosticContext = Enrich;
        });

    private static void Enrich(IDiagnosticContext log, HttpContext http)
    {
        var user = http.User;
        log.Set("Caller", user.Identity?.IsAuthenticated == true ? user.Identity.Name : "anonymous");
        if (user.FindFirst(ClaimTypes.Role)?.Value is { } role)
        {
            log.Set("CallerRole", role);
        }

        var units = user.FindAll(ApiKeyAuthenticationHandler.UnitClaim).Select(c => c.Value).ToArray();
        if (units.Length > 0)
        {
            log.Set("CallerUnits", units);
        }

        // The route names what was asked for even when the request was refused (404, 403, 409).
        var route = http.Request.RouteValues;
        SetFromRoute(log, route, "taskId", "TaskId");
        SetFromRoute(log, route, "code", "ProcedureCode");
        SetFromRoute(log, route, "idOrReceiptCode", "DossierRef");
        if (http.Request.Path.StartsWithSegments("/api/dossiers", StringComparison.Ordinal))
        {
            SetFromRoute(log, route, "id", "DossierRef");
        }

        // What the request actually worked on, named by the state-change pipeline.
        if (http.Features.Get<IHttpActivityFeature>()?.Activity is { } activity)
        {
            SetFromTag(log, activity, DossierTag, "DossierId");
            SetFromTag(log, activity, ReceiptTag, "ReceiptCode");
            SetFromTag(log, activity, ProcedureTag, "ProcedureCode");
            SetFromTag(log, activity, DefinitionVersionTag, "DefinitionVersion");
        }

        log.Set("RequestQuery", http.Request.QueryString.HasValue ? RedactKey(http.Request.QueryString.Value!) : null);
    }

    private static void SetFromRoute(IDiagnosticContext log, RouteValueDictionary route, string key, string property)
    {
        if (route.TryGetValue(key, out var value) && value is not null)
        {
            log.Set(property, value.ToString());
        }
    }

    private static void SetFromTag(IDiagnosticContext log, Activity activity, string tag, string property)
    {
        if (activity.GetTagItem(tag) is { } value)
        {
            log.Set(property, value);
        }
    }

    /// <summary>The OData feed accepts the key as ?api_key=…; it never goes to the logs.</summary>
    private static string RedactKey(string query) =>
        System.Text.RegularExpressions.Regex.Replace(query, "(?i)([?&]api_key=)[^&]*", "$1***");
}
