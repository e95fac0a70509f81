using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProcessServer.Engine.Execution;
using ProcessServer.Engine.Time;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;
using ProcessServer.Persistence.Entities;

namespace ProcessServer.Host.Features.Reports;

/// <summary>One row of the official table (Biểu 06 / II.06a, DOMAIN §5.2): one field within one unit.</summary>
public sealed class PeriodReportRow
{
    /// <summary>Key: unit code / field code; <c>UNIT:code</c>, <c>LEVEL:level</c> or <c>TOTAL</c> for the sums.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>Field (one field within one unit), Unit (a unit's total), Level (a level's subtotal) or Total.</summary>
    public string Kind { get; set; } = PeriodReportRowKinds.Field;

    /// <summary>Col 1, STT.</summary>
    public int RowNumber { get; set; }

    /// <summary>Place in the printed table (level subtotal, unit total, its fields, …, total), from 1; order by it to print.</summary>
    public int Position { get; set; }

    /// <summary>Unit level (province, district (historical), commune, agency), as the unit directory records it.</summary>
    public string Level { get; set; } = string.Empty;

    /// <summary>Receiving unit.</summary>
    public string UnitCode { get; set; } = string.Empty;

    /// <summary>Its name.</summary>
    public string UnitName { get; set; } = string.Empty;

    /// <summary>Col 2, the field (empty when a procedure names none).</summary>
    public string FieldCode { get; set; } = string.Empty;

    /// <summary>Its name.</summary>
    public string FieldName { get; set; } = string.Empty;

    /// <summary>First day of the period (local), as the UTC instant of its local midnight.</summary>
    public DateTime PeriodStart { get; set; }

    /// <summary>Last day of the period (local), as the UTC instant of its local midnight.</summary>
    public DateTime PeriodEnd { get; set; }

    /// <summary>First day of the period (Edm.Date).</summary>
    [Features.OData.DateTwin(nameof(PeriodStart))]
    public DateOnly PeriodFrom { get; set; }

    /// <summary>Last day of the period (Edm.Date).</summary>
    [Features.OData.DateTwin(nameof(PeriodEnd))]
    public DateOnly PeriodTo { get; set; }

    /// <summary>
    /// Cut-off, the instant the report is judged at: the end of the last day (local midnight, as UTC),
    /// or now for a period not over yet.
    /// </summary>
    public DateTime CutOff { get; set; }

    /// <summary>Calendar version in force at the cut-off.</summary>
    public int CalendarVersion { get; set; }

    /// <summary>Col 3 = 4 + 5 + 6.</summary>
    public int Received { get; set; }

    /// <summary>Col 4, new online (channel 2).</summary>
    public int NewOnline { get; set; }

    /// <summary>Col 5, new direct or postal (channels 1 + 3).</summary>
    public int NewDirectPostal { get; set; }

    /// <summary>Of col 5: direct.</summary>
    public int NewDirect { get; set; }

    /// <summary>Of col 5: postal.</summary>
    public int NewPostal { get; set; }

    /// <summary>Col 6, carried over = col 11 of the previous period.</summary>
    public int CarriedOver { get; set; }

    /// <summary>Col 7 = 8 + 9 + 10.</summary>
    public int Resolved { get; set; }

    /// <summary>Col 8.</summary>
    public int Early { get; set; }

    /// <summary>Col 9.</summary>
    public int OnTime { get; set; }

    /// <summary>Col 10.</summary>
    public int Late { get; set; }

    /// <summary>Col 11 = 12 + 13.</summary>
    public int InProgress { get; set; }

    /// <summary>Col 12.</summary>
    public int WithinLimit { get; set; }

    /// <summary>
    /// Col 13: running at the cut-off, clock not paused (unless the JudgeAtPause reading is chosen) and
    /// due before the cut-off: the one rule of "overdue" the feed's Dossiers, Steps and stats use too.
    /// </summary>
    public int Overdue { get; set; }

    /// <summary>Of col 11: clock paused at the cut-off (awaiting supplement or payment).</summary>
    public int InProgressPaused { get; set; }

    /// <summary>Withdrawn or returned without resolution (0 when the setting files them under on time): <see cref="Withdrawn"/> + <see cref="ReturnedWithoutResolution"/>.</summary>
    public int WithdrawnReturned { get; set; }

