using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Definitions;
using ProcessServer.Engine.Execution;
using ProcessServer.Host.Features.Reports;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.OData;

/// <summary>What a feed request reads with: the store, the caller, the instant "now" and the zone.</summary>
internal sealed class FeedContext
{
    public required ProcessServerDbContext Db { get; init; }

    public required Caller Caller { get; init; }

    /// <summary>The request's "now" (UTC): every "overdue" of the request is judged at this one instant.</summary>
    public required DateTime Now { get; init; }

    public required TimeZoneInfo Zone { get; init; }

    public required IServiceProvider Services { get; init; }

    public required IQueryCollection Query { get; init; }

    /// <summary>The zone's offset; Asia/Ho_Chi_Minh has had no daylight saving since 1975, so a constant shift gives local days in SQL.</summary>
    public double OffsetMinutes => Zone.BaseUtcOffset.TotalMinutes;

    /// <summary>Units a unit-bound reporter may see; null for everyone else.</summary>
    public string[]? Units => Caller.IsAdministrator || Caller.Units.Count == 0 ? null : [.. Caller.Units];

    public static FeedContext For(HttpContext http) => new()
    {
        Db = http.RequestServices.GetRequiredService<ProcessServerDbContext>(),
        Caller = Caller.From(http.User),
        Now = http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        Zone = TimeZoneInfo.FindSystemTimeZoneById(http.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value.TimeZone),
        Services = http.RequestServices,
        Query = http.Request.Query,
    };
}

/// <summary>
/// The rows behind each entity set, as EF Core queries (or, for reference data and the period report,
/// in-memory lists): the library's query options compose onto these, so a filter, the order and the
/// page become one SQL statement. Unit-bound reporters get only their units' rows.
/// </summary>
/// <remarks>
/// <para>"Overdue" has one definition everywhere (Dossiers.IsOverdue and LimitStatus, DossierStats.Overdue,
/// Steps.IsOverdue, StepStats.Overdue and the period report's Overdue, see <see cref="PeriodReportService"/>):
/// at an instant T, a dossier is overdue when it is still running (no result ready, not stopped), its
/// clock is not paused (awaiting a supplement or a payment: DOMAIN §4.6 files those under within limit),
/// and its pause-adjusted due instant is before T. A step is overdue by the same rule on its own due
/// instant (open, not awaiting a supplement). The feed judges at the request's now; the period report
/// at its cut-off, which for a period not yet over is now too, so the same instant gives the same count.</para>
/// <para>Before this rule DossierStats also counted paused dossiers whose due instant had passed, and the
/// period report judged a period ending today at midnight ahead (dossiers due later today were overdue
/// there and not in Dossiers): the 600 / 666 / 634 of issue 13.</para>
/// </remarks>
internal static class FeedSources
{
    private const string Paused = JournalEventTypes.ClockPaused;

    private static IQueryable<Dossier> VisibleDossiers(FeedContext context)
    {
        var dossiers = context.Db.Dossiers.AsNoTracking();
        if (context.Units is { } units)
        {
            var tasks = context.Db.Tasks;
            dossiers = dossiers.Where(d => units.Contains(d.ReceivingUnit) || tasks.Any(t => t.DossierId == d.Id && units.Contains(t.UnitCode)));
        }

        return dossiers;
    }

    private static IQueryable<DossierTask> VisibleTasks(FeedContext context)
    {
        var tasks = context.Db.Tasks.AsNoTracking();
        if (context.Units is { } units)
        {
            var dossiers = context.Db.Dossiers;
            tasks = tasks.Where(t => units.Contains(t.UnitCode) || dossiers.Any(d => d.Id == t.DossierId && units.Contains(d.ReceivingUnit)));
        }

        return tasks;
    }

