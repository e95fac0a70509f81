using System.Text;
using ProcessServer.Host.Features.OData;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.Reports;

/// <summary>The period report as a CSV download, and the registrations of the reporting feature.</summary>
public static class ReportEndpoints
{
    /// <summary>Route of the CSV download.</summary>
    public const string CsvRoute = "/api/reports/period.csv";

    /// <summary>Registers the report services, settings and the OData feed model.</summary>
    public static WebApplicationBuilder AddReporting(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<ReportSettings>(builder.Configuration.GetSection(ReportSettings.Section));
        builder.Services.Configure<List<FieldOptions>>(builder.Configuration.GetSection($"{ServerOptions.Section}:Fields"));
        builder.Services.AddSingleton<PeriodReportService>();
        builder.Services.AddSingleton<ReportRequests>();
        builder.Services.AddSingleton<ReportingFeed>();
        return builder;
    }

    /// <summary>Maps the OData feed and the CSV download.</summary>
    public static WebApplication MapReporting(this WebApplication app)
    {
        ODataEndpoints.Map(app);
        app.MapGet(CsvRoute, DownloadAsync).AllowAnonymous().WithTags("Reports")
            .WithSummary("The official period table (Biểu 06 / II.06a) as CSV: ?from=yyyy-MM-dd&to=yyyy-MM-dd, optional withdrawn, rate, rounding, decimals, apology, paused.");
        return app;
    }

    private static async Task DownloadAsync(HttpContext http, ReportRequests reports, ProcessServerDbContext db)
    {
        if (http.User.Identity?.IsAuthenticated != true)
        {
            http.Response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues(["Basic realm=\"ProcessServer\", charset=\"UTF-8\"", "ApiKey"]);
            await Problems.Write(http, 401, "API key required",
                $"Send a Reporter or Administrator key: HTTP Basic (the key as password), X-Api-Key, or ?{ApiKeyAuthenticationHandler.QueryParameter}=.");
            return;
        }

        var caller = Caller.From(http.User);
        if (caller.Role is not (Roles.Reporter or Roles.Administrator))
        {
            await Problems.Write(http, 403, "Not allowed", "Reports are open to Reporter and Administrator keys only.");
            return;
        }

        if (PeopleSignIn.MissingUnit(caller) is { } missing)
        {
            await Problems.Write(http, 403, "Not allowed", missing);
            return;
        }

        PeriodReportResult report;
        try
        {
            report = await reports.ComputeAsync(db, caller, http.Request.Query, http.RequestAborted);
        }
        catch (ArgumentException e)
        {
            await Problems.Write(http, 400, "Invalid report parameters", e.Message);
            return;
        }

        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(ReportRequests.Csv(report))).ToArray();
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"period-report-{report.From:yyyyMMdd}-{report.To:yyyyMMdd}.csv\"";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
