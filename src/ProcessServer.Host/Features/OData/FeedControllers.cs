using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OData.Abstracts;
using Microsoft.AspNetCore.OData.Formatter;
using Microsoft.AspNetCore.OData.Query;
using Microsoft.AspNetCore.OData.Routing.Controllers;
using ProcessServer.Host.Features.Reports;

namespace ProcessServer.Host.Features.OData;

// One controller per entity set, routed by the library's conventions: Get answers the set and
// Set/$count, Get(key) answers Set(key). The query work is FeedPages'; these only pick the rows.

/// <summary>Dossiers.</summary>
public sealed class DossiersController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<DossierRow> options) =>
        FeedPages.CollectionAsync(this, FeedSources.Dossiers(FeedContext.For(HttpContext), Uses(options, "Steps")), options);

    [ETagActionFilter]
    public Task<IActionResult> Get(string key, ODataQueryOptions<DossierRow> options) =>
        FeedPages.EntityAsync(this, FeedSources.Dossiers(FeedContext.For(HttpContext), Uses(options, "Steps")).Where(d => d.Id == key), options, "dossier");

    /// <summary>
    /// Whether a query reaches the navigation property (in $expand, $filter any/all, $orderby, $apply,
    /// $compute): only then do the rows carry it, so plain queries do not pay for the join.
    /// </summary>
    internal static bool Uses(ODataQueryOptions options, string navigation) =>
        new[] { options.RawValues.Expand, options.RawValues.Filter, options.RawValues.OrderBy, options.RawValues.Apply, options.RawValues.Compute, options.RawValues.Select }
            .Any(v => v?.Contains(navigation, StringComparison.Ordinal) == true);
}

/// <summary>Steps.</summary>
public sealed class StepsController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<StepRow> options) =>
        FeedPages.CollectionAsync(this, FeedSources.Steps(FeedContext.For(HttpContext), DossiersController.Uses(options, "Dossier")), options);

    public Task<IActionResult> Get(string key, ODataQueryOptions<StepRow> options) =>
        FeedPages.EntityAsync(this, FeedSources.Steps(FeedContext.For(HttpContext), DossiersController.Uses(options, "Dossier")).Where(s => s.Id == key), options, "step");
}

/// <summary>Procedures (one row per definition version).</summary>
public sealed class ProceduresController : ODataController
{
    public async Task<IActionResult> Get(ODataQueryOptions<ProcedureRow> options) =>
        await FeedPages.CollectionAsync(this, await FeedSources.ProceduresAsync(FeedContext.For(HttpContext), HttpContext.RequestAborted), options);

    public async Task<IActionResult> Get(string key, ODataQueryOptions<ProcedureRow> options) =>
        await FeedPages.EntityAsync(this, (await FeedSources.ProceduresAsync(FeedContext.For(HttpContext), HttpContext.RequestAborted)).Where(p => p.Id == key), options, "procedure");
}

/// <summary>Units.</summary>
public sealed class UnitsController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<UnitRow> options) => FeedPages.CollectionAsync(this, FeedSources.Units(FeedContext.For(HttpContext)), options);

    public Task<IActionResult> Get(string key, ODataQueryOptions<UnitRow> options) =>
        FeedPages.EntityAsync(this, FeedSources.Units(FeedContext.For(HttpContext)).Where(u => u.Code == key), options, "unit");
}

/// <summary>Fields.</summary>
public sealed class FieldsController : ODataController
{
    public async Task<IActionResult> Get(ODataQueryOptions<FieldRow> options) =>
        await FeedPages.CollectionAsync(this, await FeedSources.FieldsAsync(FeedContext.For(HttpContext), HttpContext.RequestAborted), options);

    public async Task<IActionResult> Get(string key, ODataQueryOptions<FieldRow> options) =>
        await FeedPages.EntityAsync(this, (await FeedSources.FieldsAsync(FeedContext.For(HttpContext), HttpContext.RequestAborted)).Where(f => f.Code == key), options, "field");
}