    /// <summary>Of those: withdrawn at the applicant's request (the official appendix's own column).</summary>
    public int Withdrawn { get; set; }

    /// <summary>Of those: returned without resolution (not eligible, rejected, ended without a result).</summary>
    public int ReturnedWithoutResolution { get; set; }

    /// <summary>Applications refused at the counter check in the period (form 03, national code 3): never received, so in no other column.</summary>
    public int RefusedAtCounter { get; set; }

    /// <summary>The on-time rate in percent, rounded per the settings; null when the denominator is 0.</summary>
    public double? OnTimeRate { get; set; }

    /// <summary>Its numerator.</summary>
    public int RateNumerator { get; set; }

    /// <summary>Its denominator.</summary>
    public int RateDenominator { get; set; }

    /// <summary>Form06, LateShare or Index766.</summary>
    public string RateDefinition { get; set; } = string.Empty;

    /// <summary>Separate or OnTime.</summary>
    public string WithdrawnPlacement { get; set; } = string.Empty;

    /// <summary>Received = carried + new, resolved = early + on time + late, in progress = within + overdue, received = resolved + in progress + withdrawn.</summary>
    public bool Balanced { get; set; }

    /// <summary>Applicants' ratings given in the period (after the result was returned; one per dossier).</summary>
    public int Rated { get; set; }

    /// <summary>Of them: satisfied.</summary>
    public int Satisfied { get; set; }

    /// <summary>Of them: not satisfied.</summary>
    public int NotSatisfied { get; set; }

    /// <summary>Satisfied / rated in percent, rounded as the on-time rate; null when nobody rated.</summary>
    public double? SatisfactionRate { get; set; }
}

/// <summary>The computed table.</summary>
/// <param name="From">First day.</param>
/// <param name="To">Last day.</param>
/// <param name="Start">Local midnight starting <paramref name="From"/>, UTC.</param>
/// <param name="CutOff">Local midnight ending <paramref name="To"/>, UTC.</param>
/// <param name="CalendarVersion">Calendar version used.</param>
/// <param name="Settings">Settings used.</param>
/// <param name="Rows">Rows, in report order.</param>
/// <param name="Total">The total row (RowNumber 0).</param>
/// <param name="Sums">Each level's subtotal, each unit's total, then the total, in the order of <see cref="Layout"/>.</param>
public sealed record PeriodReportResult(DateOnly From, DateOnly To, DateTime Start, DateTime CutOff, int CalendarVersion,
    ReportSettings Settings, IReadOnlyList<PeriodReportRow> Rows, PeriodReportRow Total, IReadOnlyList<PeriodReportRow> Sums)
{
    /// <summary>
    /// The printed table: per level (province, district, commune, agency) its subtotal, then per unit
    /// its total followed by its field rows; the total last. The official appendix groups rows so.
    /// </summary>
    public IEnumerable<PeriodReportRow> Layout()
    {
        foreach (var level in Sums.Where(s => s.Kind == PeriodReportRowKinds.Level))
        {
            yield return level;
            foreach (var unit in Sums.Where(s => s.Kind == PeriodReportRowKinds.Unit && s.Level == level.Level))
            {
                yield return unit;
                foreach (var row in Rows.Where(r => r.UnitCode == unit.UnitCode))
                {
                    yield return row;
                }
            }
        }

        yield return Total;
    }
}

/// <summary>Kinds of report rows.</summary>
public static class PeriodReportRowKinds
{
    /// <summary>One field within one unit (the rows the official table numbers).</summary>
    public const string Field = "Field";

    /// <summary>The sum of one unit's field rows.</summary>
    public const string Unit = "Unit";

    /// <summary>The sum of the units of one level.</summary>
    public const string Level = "Level";

    /// <summary>The sum of everything.</summary>
    public const string Total = "Total";
}

/// <summary>
/// Computes the official period table from what happened up to the cut-off, so the same period gives
/// the same figures whenever it is run. Per dossier only facts written once, in the same transaction as
/// their journal entry, are read: receipt (DossierReceived), result ready with its verdict (ResultReady),
/// stop (DossierStopped), plus, for dossiers still running at the cut-off, the last ClockPaused /
/// ClockResumed / ApologyIssued journal entry before it (which holds the due instant then). Counting
/// runs in the database (GROUP BY), split into index-friendly range queries; only dossiers running at
/// the cut-off whose clock moved are classified one by one.
/// </summary>
public sealed class PeriodReportService(UnitDirectory units, IOptionsMonitor<List<FieldOptions>> fields, IOptions<ServerOptions> server, TimeProvider clock)
{
    private static readonly string[] LevelOrder = UnitLevels.All;

