using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Features.Reports;
using ProcessServer.OData.Tests.Support;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>
/// The official period table on three months and a half of generated runs: the identities of DOMAIN
/// §5.2 per row, carry-over = the previous period's in progress, every figure recomputed independently
/// from the journal, the same figures when a past period is run again later, and the settings.
/// </summary>
[Collection(FeedGroup.Name)]
public sealed class PeriodReportTests(FeedFixture feed)
{
    private static readonly string[] Counts =
    [
        "Received", "NewOnline", "NewDirectPostal", "NewDirect", "NewPostal", "CarriedOver", "Resolved", "Early", "OnTime", "Late",
        "InProgress", "WithinLimit", "Overdue", "InProgressPaused", "WithdrawnReturned",
    ];

    private static readonly (string From, string To)[] Months =
        [("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31"), ("2026-04-01", "2026-04-10")];

    private static readonly (string From, string To)[] FifteenthToFourteenth =
        [("2026-01-05", "2026-01-14"), ("2026-01-15", "2026-02-14"), ("2026-02-15", "2026-03-14"), ("2026-03-15", "2026-04-14")];

    private Task<List<JsonObject>> ReportAsync(string from, string to, string extra = "", string key = Keys.Reporter) =>
        AllAsync(feed.Server, $"PeriodReport?from={from}&to={to}{extra}", key);

    [Fact]
    public async Task Every_row_balances_received_carried_new_resolved_in_progress_and_withdrawn()
    {
        foreach (var (from, to) in Months.Concat(FifteenthToFourteenth).Append(("2026-01-01", "2026-04-10")))
        {
            var rows = await ReportAsync(from, to);
            rows.Should().NotBeEmpty();
            foreach (var r in rows)
            {
                var because = $"{from}..{to} {Text(r, "Id")}";
                Number(r, "Received").Should().Be(Number(r, "CarriedOver") + Number(r, "NewOnline") + Number(r, "NewDirectPostal"), because);
                Number(r, "NewDirectPostal").Should().Be(Number(r, "NewDirect") + Number(r, "NewPostal"), because);
                Number(r, "Resolved").Should().Be(Number(r, "Early") + Number(r, "OnTime") + Number(r, "Late"), because);
                Number(r, "InProgress").Should().Be(Number(r, "WithinLimit") + Number(r, "Overdue"), because);
                Number(r, "Received").Should().Be(Number(r, "Resolved") + Number(r, "InProgress") + Number(r, "WithdrawnReturned"), because);
                r["Balanced"]!.GetValue<bool>().Should().BeTrue(because);
                Number(r, "Rated").Should().Be(Number(r, "Satisfied") + Number(r, "NotSatisfied"), because);
            }
        }

        var whole = await ReportAsync("2026-01-01", "2026-04-10");
        whole.Sum(r => Number(r, "NewOnline") + Number(r, "NewDirectPostal")).Should().Be(feed.Received, "every dossier generated was received in that span");
        whole.Sum(r => Number(r, "CarriedOver")).Should().Be(0, "nothing was running before 5 January");
        whole.Sum(r => Number(r, "Late")).Should().BeGreaterThan(0);
        whole.Sum(r => Number(r, "Early")).Should().BeGreaterThan(0);
        whole.Sum(r => Number(r, "WithdrawnReturned")).Should().BeGreaterThan(0);
        whole.Sum(r => Number(r, "Overdue")).Should().BeGreaterThan(0);
        var ratings = await AllAsync(feed.Server, "Ratings", Keys.Reporter);
        ratings.Should().NotBeEmpty("every returned dossier was rated");
        whole.Sum(r => Number(r, "Rated")).Should().Be(ratings.Count, "each rating is counted once, in the period it was given");
        whole.Sum(r => Number(r, "NotSatisfied")).Should().Be(ratings.Count(r => !r["Satisfied"]!.GetValue<bool>())).And.BeGreaterThan(0);
    }

    [Fact]
    public async Task Carried_over_of_each_period_equals_in_progress_of_the_period_before()
    {
        foreach (var series in new[] { Months, FifteenthToFourteenth })
        {
            for (var i = 1; i < series.Length; i++)
            {
                var before = (await ReportAsync(series[i - 1].From, series[i - 1].To)).ToDictionary(r => Text(r, "Id"), r => Number(r, "InProgress"));
                var after = (await ReportAsync(series[i].From, series[i].To)).ToDictionary(r => Text(r, "Id"), r => Number(r, "CarriedOver"));
                foreach (var id in before.Keys.Union(after.Keys))
                {
                    after.GetValueOrDefault(id).Should().Be(before.GetValueOrDefault(id), $"{id}: carried into {series[i].From} = in progress at the end of {series[i - 1].To}");
                }

                after.Values.Sum().Should().BeGreaterThan(0);
            }
        }
    }

