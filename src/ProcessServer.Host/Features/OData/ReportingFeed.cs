using System.Text;
using System.Xml;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.OData.Edm;
using Microsoft.OData.Edm.Csdl;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Reports;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.OData;

/// <summary>A dossier as the feed reads it: its row plus two facts from its journal (pauses so far, open pause).</summary>
internal sealed class DossierRow
{
    public string Id { get; set; } = string.Empty;
    public string ReceiptCode { get; set; } = string.Empty;
    public string ProcedureCode { get; set; } = string.Empty;
    public int ProcedureVersion { get; set; }
    public string ProcedureVersionId { get; set; } = string.Empty;
    public string UnitCode { get; set; } = string.Empty;
    public string? FieldCode { get; set; }
    public string Channel { get; set; } = string.Empty;
    public DateTime ReceivedAt { get; set; }
    public DateTime? AppointmentAt { get; set; }
    public DateTime? DueAt { get; set; }
    public DateTime? ApologyDueAt { get; set; }
    public DateTime? ResultReadyAt { get; set; }
    public DateTime? ReturnedAt { get; set; }
    public DateTime? StoppedAt { get; set; }
    public string Status { get; set; } = string.Empty;
    public int NationalStatusCode { get; set; }
    public string? Verdict { get; set; }
    public int SupplementRequests { get; set; }
    public int? CalendarVersion { get; set; }
    public DateTime UpdatedAt { get; set; }
    public int PauseCount { get; set; }
    public string? LastClockEvent { get; set; }
}

/// <summary>Dossier counts per receiving unit, field and local month of receipt (current state).</summary>
internal sealed class DossierStatRow
{
    public string UnitCode { get; set; } = string.Empty;
    public string FieldCode { get; set; } = string.Empty;
    public int Year { get; set; }
    public int Month { get; set; }
    public int Received { get; set; }
    public int Online { get; set; }
    public int Direct { get; set; }
    public int Postal { get; set; }
    public int Resolved { get; set; }
    public int Early { get; set; }
    public int OnTime { get; set; }
    public int Late { get; set; }
    public int InProgress { get; set; }
    public int Overdue { get; set; }
    public int Stopped { get; set; }
    public int Returned { get; set; }
}

/// <summary>Step counts per handling unit, field and local month the step started (current state).</summary>
internal sealed class StepStatRow
{
    public string UnitCode { get; set; } = string.Empty;
    public string FieldCode { get; set; } = string.Empty;
    public int Year { get; set; }
    public int Month { get; set; }
    public int Steps { get; set; }
    public int Completed { get; set; }
    public int Early { get; set; }
    public int OnTime { get; set; }
    public int Late { get; set; }
    public int Open { get; set; }
    public int Overdue { get; set; }
    public int Cancelled { get; set; }
}

internal sealed record ProcedureRow(string Id, string Code, int Version, string Name, string? FieldCode, double? TimeLimitDays, bool SameDay,
    bool IsPublished, bool IsLatest, DateTime CreatedAt, DateTime? PublishedAt, bool IsBroken = false);

internal sealed record UnitRow(string Code, string Name, string Level, string? Parent, string? Successor, DateTime? ValidFrom, DateTime? ValidTo);

internal sealed record FieldRow(string Code, string Name);

/// <summary>
/// The reporting feed's sets and EDM model (built once): flat sets Dossiers, Steps, Procedures, Units,
/// Fields, Ratings (applicants' ratings of the service); pre-aggregated DossierStats and StepStats; the period report as the PeriodReport set
/// (parameters from, to in the query string) and the PeriodReportFor(From,To) function, its level
/// subtotals, unit totals and total as the PeriodReportTotals set.
/// </summary>
public sealed class ReportingFeed
{
    /// <summary>Name of the function import returning the period report.</summary>
    public const string ReportFunction = "PeriodReportFor";

    private readonly byte[] _metadata;

    /// <summary>Builds the sets and the model for the configured time zone.</summary>
    public ReportingFeed(IOptions<ServerOptions> server)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(server.Value.TimeZone);
        var offsetMinutes = zone.BaseUtcOffset.TotalMinutes;
        Sets = [Dossiers(), Steps(), Procedures(), Units(), Fields(), DossierStats(offsetMinutes), StepStats(offsetMinutes), PeriodReport(), PeriodReportTotals(), Ratings()];