    /// <summary>Dossier rows; with <paramref name="withSteps"/> each carries its steps (for $expand and any/all).</summary>
    public static IQueryable<DossierRow> Dossiers(FeedContext context, bool withSteps)
    {
        var now = context.Now;
        var offset = context.OffsetMinutes;
        var journal = context.Db.Journal;
        var steps = Steps(context, withDossier: false);
        var rows = VisibleDossiers(context)
            .Select(d => new
            {
                d,
                PauseCount = journal.Count(j => j.DossierId == d.Id && j.Type == Paused),
                LastClock = journal.Where(j => j.DossierId == d.Id && (j.Type == JournalEventTypes.ClockPaused || j.Type == JournalEventTypes.ClockResumed))
                    .OrderByDescending(j => j.Sequence).Select(j => j.Type).FirstOrDefault(),
            })
            .Select(x => new DossierRow
            {
                Id = x.d.Id,
                ReceiptCode = x.d.ReceiptCode,
                ProcedureCode = x.d.ProcedureCode,
                ProcedureVersion = x.d.DefinitionVersion,
                ProcedureVersionId = x.d.DefinitionVersionId,
                UnitCode = x.d.ReceivingUnit,
                FieldCode = x.d.FieldCode,
                Channel = x.d.Channel,
                ChannelCode = x.d.Channel == "online" ? 2 : x.d.Channel == "postal" ? 3 : 1,
                ReceivedAt = x.d.ReceivedAt,
                ReceivedDate = DateOnly.FromDateTime(x.d.ReceivedAt.AddMinutes(offset)),
                AppointmentAt = x.d.AppointmentAt,
                AppointmentDate = x.d.AppointmentAt == null ? null : DateOnly.FromDateTime(x.d.AppointmentAt.Value.AddMinutes(offset)),
                DueAt = x.d.DueAt,
                DueDate = x.d.DueAt == null ? null : DateOnly.FromDateTime(x.d.DueAt.Value.AddMinutes(offset)),
                ApologyDueAt = x.d.ApologyDueAt,
                ApologyDueDate = x.d.ApologyDueAt == null ? null : DateOnly.FromDateTime(x.d.ApologyDueAt.Value.AddMinutes(offset)),
                HasApology = x.d.ApologyDueAt != null,
                ResultReadyAt = x.d.ResultReadyAt,
                ResultReadyDate = x.d.ResultReadyAt == null ? null : DateOnly.FromDateTime(x.d.ResultReadyAt.Value.AddMinutes(offset)),
                ReturnedAt = x.d.ReturnedAt,
                ReturnedDate = x.d.ReturnedAt == null ? null : DateOnly.FromDateTime(x.d.ReturnedAt.Value.AddMinutes(offset)),
                StoppedAt = x.d.StoppedAt,
                StoppedDate = x.d.StoppedAt == null ? null : DateOnly.FromDateTime(x.d.StoppedAt.Value.AddMinutes(offset)),
                Status = x.d.Status,
                NationalStatusCode = x.d.NationalStatusCode,
                Verdict = x.d.Verdict,
                LimitStatus = x.d.Status == nameof(DossierStatus.Stopped) ? "Stopped"
                    : x.d.Verdict != null ? x.d.Verdict
                    : x.d.DueAt == null ? "NoLimit"
                    : x.LastClock == Paused ? "Paused"
                    : x.d.ResultReadyAt == null && x.d.StoppedAt == null && x.d.DueAt < now ? "Overdue"
                    : "WithinLimit",
                IsOverdue = x.d.ResultReadyAt == null && x.d.StoppedAt == null && x.LastClock != Paused && x.d.DueAt != null && x.d.DueAt < now,
                SupplementRequests = x.d.SupplementRequests,
                PauseCount = x.PauseCount,
                IsPaused = x.LastClock == Paused,
                CalendarVersion = x.d.CalendarVersion,
                UpdatedAt = x.d.UpdatedAt,
                Steps = steps.Where(s => s.DossierId == x.d.Id).ToList(),
            });

        // Without a query that reaches the steps, the rows leave them out, so plain pages do not pay for them.
        return withSteps ? rows : rows.Provider.CreateQuery<DossierRow>(new DropBinding(typeof(DossierRow).GetProperty(nameof(DossierRow.Steps))!).Visit(rows.Expression));
    }