/// <summary>Ratings (applicants' ratings of the service).</summary>
public sealed class RatingsController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<RatingRow> options) => FeedPages.CollectionAsync(this, FeedSources.Ratings(FeedContext.For(HttpContext)), options);

    public Task<IActionResult> Get(string key, ODataQueryOptions<RatingRow> options) =>
        FeedPages.EntityAsync(this, FeedSources.Ratings(FeedContext.For(HttpContext)).Where(r => r.DossierId == key), options, "rating");
}

/// <summary>DossierStats.</summary>
public sealed class DossierStatsController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<DossierStatRow> options) => FeedPages.CollectionAsync(this, FeedSources.DossierStats(FeedContext.For(HttpContext)), options);
}

/// <summary>StepStats.</summary>
public sealed class StepStatsController : ODataController
{
    public Task<IActionResult> Get(ODataQueryOptions<StepStatRow> options) => FeedPages.CollectionAsync(this, FeedSources.StepStats(FeedContext.For(HttpContext)), options);
}

/// <summary>PeriodReport: the period from the from/to query parameters (by default the current year up to today).</summary>
public sealed class PeriodReportController : ODataController
{
    public async Task<IActionResult> Get(ODataQueryOptions<PeriodReportRow> options) =>
        await FeedPages.CollectionAsync(this, (await ReportAsync(HttpContext, null)).Rows.AsQueryable(), options);

    public async Task<IActionResult> Get(string key, ODataQueryOptions<PeriodReportRow> options) =>
        await FeedPages.EntityAsync(this, (await ReportAsync(HttpContext, null)).Rows.AsQueryable().Where(r => r.Id == key), options, "report row");

    /// <summary>
    /// The table computed by <see cref="PeriodReportService"/> (the report's logic stays in Features/Reports),
    /// for a unit-bound reporter over its units only, so its sums are sums of its own rows.
    /// </summary>
    internal static async Task<PeriodReportResult> ReportAsync(HttpContext http, (DateOnly From, DateOnly To)? period)
    {
        var context = FeedContext.For(http);
        try
        {
            return await http.RequestServices.GetRequiredService<ReportRequests>()
                .ComputeAsync(context.Db, context.Caller, context.Units, period, name => http.Request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null, http.RequestAborted);
        }
        catch (ArgumentException e)
        {
            throw new FeedQueryException("InvalidReportParameter", e.Message);
        }
    }
}

/// <summary>
/// PeriodReportTotals: the same table's level subtotals, unit totals and total (Kind says which;
/// <c>$orderby=Position</c> gives the printed order), for the same from/to parameters.
/// </summary>
public sealed class PeriodReportTotalsController : ODataController
{
    public async Task<IActionResult> Get(ODataQueryOptions<PeriodReportRow> options) =>
        await FeedPages.CollectionAsync(this, (await PeriodReportController.ReportAsync(HttpContext, null)).Sums.AsQueryable(), options);

    public async Task<IActionResult> Get(string key, ODataQueryOptions<PeriodReportRow> options) =>
        await FeedPages.EntityAsync(this, (await PeriodReportController.ReportAsync(HttpContext, null)).Sums.AsQueryable().Where(r => r.Id == key), options, "report sum");
}

/// <summary>The function imports: PeriodReportFor(From=…,To=…).</summary>
public sealed class ODataOperationImportController : ODataController
{
    // The parameter names are the function's (the library matches them by exact name).
#pragma warning disable IDE1006, CA1707
    [HttpGet]
    public async Task<IActionResult> PeriodReportFor([FromODataUri] DateOnly From, [FromODataUri] DateOnly To, ODataQueryOptions<PeriodReportRow> options) =>
        await FeedPages.CollectionAsync(this, (await PeriodReportController.ReportAsync(HttpContext, (From, To))).Rows.AsQueryable(), options);
#pragma warning restore IDE1006, CA1707
}