    private static readonly Dictionary<string, string> LevelNames = new(StringComparer.Ordinal)
    {
        [UnitLevels.Province] = "Cấp tỉnh / Province level",
        [UnitLevels.District] = "Cấp huyện (trước 1/7/2025) / District level (before 1/7/2025)",
        [UnitLevels.Commune] = "Cấp xã / Commune level",
        [UnitLevels.Agency] = "Cơ quan khác / Other agencies",
    };

    private DbContextOptions<ProcessServerDbContext>? _options;

    private sealed record Key(string Unit, string Field);

    /// <summary>Counts per unit and field from one group of queries.</summary>
    private sealed class Tally
    {
        public Dictionary<Key, Counts> Rows { get; } = [];

        public Counts At(string unit, string? field)
        {
            var key = new Key(unit, field ?? string.Empty);
            if (!Rows.TryGetValue(key, out var c))
            {
                Rows[key] = c = new Counts();
            }

            return c;
        }

        public void Add(Tally other)
        {
            foreach (var (key, o) in other.Rows)
            {
                Accumulate(At(key.Unit, key.Field), o);
            }
        }
    }

    private sealed class Counts
    {
        public int NewOnline;
        public int NewDirect;
        public int NewPostal;
        public int Carried;
        public int Early;
        public int OnTime;
        public int Late;
        public int Withdrawn;
        public int Returned;
        public int Refused;
        public int Within;
        public int Overdue;
        public int Paused;
        public int Rated;
        public int Satisfied;
    }