    /// <summary>Removes one member assignment from the object initialisers of a query.</summary>
    private sealed class DropBinding(System.Reflection.MemberInfo member) : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitMemberInit(System.Linq.Expressions.MemberInitExpression node) =>
            base.VisitMemberInit(node.Update(node.NewExpression, node.Bindings.Where(b => b.Member != member)));
    }

    /// <summary>Step rows; with <paramref name="withDossier"/> each carries its dossier (for $expand and Dossier/… paths).</summary>
    public static IQueryable<StepRow> Steps(FeedContext context, bool withDossier)
    {
        var now = context.Now;
        var offset = context.OffsetMinutes;
        var rows = VisibleTasks(context).Select(t => new StepRow
        {
            Id = t.Id,
            DossierId = t.DossierId,
            ActivityId = t.ActivityId,
            Title = t.Title,
            Kind = t.Kind,
            UnitCode = t.UnitCode,
            Role = t.Role,
            Status = t.Status,
            Outcome = t.Outcome,
            Handler = t.CompletedBy,
            HandlerId = t.CompletedById,
            HolderId = t.AssigneeId,
            Holder = t.AssigneeName,
            StartedAt = t.CreatedAt,
            StartedDate = DateOnly.FromDateTime(t.CreatedAt.AddMinutes(offset)),
            DueAt = t.DueAt,
            DueDate = t.DueAt == null ? null : DateOnly.FromDateTime(t.DueAt.Value.AddMinutes(offset)),
            CompletedAt = t.CompletedAt,
            CompletedDate = t.CompletedAt == null ? null : DateOnly.FromDateTime(t.CompletedAt.Value.AddMinutes(offset)),
            TimeLimitDays = (double?)t.TimeLimitDays,
            Verdict = t.Verdict,
            IsOverdue = t.Status == TaskStatuses.Pending && t.DueAt != null && t.DueAt < now,
        });
        if (!withDossier)
        {
            return rows;
        }

        return rows.Join(Dossiers(context, withSteps: false), s => s.DossierId, d => d.Id, (s, d) => new StepRow
        {
            Id = s.Id,
            DossierId = s.DossierId,
            ActivityId = s.ActivityId,
            Title = s.Title,
            Kind = s.Kind,
            UnitCode = s.UnitCode,
            Role = s.Role,
            Status = s.Status,
            Outcome = s.Outcome,
            Handler = s.Handler,
            HandlerId = s.HandlerId,
            HolderId = s.HolderId,
            Holder = s.Holder,
            StartedAt = s.StartedAt,
            StartedDate = s.StartedDate,
            DueAt = s.DueAt,
            DueDate = s.DueDate,
            CompletedAt = s.CompletedAt,
            CompletedDate = s.CompletedDate,
            TimeLimitDays = s.TimeLimitDays,
            Verdict = s.Verdict,
            IsOverdue = s.IsOverdue,
            Dossier = d,
        });
    }

    public static async Task<IQueryable<ProcedureRow>> ProceduresAsync(FeedContext context, CancellationToken cancellationToken)
    {
        // Reference data (one row per definition version): read once per request and queried in process.
        var cache = context.Services.GetRequiredService<WorkflowCache>();
        var checker = context.Services.GetRequiredService<DefinitionChecker>();
        var versions = await context.Db.WorkflowDefinitions.AsNoTracking()
            .Select(v => new { v.Id, v.DefinitionId, v.Version, v.Name, v.IsPublished, v.IsLatest, v.CreatedAt, v.PublishedAt, Draft = v.PublishedAt == null ? v.Json : null })
            .ToListAsync(cancellationToken);
        var rows = new List<ProcedureRow>();
        foreach (var v in versions)
        {
            // A version this server cannot read or run is a row marked IsBroken; it never breaks the
            // feed. Drafts that do not compile yet simply have no settings to show.
            ProcedureSettings? settings;
            bool broken;
            if (v.Draft is null)
            {
                var (workflow, problem) = await cache.TryGetAsync(context.Db, v.Id, cancellationToken);
                settings = workflow?.Settings;
                broken = problem is not null;
            }
            else
            {
                var report = checker.Judge(v.Draft);
                settings = report.Workflow?.Settings;
                broken = !report.CanStore;
            }

            rows.Add(new ProcedureRow
            {
                Id = v.Id,
                Code = v.DefinitionId,
                Version = v.Version,
                Name = v.Name,
                FieldCode = settings?.FieldCode,
                TimeLimitDays = (double?)settings?.TimeLimitDays,
                SameDay = settings?.SameDay ?? false,
                IsPublished = v.IsPublished,
                IsLatest = v.IsLatest,
                CreatedAt = v.CreatedAt,
                CreatedDate = LocalDate(v.CreatedAt, context.Zone),
                PublishedAt = v.PublishedAt,
                PublishedDate = v.PublishedAt is { } p ? LocalDate(p, context.Zone) : null,
                IsBroken = broken,
            });
        }

        return rows.AsQueryable();
    }

    public static IQueryable<UnitRow> Units(FeedContext context) =>
        context.Services.GetRequiredService<UnitDirectory>().All.Select(u => new UnitRow
        {
            Code = u.Code,
            Name = u.Name,
            Level = u.Level,
            Parent = u.Parent,
            Successor = u.Successor,
            ValidFrom = u.ValidFrom,
            ValidFromDate = u.ValidFrom is { } from ? LocalDate(from, context.Zone) : null,
            ValidTo = u.ValidTo,
            ValidToDate = u.ValidTo is { } to ? LocalDate(to, context.Zone) : null,
        }).ToList().AsQueryable();

    public static async Task<IQueryable<FieldRow>> FieldsAsync(FeedContext context, CancellationToken cancellationToken)
    {
        // Configured fields, plus any field a procedure names without configuration (named by its code).
        var configured = context.Services.GetRequiredService<IOptionsMonitor<List<FieldOptions>>>().CurrentValue;
        var used = await context.Db.Dossiers.AsNoTracking().Where(d => d.FieldCode != null).Select(d => d.FieldCode!).Distinct().ToListAsync(cancellationToken);
        var rows = configured.Select(f => new FieldRow { Code = f.Code, Name = f.Name }).ToList();
        rows.AddRange(used.Where(code => rows.All(r => r.Code != code)).Select(code => new FieldRow { Code = code, Name = code }));
        return rows.AsQueryable();
    }

    public static IQueryable<RatingRow> Ratings(FeedContext context)
    {
        var offset = context.OffsetMinutes;
        var ratings = context.Db.Ratings.AsNoTracking();
        if (context.Units is { } units)
        {
            // As for dossiers: the receiving unit and every unit the dossier passed through see its rating.
            var tasks = context.Db.Tasks;
            ratings = ratings.Where(r => units.Contains(r.UnitCode) || tasks.Any(t => t.DossierId == r.DossierId && units.Contains(t.UnitCode)));
        }

        return ratings.Select(r => new RatingRow
        {
            DossierId = r.DossierId,
            ReceiptCode = r.ReceiptCode,
            UnitCode = r.UnitCode,
            FieldCode = r.FieldCode,
            ProcedureCode = r.ProcedureCode,
            Satisfied = r.Satisfied,
            Comment = r.Comment,
            RatedAt = r.RatedAt,
            RatedDate = DateOnly.FromDateTime(r.RatedAt.AddMinutes(offset)),
        });
    }

    public static IQueryable<DossierStatRow> DossierStats(FeedContext context)
    {
        var offset = context.OffsetMinutes;
        IQueryable<DossierRow> rows = Dossiers(context, withSteps: false);
        if (context.Units is { } units)
        {
            // Stats are per receiving unit: a unit-bound reporter sees its own units' rows only.
            rows = rows.Where(r => units.Contains(r.UnitCode));
        }

        return rows
            .GroupBy(d => new { d.UnitCode, Field = d.FieldCode ?? "", d.ReceivedAt.AddMinutes(offset).Year, d.ReceivedAt.AddMinutes(offset).Month })
            .Select(g => new DossierStatRow
            {
                UnitCode = g.Key.UnitCode,
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
                Overdue = g.Count(d => d.IsOverdue),
                Stopped = g.Count(d => d.StoppedAt != null),
                Returned = g.Count(d => d.ReturnedAt != null),
            });
    }

    public static IQueryable<StepStatRow> StepStats(FeedContext context)
    {
        var offset = context.OffsetMinutes;
        var steps = Steps(context, withDossier: false);
        if (context.Units is { } units)
        {
            steps = steps.Where(s => units.Contains(s.UnitCode));
        }

        return steps
            .Join(context.Db.Dossiers, s => s.DossierId, d => d.Id, (s, d) => new { Step = s, d.FieldCode })
            .GroupBy(x => new { x.Step.UnitCode, Field = x.FieldCode ?? "", x.Step.StartedAt.AddMinutes(offset).Year, x.Step.StartedAt.AddMinutes(offset).Month })
            .Select(g => new StepStatRow
            {
                UnitCode = g.Key.UnitCode,
                FieldCode = g.Key.Field,
                Year = g.Key.Year,
                Month = g.Key.Month,
                Steps = g.Count(),
                Completed = g.Count(x => x.Step.Status == TaskStatuses.Completed),
                Early = g.Count(x => x.Step.Verdict == "Early"),
                OnTime = g.Count(x => x.Step.Verdict == "OnTime"),
                Late = g.Count(x => x.Step.Verdict == "Late"),
                Open = g.Count(x => x.Step.Status == TaskStatuses.Pending || x.Step.Status == TaskStatuses.AwaitingSupplement),
                Overdue = g.Count(x => x.Step.IsOverdue),
                Cancelled = g.Count(x => x.Step.Status == TaskStatuses.Cancelled),
            });
    }

    private static DateOnly LocalDate(DateTime utc, TimeZoneInfo zone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), zone));
}