        var model = new EdmModel();
        var container = new EdmEntityContainer(FeedEdm.Namespace, FeedEdm.ContainerName);
        model.AddElement(container);
        foreach (var set in Sets)
        {
            model.AddElement(set.EntityType);
            set.EntitySet = container.AddEntitySet(set.Name, set.EntityType);
        }

        var report = Sets.Single(s => s.Name == "PeriodReport");
        var function = new EdmFunction(FeedEdm.Namespace, ReportFunction,
            new EdmCollectionTypeReference(new EdmCollectionType(new EdmEntityTypeReference(report.EntityType, false))), isBound: false, entitySetPathExpression: null, isComposable: false);
        function.AddParameter("From", EdmCoreModel.Instance.GetDate(false));
        function.AddParameter("To", EdmCoreModel.Instance.GetDate(false));
        model.AddElement(function);
        container.AddFunctionImport(ReportFunction, function, new EdmPathExpression(report.Name), includeInServiceDocument: false);
        Model = model;

        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, Async = false }))
        {
            if (!CsdlWriter.TryWriteCsdl(model, xml, CsdlTarget.OData, out var errors))
            {
                throw new InvalidOperationException("the reporting EDM model is not valid: " + string.Join("; ", errors.Select(e => e.ErrorMessage)));
            }
        }

        _metadata = buffer.ToArray();
    }

    /// <summary>The EDM model.</summary>
    public IEdmModel Model { get; }

    /// <summary>CSDL XML of the model.</summary>
    public ReadOnlyMemory<byte> Metadata => _metadata;

    internal IReadOnlyList<FeedSet> Sets { get; }

    internal FeedSet? Find(string name) => Sets.FirstOrDefault(s => s.Name == name);

    private static IQueryable<Dossier> VisibleDossiers(FeedContext context)
    {
        var dossiers = context.Db.Dossiers.AsNoTracking();
        if (context.Units is { } scope)
        {
            var units = scope.ToArray();
            var tasks = context.Db.Tasks;
            dossiers = dossiers.Where(d => units.Contains(d.ReceivingUnit) || tasks.Any(t => t.DossierId == d.Id && units.Contains(t.UnitCode)));
        }

        return dossiers;
    }

    private static FeedSet<DossierRow> Dossiers()
    {
        var columns = new FeedColumns<DossierRow>()
            .Text("Id", x => x.Id, nullable: false)
            .Text("ReceiptCode", x => x.ReceiptCode, nullable: false)
            .Text("ProcedureCode", x => x.ProcedureCode, nullable: false)
            .Int("ProcedureVersion", x => x.ProcedureVersion)
            .Text("ProcedureVersionId", x => x.ProcedureVersionId, nullable: false)
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("FieldCode", x => x.FieldCode)
            .Text("Channel", x => x.Channel, nullable: false)
            .Int("ChannelCode", x => x.Channel == "online" ? 2 : x.Channel == "postal" ? 3 : 1)
            .Instant("ReceivedAt", x => x.ReceivedAt, "ReceivedDate")
            .Instant("AppointmentAt", x => x.AppointmentAt, "AppointmentDate")
            .Instant("DueAt", x => x.DueAt, "DueDate")
            .Instant("ApologyDueAt", x => x.ApologyDueAt, "ApologyDueDate")
            .Bool("HasApology", x => x.ApologyDueAt != null)
            .Instant("ResultReadyAt", x => x.ResultReadyAt, "ResultReadyDate")
            .Instant("ReturnedAt", x => x.ReturnedAt, "ReturnedDate")
            .Instant("StoppedAt", x => x.StoppedAt, "StoppedDate")
            .Text("Status", x => x.Status, nullable: false)
            .Int("NationalStatusCode", x => x.NationalStatusCode)
            .Text("Verdict", x => x.Verdict)
            .Text("LimitStatus", x => x.Status == nameof(DossierStatus.Stopped) ? "Stopped"
                : x.Verdict != null ? x.Verdict
                : x.DueAt == null ? "NoLimit"
                : x.LastClockEvent == JournalEventTypes.ClockPaused ? "Paused"
                : x.DueAt < FeedClock.Now ? "Overdue"
                : "WithinLimit", nullable: false)
            .Int("SupplementRequests", x => x.SupplementRequests)
            .Int("PauseCount", x => x.PauseCount)
            .Bool("IsPaused", x => x.LastClockEvent == JournalEventTypes.ClockPaused)
            .Int("CalendarVersion", x => x.CalendarVersion)
            .Instant("UpdatedAt", x => x.UpdatedAt, null);
        return new FeedSet<DossierRow>("Dossiers", "Dossier", columns, ["Id"], (context, _) =>
        {
            var journal = context.Db.Journal;
            return Task.FromResult(VisibleDossiers(context).Select(d => new DossierRow
            {
                Id = d.Id,
                ReceiptCode = d.ReceiptCode,
                ProcedureCode = d.ProcedureCode,
                ProcedureVersion = d.DefinitionVersion,
                ProcedureVersionId = d.DefinitionVersionId,
                UnitCode = d.ReceivingUnit,
                FieldCode = d.FieldCode,
                Channel = d.Channel,
                ReceivedAt = d.ReceivedAt,
                AppointmentAt = d.AppointmentAt,
                DueAt = d.DueAt,
                ApologyDueAt = d.ApologyDueAt,
                ResultReadyAt = d.ResultReadyAt,
                ReturnedAt = d.ReturnedAt,
                StoppedAt = d.StoppedAt,
                Status = d.Status,
                NationalStatusCode = d.NationalStatusCode,
                Verdict = d.Verdict,
                SupplementRequests = d.SupplementRequests,
                CalendarVersion = d.CalendarVersion,
                UpdatedAt = d.UpdatedAt,
                PauseCount = journal.Count(j => j.DossierId == d.Id && j.Type == JournalEventTypes.ClockPaused),
                LastClockEvent = journal.Where(j => j.DossierId == d.Id && (j.Type == JournalEventTypes.ClockPaused || j.Type == JournalEventTypes.ClockResumed))
                    .OrderByDescending(j => j.Sequence).Select(j => j.Type).FirstOrDefault(),
            }));
        });
    }

    private static FeedSet<DossierTask> Steps()
    {
        var columns = new FeedColumns<DossierTask>()
            .Text("Id", x => x.Id, nullable: false)
            .Text("DossierId", x => x.DossierId, nullable: false)
            .Text("ActivityId", x => x.ActivityId, nullable: false)
            .Text("Title", x => x.Title, nullable: false)
            .Text("Kind", x => x.Kind, nullable: false)
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("Role", x => x.Role, nullable: false)
            .Text("Status", x => x.Status, nullable: false)
            .Text("Outcome", x => x.Outcome)
            .Text("Handler", x => x.CompletedBy)
            .Text("HandlerId", x => x.CompletedById)
            .Text("HolderId", x => x.AssigneeId)
            .Text("Holder", x => x.AssigneeName)
            .Instant("StartedAt", x => x.CreatedAt, "StartedDate")
            .Instant("DueAt", x => x.DueAt, "DueDate")
            .Instant("CompletedAt", x => x.CompletedAt, "CompletedDate")
            .Double("TimeLimitDays", x => (double?)x.TimeLimitDays)
            .Text("Verdict", x => x.Verdict)
            .Bool("IsOverdue", x => (x.Status == TaskStatuses.Pending || x.Status == TaskStatuses.AwaitingSupplement) && x.DueAt != null && x.DueAt < FeedClock.Now);
        return new FeedSet<DossierTask>("Steps", "Step", columns, ["Id"], (context, _) =>
        {
            var tasks = context.Db.Tasks.AsNoTracking();
            if (context.Units is { } scope)
            {
                var units = scope.ToArray();
                var dossiers = context.Db.Dossiers;
                tasks = tasks.Where(t => units.Contains(t.UnitCode) || dossiers.Any(d => d.Id == t.DossierId && units.Contains(d.ReceivingUnit)));
            }

            return Task.FromResult(tasks);
        });
    }

    private static FeedSet<ProcedureRow> Procedures()
    {
        var columns = new FeedColumns<ProcedureRow>()
            .Text("Id", x => x.Id, nullable: false)
            .Text("Code", x => x.Code, nullable: false)
            .Int("Version", x => x.Version)
            .Text("Name", x => x.Name, nullable: false)
            .Text("FieldCode", x => x.FieldCode)
            .Double("TimeLimitDays", x => x.TimeLimitDays)
            .Bool("SameDay", x => x.SameDay)
            .Bool("IsPublished", x => x.IsPublished)
            .Bool("IsLatest", x => x.IsLatest)
            .Instant("CreatedAt", x => x.CreatedAt, "CreatedDate")
            .Instant("PublishedAt", x => x.PublishedAt, "PublishedDate")
            .Bool("IsBroken", x => x.IsBroken);
        return new FeedSet<ProcedureRow>("Procedures", "Procedure", columns, ["Id"], async (context, ct) =>
        {
            // Reference data (one row per definition version): read once per request and queried in process.
            var cache = context.Services.GetRequiredService<WorkflowCache>();
            var checker = context.Services.GetRequiredService<DefinitionChecker>();
            var versions = await context.Db.WorkflowDefinitions.AsNoTracking()
                .Select(v => new { v.Id, v.DefinitionId, v.Version, v.Name, v.IsPublished, v.IsLatest, v.CreatedAt, v.PublishedAt, Draft = v.PublishedAt == null ? v.Json : null })
                .ToListAsync(ct);
            var rows = new List<ProcedureRow>();
            foreach (var v in versions)
            {
                // A version this server cannot read or run (e.g. stored by an older server) is a row
                // marked IsBroken; it never breaks the feed. Drafts that do not compile yet simply have
                // no settings to show.
                ProcedureSettings? settings = null;
                var broken = false;
                if (v.Draft is null)
                {
                    var (workflow, problem) = await cache.TryGetAsync(context.Db, v.Id, ct);
                    settings = workflow?.Settings;
                    broken = problem is not null;
                }
                else
                {
                    var report = checker.Judge(v.Draft);
                    settings = report.Workflow?.Settings;
                    broken = !report.CanStore;
                }

                rows.Add(new ProcedureRow(v.Id, v.DefinitionId, v.Version, v.Name, settings?.FieldCode, (double?)settings?.TimeLimitDays,
                    settings?.SameDay ?? false, v.IsPublished, v.IsLatest, v.CreatedAt, v.PublishedAt, broken));
            }

            return rows.AsQueryable();
        });
    }

    private static FeedSet<UnitRow> Units()
    {
        var columns = new FeedColumns<UnitRow>()
            .Text("Code", x => x.Code, nullable: false)
            .Text("Name", x => x.Name, nullable: false)
            .Text("Level", x => x.Level, nullable: false)
            .Text("Parent", x => x.Parent)
            .Text("Successor", x => x.Successor)
            .Instant("ValidFrom", x => x.ValidFrom, "ValidFromDate")
            .Instant("ValidTo", x => x.ValidTo, "ValidToDate");
        return new FeedSet<UnitRow>("Units", "Unit", columns, ["Code"], (context, _) =>
            Task.FromResult(context.Services.GetRequiredService<UnitDirectory>().All
                .Select(u => new UnitRow(u.Code, u.Name, u.Level, u.Parent, u.Successor, u.ValidFrom, u.ValidTo)).ToList().AsQueryable()));
    }

    private static FeedSet<FieldRow> Fields()
    {
        var columns = new FeedColumns<FieldRow>()
            .Text("Code", x => x.Code, nullable: false)
            .Text("Name", x => x.Name, nullable: false);
        return new FeedSet<FieldRow>("Fields", "Field", columns, ["Code"], async (context, ct) =>
        {
            // Configured fields, plus any field a procedure names without configuration (named by its code).
            var configured = context.Services.GetRequiredService<IOptionsMonitor<List<FieldOptions>>>().CurrentValue;
            var used = await context.Db.Dossiers.AsNoTracking().Where(d => d.FieldCode != null).Select(d => d.FieldCode!).Distinct().ToListAsync(ct);
            var rows = configured.Select(f => new FieldRow(f.Code, f.Name)).ToList();
            rows.AddRange(used.Where(code => rows.All(r => r.Code != code)).Select(code => new FieldRow(code, code)));
            return rows.AsQueryable();
        });
    }

    private static FeedSet<DossierStatRow> DossierStats(double offsetMinutes)
    {
        var columns = new FeedColumns<DossierStatRow>()
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("FieldCode", x => x.FieldCode, nullable: false)
            .Int("Year", x => x.Year)
            .Int("Month", x => x.Month)
            .Int("Received", x => x.Received)
            .Int("Online", x => x.Online)
            .Int("Direct", x => x.Direct)
            .Int("Postal", x => x.Postal)
            .Int("Resolved", x => x.Resolved)
            .Int("Early", x => x.Early)
            .Int("OnTime", x => x.OnTime)
            .Int("Late", x => x.Late)
            .Int("InProgress", x => x.InProgress)
            .Int("Overdue", x => x.Overdue)
            .Int("Stopped", x => x.Stopped)
            .Int("Returned", x => x.Returned);
        return new FeedSet<DossierStatRow>("DossierStats", "DossierStat", columns, ["UnitCode", "FieldCode", "Year", "Month"], (context, _) =>
        {
            var dossiers = context.Db.Dossiers.AsNoTracking();
            if (context.Units is { } scope)
            {
                var units = scope.ToArray();
                dossiers = dossiers.Where(d => units.Contains(d.ReceivingUnit));
            }

            var rows = dossiers
                .GroupBy(d => new { d.ReceivingUnit, Field = d.FieldCode ?? "", d.ReceivedAt.AddMinutes(offsetMinutes).Year, d.ReceivedAt.AddMinutes(offsetMinutes).Month })
                .Select(g => new DossierStatRow
                {
                    UnitCode = g.Key.ReceivingUnit,
                    FieldCode = g.Key.Field,
                    Year = g.Key.Year,
                    Month = g.Key.Month,
                    Received = g.Count(),
                    Online = g.Count(d => d.Channel == "online"),
                    Direct = g.Count(d => d.Channel == "direct"),
                    Postal = g.Count(d => d.Channel == "postal"),
                    Resolved = g.Count(d => d.ResultReadyAt != null),
                    Early = g.Count(d => d.Verdict == "Early"),
                    OnTime = g.Count(d => d.ResultReadyAt != null && d.Verdict != "Early" && d.Verdict != "Late"),
                    Late = g.Count(d => d.Verdict == "Late"),
                    InProgress = g.Count(d => d.ResultReadyAt == null && d.StoppedAt == null),
                    Overdue = g.Count(d => d.ResultReadyAt == null && d.StoppedAt == null && d.DueAt < FeedClock.Now),
                    Stopped = g.Count(d => d.StoppedAt != null),
                    Returned = g.Count(d => d.ReturnedAt != null),
                });
            return Task.FromResult(rows);
        });
    }

    private static FeedSet<StepStatRow> StepStats(double offsetMinutes)
    {
        var columns = new FeedColumns<StepStatRow>()
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("FieldCode", x => x.FieldCode, nullable: false)
            .Int("Year", x => x.Year)
            .Int("Month", x => x.Month)
            .Int("Steps", x => x.Steps)
            .Int("Completed", x => x.Completed)
            .Int("Early", x => x.Early)
            .Int("OnTime", x => x.OnTime)
            .Int("Late", x => x.Late)
            .Int("Open", x => x.Open)
            .Int("Overdue", x => x.Overdue)
            .Int("Cancelled", x => x.Cancelled);
        return new FeedSet<StepStatRow>("StepStats", "StepStat", columns, ["UnitCode", "FieldCode", "Year", "Month"], (context, _) =>
        {
            var tasks = context.Db.Tasks.AsNoTracking();
            if (context.Units is { } scope)
            {
                var units = scope.ToArray();
                tasks = tasks.Where(t => units.Contains(t.UnitCode));
            }

            var rows = tasks
                .Join(context.Db.Dossiers, t => t.DossierId, d => d.Id, (t, d) => new { Task = t, d.FieldCode })
                .GroupBy(x => new { x.Task.UnitCode, Field = x.FieldCode ?? "", x.Task.CreatedAt.AddMinutes(offsetMinutes).Year, x.Task.CreatedAt.AddMinutes(offsetMinutes).Month })
                .Select(g => new StepStatRow
                {
                    UnitCode = g.Key.UnitCode,
                    FieldCode = g.Key.Field,
                    Year = g.Key.Year,
                    Month = g.Key.Month,
                    Steps = g.Count(),
                    Completed = g.Count(x => x.Task.Status == TaskStatuses.Completed),
                    Early = g.Count(x => x.Task.Verdict == "Early"),
                    OnTime = g.Count(x => x.Task.Verdict == "OnTime"),
                    Late = g.Count(x => x.Task.Verdict == "Late"),
                    Open = g.Count(x => x.Task.Status == TaskStatuses.Pending || x.Task.Status == TaskStatuses.AwaitingSupplement),
                    Overdue = g.Count(x => (x.Task.Status == TaskStatuses.Pending || x.Task.Status == TaskStatuses.AwaitingSupplement) && x.Task.DueAt < FeedClock.Now),
                    Cancelled = g.Count(x => x.Task.Status == TaskStatuses.Cancelled),
                });
            return Task.FromResult(rows);
        });
    }

    private static FeedSet<ServiceRating> Ratings()
    {
        var columns = new FeedColumns<ServiceRating>()
            .Text("DossierId", x => x.DossierId, nullable: false)
            .Text("ReceiptCode", x => x.ReceiptCode, nullable: false)
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("FieldCode", x => x.FieldCode)
            .Text("ProcedureCode", x => x.ProcedureCode, nullable: false)
            .Bool("Satisfied", x => x.Satisfied)
            .Text("Comment", x => x.Comment)
            .Instant("RatedAt", x => x.RatedAt, "RatedDate");
        return new FeedSet<ServiceRating>("Ratings", "Rating", columns, ["DossierId"], (context, _) =>
        {
            var ratings = context.Db.Ratings.AsNoTracking();
            if (context.Units is { } scope)
            {
                // As for dossiers: the receiving unit and every unit the dossier passed through see its rating.
                var units = scope.ToArray();
                var tasks = context.Db.Tasks;
                ratings = ratings.Where(r => units.Contains(r.UnitCode) || tasks.Any(t => t.DossierId == r.DossierId && units.Contains(t.UnitCode)));
            }

            return Task.FromResult(ratings);
        });
    }

    private static FeedSet<PeriodReportRow> PeriodReport() =>
        new("PeriodReport", "PeriodReportRow", ReportColumns(), ["Id"], async (context, ct) =>
        {
            var report = await context.Services.GetRequiredService<ReportRequests>().ComputeAsync(context, ct);
            return report.Rows.AsQueryable();
        });

    /// <summary>
    /// The sums of the same table, apart from its field rows so that $apply over PeriodReport never
    /// counts a dossier twice: each level's subtotal, each unit's total and the total (Kind says which),
    /// in the printed order.
    /// </summary>
    private static FeedSet<PeriodReportRow> PeriodReportTotals() =>
        new("PeriodReportTotals", "PeriodReportTotal", ReportColumns(), ["Id"], async (context, ct) =>
        {
            var report = await context.Services.GetRequiredService<ReportRequests>().ComputeAsync(context, ct);
            return report.Sums.AsQueryable();
        });

    private static FeedColumns<PeriodReportRow> ReportColumns() =>
        new FeedColumns<PeriodReportRow>()
            .Text("Id", x => x.Id, nullable: false)
            .Text("Kind", x => x.Kind, nullable: false)
            .Int("Position", x => x.Position)
            .Int("RowNumber", x => x.RowNumber)
            .Text("Level", x => x.Level, nullable: false)
            .Text("UnitCode", x => x.UnitCode, nullable: false)
            .Text("UnitName", x => x.UnitName, nullable: false)
            .Text("FieldCode", x => x.FieldCode, nullable: false)
            .Text("FieldName", x => x.FieldName, nullable: false)
            .Instant("PeriodStartAt", x => x.PeriodStart, "PeriodFrom")
            .Instant("PeriodEndAt", x => x.PeriodEnd, "PeriodTo")
            .Instant("CutOff", x => x.CutOff, null)
            .Int("CalendarVersion", x => x.CalendarVersion)
            .Int("Received", x => x.Received)
            .Int("NewOnline", x => x.NewOnline)
            .Int("NewDirectPostal", x => x.NewDirectPostal)
            .Int("NewDirect", x => x.NewDirect)
            .Int("NewPostal", x => x.NewPostal)
            .Int("CarriedOver", x => x.CarriedOver)
            .Int("Resolved", x => x.Resolved)
            .Int("Early", x => x.Early)
            .Int("OnTime", x => x.OnTime)
            .Int("Late", x => x.Late)
            .Int("InProgress", x => x.InProgress)
            .Int("WithinLimit", x => x.WithinLimit)
            .Int("Overdue", x => x.Overdue)
            .Int("InProgressPaused", x => x.InProgressPaused)
            .Int("WithdrawnReturned", x => x.WithdrawnReturned)
            .Int("Withdrawn", x => x.Withdrawn)
            .Int("ReturnedWithoutResolution", x => x.ReturnedWithoutResolution)
            .Int("RefusedAtCounter", x => x.RefusedAtCounter)
            .Double("OnTimeRate", x => x.OnTimeRate)
            .Int("RateNumerator", x => x.RateNumerator)
            .Int("RateDenominator", x => x.RateDenominator)
            .Text("RateDefinition", x => x.RateDefinition, nullable: false)
            .Text("WithdrawnPlacement", x => x.WithdrawnPlacement, nullable: false)
            .Bool("Balanced", x => x.Balanced)
            .Int("Rated", x => x.Rated)
            .Int("Satisfied", x => x.Satisfied)
            .Int("NotSatisfied", x => x.NotSatisfied)
            .Double("SatisfactionRate", x => x.SatisfactionRate);
}