    /// <summary>Computes the table for [<paramref name="from"/>, <paramref name="to"/>].</summary>
    /// <param name="db">The store.</param>
    /// <param name="from">First day (local).</param>
    /// <param name="to">Last day (local).</param>
    /// <param name="settings">Report settings.</param>
    /// <param name="unitScope">Receiving units to include; null for all.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public async Task<PeriodReportResult> ComputeAsync(ProcessServerDbContext db, DateOnly from, DateOnly to, ReportSettings settings,
        IReadOnlyCollection<string>? unitScope, CancellationToken cancellationToken)
    {
        if (to < from)
        {
            throw new ArgumentException($"the period ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd})");
        }

        var (calendarVersion, time) = await CalendarAtAsync(db, to, cancellationToken);
        var start = time.ReportCutOff(from.AddDays(-1));
        var periodEnd = time.ReportCutOff(to);

        // A period not over yet is judged now, not at its midnight ahead: "overdue" then means what it
        // means in Dossiers and DossierStats at the same instant (running, clock not paused, due before
        // the instant; see FeedSources), and nothing received or resolved later than now exists anyway.
        var now = clock.GetUtcNow().UtcDateTime;
        var cutOff = periodEnd > now ? now : periodEnd;

        // What the report counts happened before the period's end, or, for a period not over yet, up to
        // and including now: a dossier received at this very instant is already in Dossiers, so it is in
        // the report too (one microsecond past now, the finest instant PostgreSQL stores, as the bound).
        var until = periodEnd > now ? now.AddTicks(TimeSpan.TicksPerMicrosecond) : periodEnd;
        var scope = unitScope?.ToArray();
        IQueryable<Dossier> Dossiers(ProcessServerDbContext context) =>
            scope is null ? context.Dossiers.AsNoTracking() : context.Dossiers.AsNoTracking().Where(d => scope.Contains(d.ReceivingUnit));

        // Five independent groups of queries, each on a connection of its own so the database works
        // on them in parallel (SQLite in WAL mode serves concurrent readers; so does PostgreSQL).
        var parts = await Task.WhenAll(
            InParallel(db, c => ReceivedAsync(Dossiers(c), start, until, cancellationToken)),
            InParallel(db, c => CarriedAsync(Dossiers(c), start, cancellationToken)),
            InParallel(db, c => ResolvedAsync(Dossiers(c), start, until, settings, time, cancellationToken)),
            InParallel(db, c => RunningAsync(Dossiers(c), c.Journal.AsNoTracking(), until, cutOff, settings, cancellationToken)),
            InParallel(db, c => RatedAsync(scope is null ? c.Ratings.AsNoTracking() : c.Ratings.AsNoTracking().Where(r => scope.Contains(r.UnitCode)), start, until, cancellationToken)));
        var counts = new Tally();
        foreach (var part in parts)
        {
            counts.Add(part);
        }

        return Assemble(from, to, start, periodEnd, cutOff, calendarVersion, settings, counts.Rows);
    }

    private async Task<Tally> InParallel(ProcessServerDbContext db, Func<ProcessServerDbContext, Task<Tally>> part)
    {
        await using var context = new ProcessServerDbContext(_options ??= Options(db));
        return await part(context);
    }

    private static DbContextOptions<ProcessServerDbContext> Options(ProcessServerDbContext db)
    {
        var builder = new DbContextOptionsBuilder<ProcessServerDbContext>();
        StoreRegistration.Configure(builder, new StoreOptions
        {
            Provider = db.Database.IsNpgsql() ? StoreProvider.Postgres : StoreProvider.Sqlite,
            ConnectionString = db.Database.GetConnectionString()!,
        });
        return builder.Options;
    }

    /// <summary>Cols 4, 5: new in the period, by channel.</summary>
    private static async Task<Tally> ReceivedAsync(IQueryable<Dossier> dossiers, DateTime start, DateTime until, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        foreach (var r in await dossiers.Where(d => d.ReceivedAt >= start && d.ReceivedAt < until)
                     .GroupBy(d => new { d.FieldCode, d.ReceivingUnit })
                     .Select(g => new
                     {
                         g.Key.ReceivingUnit,
                         g.Key.FieldCode,
                         Total = g.Count(),
                         Online = g.Count(d => d.Channel == "online"),
                         Postal = g.Count(d => d.Channel == "postal"),
                     }).ToListAsync(cancellationToken))
        {
            var c = tally.At(r.ReceivingUnit, r.FieldCode);
            c.NewOnline += r.Online;
            c.NewPostal += r.Postal;
            c.NewDirect += r.Total - r.Online - r.Postal;
        }

        return tally;
    }

    /// <summary>Col 6: running at the start of the period.</summary>
    private static async Task<Tally> CarriedAsync(IQueryable<Dossier> dossiers, DateTime start, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        foreach (var part in RunningAt(dossiers, start))
        {
            foreach (var r in await part.GroupBy(d => new { d.FieldCode, d.ReceivingUnit })
                         .Select(g => new { g.Key.ReceivingUnit, g.Key.FieldCode, Total = g.Count() }).ToListAsync(cancellationToken))
            {
                tally.At(r.ReceivingUnit, r.FieldCode).Carried += r.Total;
            }
        }

        return tally;
    }

    /// <summary>Cols 8–10: result ready in the period, by the verdict judged at that moment; and those stopped in the period.</summary>
    private static async Task<Tally> ResolvedAsync(IQueryable<Dossier> dossiers, DateTime start, DateTime until, ReportSettings settings, WorkingTime time,
        CancellationToken cancellationToken)
    {
        var tally = new Tally();
        foreach (var r in await dossiers.Where(d => d.ResultReadyAt >= start && d.ResultReadyAt < until && d.ReceivedAt < until)
                     .GroupBy(d => new { d.FieldCode, d.ReceivingUnit })
                     .Select(g => new
                     {
                         g.Key.ReceivingUnit,
                         g.Key.FieldCode,
                         Total = g.Count(),
                         Early = g.Count(d => d.Verdict == nameof(Verdict.Early)),
                         Late = g.Count(d => d.Verdict == nameof(Verdict.Late)),
                     }).ToListAsync(cancellationToken))
        {
            var c = tally.At(r.ReceivingUnit, r.FieldCode);
            c.Early += r.Early;
            c.Late += r.Late;
            c.OnTime += r.Total - r.Early - r.Late; // on time, and procedures without a limit
        }

        if (settings.Apology == ApologyReading.NewAppointment)
        {
            var cured = await dossiers.Where(d => d.ResultReadyAt >= start && d.ResultReadyAt < until && d.ReceivedAt < until
                                                  && d.Verdict == nameof(Verdict.Late) && d.ApologyDueAt != null)
                .Select(d => new { d.ReceivingUnit, d.FieldCode, d.ResultReadyAt, d.ApologyDueAt }).ToListAsync(cancellationToken);
            foreach (var r in cured)
            {
                var verdict = time.Judge(r.ResultReadyAt!.Value, r.ApologyDueAt!.Value);
                if (verdict != Verdict.Late)
                {
                    var c = tally.At(r.ReceivingUnit, r.FieldCode);
                    c.Late--;
                    if (verdict == Verdict.Early)
                    {
                        c.Early++;
                    }
                    else
                    {
                        c.OnTime++;
                    }
                }
            }
        }

        // Withdrawn / returned without resolution in the period, each in its column. Applications refused
        // at the counter are stored received-and-stopped at the same instant (never running): they come
        // out of the new receipts here, by channel, and are shown apart.
        foreach (var r in await dossiers.Where(d => d.StoppedAt >= start && d.StoppedAt < until && d.ReceivedAt < until)
                     .GroupBy(d => new { d.FieldCode, d.ReceivingUnit, d.StopKind, d.Channel })
                     .Select(g => new { g.Key.ReceivingUnit, g.Key.FieldCode, g.Key.StopKind, g.Key.Channel, Total = g.Count() }).ToListAsync(cancellationToken))
        {
            var c = tally.At(r.ReceivingUnit, r.FieldCode);
            switch (r.StopKind)
            {
                case nameof(StopKind.Withdrawn):
                    c.Withdrawn += r.Total;
                    break;
                case nameof(StopKind.RefusedAtReceipt):
                    c.Refused += r.Total;
                    switch (r.Channel)
                    {
                        case "online":
                            c.NewOnline -= r.Total;
                            break;
                        case "postal":
                            c.NewPostal -= r.Total;
                            break;
                        default:
                            c.NewDirect -= r.Total;
                            break;
                    }

                    break;
                default:
                    c.Returned += r.Total;
                    break;
            }
        }

        return tally;
    }

    /// <summary>Applicants' ratings given in the period, under the dossier's receiving unit and field.</summary>
    private static async Task<Tally> RatedAsync(IQueryable<ServiceRating> ratings, DateTime start, DateTime until, CancellationToken cancellationToken)
    {
        var tally = new Tally();
        foreach (var r in await ratings.Where(r => r.RatedAt >= start && r.RatedAt < until)
                     .GroupBy(r => new { r.FieldCode, r.UnitCode })
                     .Select(g => new { g.Key.UnitCode, g.Key.FieldCode, Total = g.Count(), Satisfied = g.Count(r => r.Satisfied) })
                     .ToListAsync(cancellationToken))
        {
            var c = tally.At(r.UnitCode, r.FieldCode);
            c.Rated += r.Total;
            c.Satisfied += r.Satisfied;
        }

        return tally;
    }

    /// <summary>
    /// Cols 12, 13: running at the cut-off (what happened before <paramref name="until"/>), within limit
    /// or overdue as judged at <paramref name="cutOff"/>.
    /// </summary>
    private static async Task<Tally> RunningAsync(IQueryable<Dossier> dossiers, IQueryable<JournalEntry> journal, DateTime until, DateTime cutOff, ReportSettings settings,
        CancellationToken cancellationToken)
    {
        var tally = new Tally();
        var apologyCounts = settings.Apology == ApologyReading.NewAppointment;
        foreach (var part in RunningAt(dossiers, until))
        {
            var moved = part.Where(d => journal.Any(j => j.DossierId == d.Id && j.Timestamp < until
                && (j.Type == JournalEventTypes.ClockPaused || j.Type == JournalEventTypes.ClockResumed || (apologyCounts && j.Type == JournalEventTypes.ApologyIssued))));
            var still = part.Where(d => !journal.Any(j => j.DossierId == d.Id && j.Timestamp < until
                && (j.Type == JournalEventTypes.ClockPaused || j.Type == JournalEventTypes.ClockResumed || (apologyCounts && j.Type == JournalEventTypes.ApologyIssued))));

            // Clock never moved: overdue when the appointment passed before the cut-off.
            foreach (var r in await still.GroupBy(d => new { d.FieldCode, d.ReceivingUnit })
                         .Select(g => new { g.Key.ReceivingUnit, g.Key.FieldCode, Total = g.Count(), Overdue = g.Count(d => d.AppointmentAt != null && d.AppointmentAt < cutOff) })
                         .ToListAsync(cancellationToken))
            {
                var c = tally.At(r.ReceivingUnit, r.FieldCode);
                c.Overdue += r.Overdue;
                c.Within += r.Total - r.Overdue;
            }

            var clockTypes = new[] { JournalEventTypes.ClockPaused, JournalEventTypes.ClockResumed };
            var rows = await moved.Select(d => new
            {
                d.ReceivingUnit,
                d.FieldCode,
                d.AppointmentAt,
                ClockType = journal.Where(j => j.DossierId == d.Id && j.Timestamp < until && clockTypes.Contains(j.Type))
                    .OrderByDescending(j => j.Sequence).Select(j => j.Type).FirstOrDefault(),
                ClockAt = journal.Where(j => j.DossierId == d.Id && j.Timestamp < until && clockTypes.Contains(j.Type))
                    .OrderByDescending(j => j.Sequence).Select(j => (DateTime?)j.Timestamp).FirstOrDefault(),
                ClockData = journal.Where(j => j.DossierId == d.Id && j.Timestamp < until && clockTypes.Contains(j.Type))
                    .OrderByDescending(j => j.Sequence).Select(j => j.DataJson).FirstOrDefault(),
                Apology = apologyCounts
                    ? journal.Where(j => j.DossierId == d.Id && j.Timestamp < until && j.Type == JournalEventTypes.ApologyIssued).Select(j => j.DataJson).FirstOrDefault()
                    : null,
            }).ToListAsync(cancellationToken);
            foreach (var r in rows)
            {
                var c = tally.At(r.ReceivingUnit, r.FieldCode);
                var (overdue, paused) = Classify(r.AppointmentAt, r.ClockType, r.ClockAt, r.ClockData, r.Apology, cutOff, settings);
                if (overdue)
                {
                    c.Overdue++;
                }
                else
                {
                    c.Within++;
                }

                if (paused)
                {
                    c.Paused++;
                }
            }
        }

        return tally;
    }

    /// <summary>
    /// Dossiers running at <paramref name="instant"/>, as three disjoint queries each an index range
    /// (GROUP BY field first, so SQLite does not trade the covering range index for one that avoids the sort).
    /// </summary>
    private static IEnumerable<IQueryable<Dossier>> RunningAt(IQueryable<Dossier> dossiers, DateTime instant)
    {
        yield return dossiers.Where(d => d.ResultReadyAt >= instant && d.ReceivedAt < instant);
        yield return dossiers.Where(d => d.StoppedAt >= instant && d.ReceivedAt < instant);
        yield return dossiers.Where(d => d.ResultReadyAt == null && d.StoppedAt == null && d.ReceivedAt < instant);
    }

    /// <summary>Overdue and paused at the cut-off for a dossier whose clock moved before it.</summary>
    private static (bool Overdue, bool Paused) Classify(DateTime? appointment, string? clockType, DateTime? clockAt, string? clockData,
        string? apology, DateTime cutOff, ReportSettings settings)
    {
        var due = appointment;
        var paused = false;
        DateTime? pausedAt = null;
        if (clockType is not null)
        {
            var data = clockData is null ? null : JsonNode.Parse(clockData);
            due = ReadInstant(data?["dueAt"]) ?? due;
            if (clockType == JournalEventTypes.ClockPaused)
            {
                paused = true;
                pausedAt = clockAt;
            }
        }

        if (apology is not null && ReadInstant(JsonNode.Parse(apology)?["newDueAt"]) is { } newDue && (due is null || newDue > due))
        {
            due = newDue;
        }

        if (due is null)
        {
            return (false, paused);
        }

        if (paused)
        {
            return (settings.PausedAtCutOff == PausedReading.JudgeAtPause && pausedAt > due, true);
        }

        return (WorkingTime.IsOverdue(due.Value, cutOff), false);
    }

    private static DateTime? ReadInstant(JsonNode? node) =>
        node is null ? null : DateTime.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    /// <summary>The calendar in force at the end of <paramref name="to"/>: the newest version stored before then (the first one otherwise).</summary>
    private async Task<(int Version, WorkingTime Time)> CalendarAtAsync(ProcessServerDbContext db, DateOnly to, CancellationToken cancellationToken)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(server.Value.TimeZone);
        var roughCutOff = TimeZoneInfo.ConvertTimeToUtc(to.AddDays(1).ToDateTime(TimeOnly.MinValue), zone);
        var row = await db.CalendarVersions.AsNoTracking().Where(c => c.CreatedAt < roughCutOff).OrderByDescending(c => c.Version).FirstOrDefaultAsync(cancellationToken)
            ?? await db.CalendarVersions.AsNoTracking().OrderBy(c => c.Version).FirstOrDefaultAsync(cancellationToken);
        return row is null
            ? (0, new WorkingTime(new WorkingCalendar(server.Value.TimeZone)))
            : (row.Version, new WorkingTime(WorkingCalendar.FromJson(row.Json)));
    }

    private PeriodReportResult Assemble(DateOnly from, DateOnly to, DateTime start, DateTime end, DateTime cutOff, int calendarVersion, ReportSettings settings,
        Dictionary<Key, Counts> counts)
    {
        var fieldNames = fields.CurrentValue.ToDictionary(f => f.Code, f => f.Name, StringComparer.Ordinal);
        var periodEnd = end.AddDays(-1);
        PeriodReportRow Row(string unit, string field, Counts c)
        {
            var info = units.Find(unit);
            var row = new PeriodReportRow
            {
                Id = $"{unit}/{field}",
                Level = info?.Level ?? string.Empty,
                UnitCode = unit,
                UnitName = info?.Name ?? unit,
                FieldCode = field,
                FieldName = fieldNames.GetValueOrDefault(field) ?? field,
                PeriodStart = start,
                PeriodEnd = periodEnd,
                PeriodFrom = from,
                PeriodTo = to,
                CutOff = cutOff,
                CalendarVersion = calendarVersion,
                NewOnline = c.NewOnline,
                NewDirect = c.NewDirect,
                NewPostal = c.NewPostal,
                NewDirectPostal = c.NewDirect + c.NewPostal,
                CarriedOver = c.Carried,
                Early = c.Early,
                OnTime = c.OnTime,
                Late = c.Late,
                WithinLimit = c.Within,
                Overdue = c.Overdue,
                InProgressPaused = c.Paused,
                Withdrawn = c.Withdrawn,
                ReturnedWithoutResolution = c.Returned,
                WithdrawnReturned = c.Withdrawn + c.Returned,
                RefusedAtCounter = c.Refused,
                Rated = c.Rated,
                Satisfied = c.Satisfied,
                NotSatisfied = c.Rated - c.Satisfied,
                WithdrawnPlacement = settings.WithdrawnReturned.ToString(),
                RateDefinition = settings.OnTimeRate.ToString(),
            };
            if (settings.WithdrawnReturned == WithdrawnPlacement.OnTime)
            {
                row.OnTime += row.WithdrawnReturned;
                row.WithdrawnReturned = 0;
                row.Withdrawn = 0;
                row.ReturnedWithoutResolution = 0;
            }

            Finish(row, settings);
            return row;
        }

        var rows = counts
            .Select(kv => Row(kv.Key.Unit, kv.Key.Field, kv.Value))
            .Where(r => r.Received > 0 || r.Resolved > 0 || r.InProgress > 0 || r.WithdrawnReturned > 0 || r.RefusedAtCounter > 0 || r.Rated > 0)
            .OrderBy(r => LevelRank(r.Level))
            .ThenBy(r => r.UnitCode, StringComparer.Ordinal)
            .ThenBy(r => r.FieldCode, StringComparer.Ordinal)
            .ToList();
        for (var i = 0; i < rows.Count; i++)
        {
            rows[i].RowNumber = i + 1;
        }

        // Sums from the raw counts (before placement and rates), so every sum row is computed like a field row.
        var byUnit = new Dictionary<string, Counts>(StringComparer.Ordinal);
        foreach (var (key, c) in counts)
        {
            if (!byUnit.TryGetValue(key.Unit, out var sum))
            {
                byUnit[key.Unit] = sum = new Counts();
            }

            Accumulate(sum, c);
        }

        var shown = rows.Select(r => r.UnitCode).ToHashSet(StringComparer.Ordinal);
        var unitRows = byUnit.Where(kv => shown.Contains(kv.Key)).Select(kv =>
        {
            var row = Row(kv.Key, string.Empty, kv.Value);
            row.Id = "UNIT:" + kv.Key;
            row.Kind = PeriodReportRowKinds.Unit;
            row.FieldName = string.Empty;
            return (Row: row, Counts: kv.Value);
        }).ToList();
        var sums = new List<PeriodReportRow>();
        foreach (var level in unitRows.GroupBy(u => u.Row.Level).OrderBy(g => LevelRank(g.Key)))
        {
            var subtotal = new Counts();
            foreach (var unit in level)
            {
                Accumulate(subtotal, unit.Counts);
            }

            var row = Row(string.Empty, string.Empty, subtotal);
            row.Id = "LEVEL:" + level.Key;
            row.Kind = PeriodReportRowKinds.Level;
            row.Level = level.Key;
            row.UnitName = LevelNames.GetValueOrDefault(level.Key) ?? (level.Key.Length == 0 ? "Đơn vị chưa khai báo / Units not in the directory" : level.Key);
            row.FieldName = string.Empty;
            sums.Add(row);
            sums.AddRange(level.OrderBy(u => u.Row.UnitCode, StringComparer.Ordinal).Select(u => u.Row));
        }

        var all = new Counts();
        foreach (var c in counts.Values)
        {
            Accumulate(all, c);
        }

        var total = Row("", "", all);
        total.Id = "TOTAL";
        total.Kind = PeriodReportRowKinds.Total;
        total.Level = string.Empty;
        total.UnitName = "Tổng cộng / Total";
        total.FieldName = string.Empty;
        sums.Add(total);
        var result = new PeriodReportResult(from, to, start, cutOff, calendarVersion, settings, rows, total, sums);
        var position = 0;
        foreach (var row in result.Layout())
        {
            row.Position = ++position;
        }

        return result;
    }

    private static int LevelRank(string level) => Array.IndexOf(LevelOrder, level) is var i && i >= 0 ? i : LevelOrder.Length;

    private static void Accumulate(Counts sum, Counts c)
    {
        sum.NewOnline += c.NewOnline;
        sum.NewDirect += c.NewDirect;
        sum.NewPostal += c.NewPostal;
        sum.Carried += c.Carried;
        sum.Early += c.Early;
        sum.OnTime += c.OnTime;
        sum.Late += c.Late;
        sum.Withdrawn += c.Withdrawn;
        sum.Returned += c.Returned;
        sum.Refused += c.Refused;
        sum.Within += c.Within;
        sum.Overdue += c.Overdue;
        sum.Paused += c.Paused;
        sum.Rated += c.Rated;
        sum.Satisfied += c.Satisfied;
    }

    private static void Finish(PeriodReportRow row, ReportSettings settings)
    {
        row.Received = row.CarriedOver + row.NewOnline + row.NewDirectPostal;
        row.Resolved = row.Early + row.OnTime + row.Late;
        row.InProgress = row.WithinLimit + row.Overdue;
        row.Balanced = row.Received == row.Resolved + row.InProgress + row.WithdrawnReturned;
        (row.RateNumerator, row.RateDenominator) = settings.OnTimeRate switch
        {
            OnTimeRateDefinition.LateShare => (row.Received - row.Late - row.Overdue, row.Received),
            OnTimeRateDefinition.Index766 => (row.Early + row.OnTime + row.WithinLimit, row.Resolved + row.InProgress),
            _ => (row.Early + row.OnTime, row.Resolved),
        };
        row.OnTimeRate = Rate(row.RateNumerator, row.RateDenominator, settings);
        row.SatisfactionRate = Rate(row.Satisfied, row.Rated, settings);
    }

    /// <summary>A percentage cut to the configured decimals: half up or truncated (DOMAIN §5.5).</summary>
    public static double? Rate(int numerator, int denominator, ReportSettings settings)
    {
        if (denominator == 0)
        {
            return null;
        }

        var percent = 100m * numerator / denominator;
        var scale = (decimal)Math.Pow(10, settings.RateDecimals);
        var cut = settings.Rounding == RateRounding.Truncate
            ? Math.Truncate(percent * scale) / scale
            : Math.Round(percent, settings.RateDecimals, MidpointRounding.AwayFromZero);
        return (double)cut;
    }
}