    [Fact]
    public async Task Every_figure_matches_an_independent_computation_from_the_journal()
    {
        using var db = feed.Server.OpenStore();
        var dossiers = await db.Dossiers.AsNoTracking().Select(d => new { d.Id, d.ReceivingUnit, d.FieldCode, d.Channel, d.AppointmentAt }).ToListAsync();
        var journal = (await db.Journal.AsNoTracking().ToListAsync()).ToLookup(j => j.DossierId);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        DateTime Midnight(string date) => TimeZoneInfo.ConvertTimeToUtc(DateTime.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture), zone);

        foreach (var (from, to) in Months.Concat(FifteenthToFourteenth))
        {
            var start = Midnight(from);
            // A period not over yet is judged now, as the sets judge "overdue" (issue 13: one definition).
            var now = feed.Clock.GetUtcNow().UtcDateTime;
            var cutOff = Midnight(to).AddDays(1) is var end && end > now ? now : end;
            var expected = new Dictionary<string, Dictionary<string, int>>();
            void Add(string id, string column) => (expected.TryGetValue(id, out var c) ? c : expected[id] = Counts.ToDictionary(k => k, _ => 0))[column]++;

            foreach (var d in dossiers)
            {
                var events = journal[d.Id].OrderBy(j => j.Sequence).ToList();
                var received = events.Single(j => j.Type == "DossierReceived").Timestamp;
                var ready = events.FirstOrDefault(j => j.Type == "ResultReady");
                var stopped = events.FirstOrDefault(j => j.Type == "DossierStopped");
                DateTime? closed = ready?.Timestamp ?? stopped?.Timestamp;
                if (received >= cutOff || (received < start && closed < start))
                {
                    continue;
                }

                var id = $"{d.ReceivingUnit}/{d.FieldCode}";
                if (received < start)
                {
                    Add(id, "CarriedOver");
                }
                else
                {
                    Add(id, d.Channel == "online" ? "NewOnline" : "NewDirectPostal");
                    Add(id, d.Channel == "postal" ? "NewPostal" : d.Channel == "direct" ? "NewDirect" : "Received");
                }

                if (ready is not null && ready.Timestamp < cutOff)
                {
                    var verdict = ready.DataJson is null ? "OnTime" : JsonNode.Parse(ready.DataJson)!["verdict"]?.GetValue<string>() ?? "OnTime";
                    Add(id, verdict);
                }
                else if (stopped is not null && stopped.Timestamp < cutOff)
                {
                    Add(id, "WithdrawnReturned");
                }
                else
                {
                    var clock = events.LastOrDefault(j => j.Timestamp < cutOff && j.Type is "ClockPaused" or "ClockResumed");
                    var due = clock is null ? d.AppointmentAt : JsonNode.Parse(clock.DataJson!)!["dueAt"]!.GetValue<DateTime>().ToUniversalTime();
                    if (clock?.Type == "ClockPaused")
                    {
                        Add(id, "InProgressPaused");
                        Add(id, "WithinLimit");
                    }
                    else
                    {
                        Add(id, due is not null && due < cutOff ? "Overdue" : "WithinLimit");
                    }
                }
            }

            var rows = (await ReportAsync(from, to)).ToDictionary(r => Text(r, "Id"));
            rows.Keys.Should().BeEquivalentTo(expected.Keys, $"{from}..{to}");
            foreach (var (id, c) in expected)
            {
                var row = rows[id];
                foreach (var column in new[] { "NewOnline", "NewDirectPostal", "NewPostal", "CarriedOver", "Early", "OnTime", "Late", "WithinLimit", "Overdue", "InProgressPaused", "WithdrawnReturned" })
                {
                    Number(row, column).Should().Be(c[column], $"{from}..{to} {id} {column}");
                }
            }
        }
    }

    [Fact]
    public async Task A_past_period_gives_the_same_figures_months_later()
    {
        var then = feed.JanuaryAsOfFebruary1["value"]!.AsArray().Select(r => r!.AsObject()).OrderBy(r => Text(r, "Id")).ToList();
        var now = (await ReportAsync("2026-01-01", "2026-01-31")).OrderBy(r => Text(r, "Id")).ToList();
        then.Should().NotBeEmpty();
        now.Select(r => r.ToJsonString()).Should().Equal(then.Select(r => r.ToJsonString()),
            "January was computed on 1 February and again on 10 April, after its running dossiers had moved on");
        then.Sum(r => Number(r, "InProgress")).Should().BeGreaterThan(0, "some January dossiers were still running at the cut-off");
    }

    [Fact]
    public async Task Withdrawn_can_be_filed_under_on_time_and_the_table_still_balances()
    {
        var separate = (await ReportAsync("2026-01-01", "2026-04-10")).ToDictionary(r => Text(r, "Id"));
        var onTime = (await ReportAsync("2026-01-01", "2026-04-10", "&withdrawn=OnTime")).ToDictionary(r => Text(r, "Id"));
        separate.Values.Sum(r => Number(r, "WithdrawnReturned")).Should().BeGreaterThan(0);
        foreach (var (id, r) in onTime)
        {
            var s = separate[id];
            Number(r, "WithdrawnReturned").Should().Be(0);
            Number(r, "OnTime").Should().Be(Number(s, "OnTime") + Number(s, "WithdrawnReturned"));
            Number(r, "Resolved").Should().Be(Number(s, "Resolved") + Number(s, "WithdrawnReturned"));
            Number(r, "Received").Should().Be(Number(r, "Resolved") + Number(r, "InProgress"));
            Text(r, "WithdrawnPlacement").Should().Be("OnTime");
        }
    }

    [Fact]
    public async Task The_three_on_time_rates_show_their_numerators_and_denominators()
    {
        foreach (var rate in new[] { "Form06", "LateShare", "Index766" })
        {
            foreach (var r in await ReportAsync("2026-02-01", "2026-02-28", "&rate=" + rate + "&rounding=Truncate"))
            {
                var (num, den) = rate switch
                {
                    "Form06" => (Number(r, "Early") + Number(r, "OnTime"), Number(r, "Resolved")),
                    "LateShare" => (Number(r, "Received") - Number(r, "Late") - Number(r, "Overdue"), Number(r, "Received")),
                    _ => (Number(r, "Early") + Number(r, "OnTime") + Number(r, "WithinLimit"), Number(r, "Resolved") + Number(r, "InProgress")),
                };
                Number(r, "RateNumerator").Should().Be(num);
                Number(r, "RateDenominator").Should().Be(den);
                Text(r, "RateDefinition").Should().Be(rate);
                var value = r["OnTimeRate"]?.GetValue<double>();
                if (den == 0)
                {
                    value.Should().BeNull();
                }
                else
                {
                    value.Should().Be((double)(Math.Truncate(10000m * num / den) / 100m));
                }
            }
        }
    }

    [Theory]
    [InlineData(9278, 11836, RateRounding.HalfUp, 78.39)]
    [InlineData(979, 998, RateRounding.Truncate, 98.09)]
    [InlineData(979, 998, RateRounding.HalfUp, 98.1)]
    [InlineData(50, 10674, RateRounding.Truncate, 0.46)]
    [InlineData(2, 1277, RateRounding.HalfUp, 0.16)]
    [InlineData(10776, 13979, RateRounding.HalfUp, 77.09)]
    public void Rates_round_half_up_or_truncate_as_the_provinces_print_them(int numerator, int denominator, RateRounding rounding, double printed) =>
        PeriodReportService.Rate(numerator, denominator, new ReportSettings { Rounding = rounding }).Should().Be(printed);

    [Fact]
    public async Task The_apology_and_paused_readings_move_dossiers_between_columns_without_changing_totals()
    {
        var legal = await ReportAsync("2026-01-01", "2026-04-10");
        var cured = await ReportAsync("2026-01-01", "2026-04-10", "&apology=NewAppointment&paused=JudgeAtPause");
        cured.Sum(r => Number(r, "Resolved")).Should().Be(legal.Sum(r => Number(r, "Resolved")));
        cured.Sum(r => Number(r, "Late")).Should().BeLessThanOrEqualTo(legal.Sum(r => Number(r, "Late")));
        cured.Sum(r => Number(r, "InProgress")).Should().Be(legal.Sum(r => Number(r, "InProgress")));
        cured.Should().OnlyContain(r => r["Balanced"]!.GetValue<bool>());
        (await RawAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-01-31&rate=Weird")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await RawAsync(feed.Server, "PeriodReport?from=2026-02-01&to=2026-01-31")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await RawAsync(feed.Server, "PeriodReport?from=2026-13-01")).Status.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_function_the_entity_set_and_the_CSV_give_the_same_table()
    {
        var set = await ReportAsync("2026-02-15", "2026-03-14");
        var function = await AllAsync(feed.Server, "PeriodReportFor(From=2026-02-15,To=2026-03-14)");
        function.Select(r => r.ToJsonString()).Should().Equal(set.Select(r => r.ToJsonString()));

        var (status, body, response) = await RawAsync(feed.Server, "/api/reports/period.csv?from=2026-02-15&to=2026-03-14");
        status.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        (await response.Content.ReadAsByteArrayAsync()).Take(3).Should().Equal(Encoding.UTF8.GetPreamble());
        var lines = body.TrimStart('\uFEFF').TrimEnd().Split("\r\n".Contains('\r') ? Environment.NewLine : "\n");
        lines[0].Should().StartWith("RowNumber,Level,UnitCode,UnitName,FieldCode,FieldName,PeriodFrom,PeriodTo,Received,");
        var sums = await AllAsync(feed.Server, "PeriodReportTotals?from=2026-02-15&to=2026-03-14");
        lines.Length.Should().Be(1 + set.Count + sums.Count, "header, one line per row and per sum (levels, units, the total)");
        var total = lines[^1].Split(',');
        total[^1].Should().Be("Total");
        int.Parse(total[8], CultureInfo.InvariantCulture).Should().Be(set.Sum(r => Number(r, "Received")));
        lines.Should().Contain(l => l.Contains("Trung tâm Phục vụ hành chính công", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Grouping_the_report_rows_by_unit_with_apply_gives_one_row_per_unit_with_the_sums_of_its_fields()
    {
        var rows = await ReportAsync("2026-01-01", "2026-03-31");
        var units = rows.Select(r => Text(r, "UnitCode")).Distinct().Order(StringComparer.Ordinal).ToList();
        units.Should().HaveCountGreaterThan(1).And.OnlyHaveUniqueItems();
        rows.Should().HaveCountGreaterThan(units.Count, "each unit reports several fields");

        var grouped = await AllAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-03-31&$apply="
            + Uri.EscapeDataString("groupby((UnitCode),aggregate(Received with sum as Received))"));
        grouped.Select(r => Text(r, "UnitCode")).Should().Equal(units);
        foreach (var g in grouped)
        {
            g["Received"]!.GetValue<long>().Should().Be(rows.Where(r => Text(r, "UnitCode") == Text(g, "UnitCode")).Sum(r => Number(r, "Received")));
        }

        var byLevel = await AllAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-03-31&$apply="
            + Uri.EscapeDataString("filter(Received gt 0)/groupby((Level),aggregate(Withdrawn with sum as Withdrawn,ReturnedWithoutResolution with sum as Returned,$count as Rows))"));
        byLevel.Select(r => Text(r, "Level")).Should().Equal("commune", "province");
        byLevel.Sum(r => r["Withdrawn"]!.GetValue<long>()).Should().Be(rows.Sum(r => Number(r, "Withdrawn")));
        byLevel.Sum(r => r["Returned"]!.GetValue<long>()).Should().Be(rows.Sum(r => Number(r, "ReturnedWithoutResolution")));
        byLevel.Sum(r => r["Rows"]!.GetValue<long>()).Should().Be(rows.Count(r => Number(r, "Received") > 0));

        // The unit directory groups too (it is served from memory, like the report).
        var levels = await AllAsync(feed.Server, "Units?$apply=" + Uri.EscapeDataString("groupby((Level),aggregate($count as N))"));
        var directory = await AllAsync(feed.Server, "Units");
        levels.Should().HaveCount(directory.Select(u => Text(u, "Level")).Distinct().Count());
        levels.Sum(l => l["N"]!.GetValue<long>()).Should().Be(directory.Count);
    }

    [Fact]
    public async Task Level_subtotals_and_unit_totals_add_up_their_rows_and_the_printed_table_groups_rows_under_them()
    {
        string[] columns = [.. Counts, "Withdrawn", "ReturnedWithoutResolution", "RefusedAtCounter", "RateNumerator", "RateDenominator"];
        foreach (var (from, to) in Months.Append(("2026-01-01", "2026-04-10")))
        {
            var rows = await ReportAsync(from, to);
            var sums = await AllAsync(feed.Server, $"PeriodReportTotals?from={from}&to={to}&$orderby=Position");
            sums.Select(r => Text(r, "Kind")).Should().Equal("Level", "Unit", "Level", "Unit", "Total");
            sums.Select(r => (Text(r, "Level"), Text(r, "UnitCode"))).Should().Equal(
                ("province", ""), ("province", "HCC-TINH"), ("commune", ""), ("commune", "HCC-BINHSON"), ("", ""));
            rows.Should().OnlyContain(r => Text(r, "Kind") == "Field");
            sums.Concat(rows).Select(r => Number(r, "Position")).Order().Should().Equal(Enumerable.Range(1, sums.Count + rows.Count), "one printed table");

            foreach (var column in columns)
            {
                var because = $"{from}..{to} {column}";
                foreach (var unit in sums.Where(r => Text(r, "Kind") == "Unit"))
                {
                    Number(unit, column).Should().Be(rows.Where(r => Text(r, "UnitCode") == Text(unit, "UnitCode")).Sum(r => Number(r, column)), because);
                }

                foreach (var level in sums.Where(r => Text(r, "Kind") == "Level"))
                {
                    Number(level, column).Should().Be(sums.Where(r => Text(r, "Kind") == "Unit" && Text(r, "Level") == Text(level, "Level")).Sum(r => Number(r, column)), because);
                }

                Number(sums[^1], column).Should().Be(sums.Where(r => Text(r, "Kind") == "Level").Sum(r => Number(r, column)), because);
            }

            sums.Should().OnlyContain(r => r["Balanced"]!.GetValue<bool>());
            Text(sums[1], "UnitName").Should().Be(Text(rows.First(r => Text(r, "UnitCode") == "HCC-TINH"), "UnitName"));
        }

        // The CSV prints the table as the appendix does: level, unit, its fields, … the total.
        var (_, csv, _) = await RawAsync(feed.Server, "/api/reports/period.csv?from=2026-01-01&to=2026-03-31");
        var lines = csv.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        var kind = Array.IndexOf(lines[0], "Kind");
        var printed = lines.Skip(1).Select(l => (Kind: l[kind], Unit: l[2])).ToList();
        var collapsed = printed.Where((p, i) => i == 0 || p != printed[i - 1]).Select(p => $"{p.Kind}:{p.Unit}");
        collapsed.Should().Equal("Level:", "Unit:HCC-TINH", "Field:HCC-TINH", "Level:", "Unit:HCC-BINHSON", "Field:HCC-BINHSON", "Total:");
    }

    [Fact]
    public async Task A_reporter_bound_to_a_unit_sees_only_that_units_rows()
    {
        var rows = await ReportAsync("2026-01-01", "2026-04-10", key: Keys.ProvinceReporter);
        rows.Should().NotBeEmpty().And.OnlyContain(r => Text(r, "UnitCode") == "HCC-TINH");
        var all = (await ReportAsync("2026-01-01", "2026-04-10")).Where(r => Text(r, "UnitCode") == "HCC-TINH");
        rows.Select(r => r.ToJsonString()).Should().Equal(all.Select(r => r.ToJsonString()));

        var dossiers = await AllAsync(feed.Server, "Dossiers?$select=Id,UnitCode", Keys.ProvinceReporter);
        using var db = feed.Server.OpenStore();
        dossiers.Should().HaveCount(await db.Dossiers.CountAsync(d => d.ReceivingUnit == "HCC-TINH"))
            .And.OnlyContain(r => Text(r, "UnitCode") == "HCC-TINH");
        (await AllAsync(feed.Server, "DossierStats", Keys.ProvinceReporter)).Should().OnlyContain(r => Text(r, "UnitCode") == "HCC-TINH");

        // Its sums are sums of its own rows: its level's subtotal and the total are its unit's total, as the whole table has it.
        var sums = await AllAsync(feed.Server, "PeriodReportTotals?from=2026-01-01&to=2026-04-10&$orderby=Position", Keys.ProvinceReporter);
        sums.Select(r => (Text(r, "Kind"), Text(r, "UnitCode"))).Should().Equal(("Level", ""), ("Unit", "HCC-TINH"), ("Total", ""));
        var unitTotal = (await AllAsync(feed.Server, "PeriodReportTotals?from=2026-01-01&to=2026-04-10")).Single(r => Text(r, "Id") == "UNIT:HCC-TINH");
        foreach (var column in Counts)
        {
            sums.Should().OnlyContain(r => Number(r, column) == Number(unitTotal, column), column);
            Number(sums[^1], column).Should().Be(rows.Sum(r => Number(r, column)), column);
        }

        var (_, csv, _) = await RawAsync(feed.Server, "/api/reports/period.csv?from=2026-01-01&to=2026-04-10", Keys.ProvinceReporter);
        csv.Should().NotContain("HCC-BINHSON");
    }
}
