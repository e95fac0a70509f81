using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.Host.Tests.Support;

namespace ProcessServer.Host.Tests;

/// <summary>
/// A province switching systems loads its history: 270 dossiers of 2023 in the documented JSON Lines
/// format, run through the engine with their own times. The period report for the second quarter of
/// 2023 must equal figures the test derives from how it wrote the history (never from the server);
/// a re-run changes nothing; malformed lines are reported by number and nothing of them is stored.
/// </summary>
public sealed class HistoryImportTests : ServerTest
{
    private static readonly DateOnly From = new(2023, 4, 1);
    private static readonly DateOnly To = new(2023, 6, 30);
    private static readonly string[] Channels = ["direct", "online", "postal"];

    /// <summary>
    /// In 2023 land dossiers were received by the district's one-stop unit, abolished on 1/7/2025
    /// (DOMAIN §0); civil-status ones by the commune. The report must show them as they were.
    /// </summary>
    private const string District = "MOTCUA-HUYEN-BINHSON";

    private const string DistrictName = "Bộ phận Một cửa huyện Bình Sơn";

    /// <summary>Tuesdays of 2023 away from holidays: receipt days.</summary>
    private static readonly DateOnly[] Days =
    [
        new(2023, 3, 7), new(2023, 3, 14), new(2023, 3, 21), new(2023, 3, 28), new(2023, 4, 4), new(2023, 4, 11), new(2023, 4, 18),
        new(2023, 5, 9), new(2023, 5, 16), new(2023, 5, 23), new(2023, 5, 30), new(2023, 6, 6), new(2023, 6, 13), new(2023, 6, 20), new(2023, 6, 27),
    ];

    /// <summary>How one generated dossier ends, known from the way it was written.</summary>
    private sealed record Expected(string Field, string Channel, DateTime Received, DateTime? Ready, string? Verdict, DateTime? Stopped, string? StopKind, bool OverdueIfRunning);

    private static string At(DateOnly day, int hour, int minute = 0, bool offset = true) =>
        day.ToDateTime(new TimeOnly(hour, minute)).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + (offset ? "+07:00" : string.Empty);

    private static DateTime Utc(DateOnly day, int hour, int minute = 0) => day.ToDateTime(new TimeOnly(hour, minute)).AddHours(-7);

    private static object Step(DateOnly day, int hour, string step, string outcome, object? data = null, bool offset = true) =>
        new { at = At(day, hour, 0, offset), actor = "legacy.user", step, outcome, comment = $"{step}: {outcome}", data };

    private static object Act(DateOnly day, int hour, string act, string reason) => new { at = At(day, hour), actor = "legacy.leader", act, reason };

    /// <summary>The history file and, per line, what the report must make of it.</summary>
    private static (string File, List<Expected> Expected) History()
    {
        var lines = new List<string> { JsonSerializer.Serialize(new { format = "processserver-history", version = 1, source = "Một cửa điện tử 2019" }) };
        var expected = new List<Expected>();
        var n = 0;
        var noObligation = new { hasFinancialObligation = false };
        foreach (var d in Days)
        {
            var landOverdue = d <= new DateOnly(2023, 5, 30);
            for (var copy = 0; copy < 2; copy++)
            {
                for (var kind = 1; kind <= 9; kind++)
                {
                    var channel = Channels[(kind + copy) % 3];
                    var (procedure, field, events, outcome) = kind switch
                    {
                        1 => ("birth-registration", "civil-status", new[] { Step(d, 10, "register", "Done"), Step(d, 14, "sign", "Done"), Step(d, 16, "returnResult", "Done") },
                            new Expected("civil-status", channel, Utc(d, 8, 30), Utc(d, 14), "OnTime", null, null, true)),
                        2 => ("birth-registration", "civil-status", new[] { Step(d.AddDays(7), 9, "register", "Done"), Step(d.AddDays(7), 10, "sign", "Done"), Step(d.AddDays(7), 11, "returnResult", "Done") },
                            new Expected("civil-status", channel, Utc(d, 8, 30), Utc(d.AddDays(7), 10), "Late", null, null, true)),
                        3 => ("land-first-certificate", "land", Land(d, d.AddDays(2), d.AddDays(3), noObligation),
                            new Expected("land", channel, Utc(d, 8, 30), Utc(d.AddDays(3), 9), "Early", null, null, landOverdue)),
                        4 => ("land-first-certificate", "land", Land(d, d.AddDays(63), d.AddDays(70), noObligation),
                            new Expected("land", channel, Utc(d, 8, 30), Utc(d.AddDays(70), 9), "Late", null, null, landOverdue)),
                        5 => ("birth-residence-insurance", "civil-status", new[]
                            {
                                Step(d, 10, "registerBirth", "Done"), Step(d.AddDays(1), 9, "residence", "Done", offset: false), Step(d.AddDays(1), 10, "insurance", "Done"),
                                Step(d.AddDays(2), 9, "returnResult", "Done"),
                            }, new Expected("civil-status", channel, Utc(d, 8, 30), Utc(d.AddDays(1), 10), "Early", null, null, false)),
                        6 => ("land-first-certificate", "land", new[]
                            {
                                Step(d, 10, "check", "Done"), Act(d.AddDays(1), 9, "requestWithdrawal", "Đơn xin rút hồ sơ"), Act(d.AddDays(2), 9, "acceptWithdrawal", "Đồng ý cho rút"),
                            }, new Expected("land", channel, Utc(d, 8, 30), null, null, Utc(d.AddDays(2), 9), "Withdrawn", landOverdue)),
                        7 => ("birth-registration", "civil-status", new[] { Step(d, 10, "register", "Reject") },
                            new Expected("civil-status", channel, Utc(d, 8, 30), null, null, Utc(d, 10), "Returned", true)),
                        8 => ("land-first-certificate", "land", new[] { Step(d, 10, "check", "Done"), Act(d.AddDays(3), 9, "returnWithoutResolution", "Không đủ điều kiện") },
                            new Expected("land", channel, Utc(d, 8, 30), null, null, Utc(d.AddDays(3), 9), "Returned", landOverdue)),
                        _ => ("land-first-certificate", "land", new[] { Step(d, 10, "check", "Done") },
                            new Expected("land", channel, Utc(d, 8, 30), null, null, null, null, landOverdue)),
                    };
                    n++;
                    lines.Add(JsonSerializer.Serialize(new
                    {
                        @ref = $"BS-2023-{n:000000}",
                        procedure,
                        version = 1,
                        unit = field == "land" ? District : "HCC-BINHSON",
                        channel,
                        applicant = new { @ref = $"CD-{n:00000}", name = $"Người nộp {n}" },
                        receivedAt = At(d, 8, 30),
                        receivedBy = "legacy.counter",
                        events,
                    }));
                    expected.Add(outcome);
                }
            }
        }

        // Two lines that cannot be imported: broken JSON, and a step outcome the procedure does not allow.
        lines.Insert(11, "{\"ref\": \"BS-2023-BROKEN\", \"procedure\": ");
        lines.Insert(41, JsonSerializer.Serialize(new
        {
            @ref = "BS-2023-BADSTEP", procedure = "birth-registration", version = 1, unit = "HCC-BINHSON", channel = "direct",
            applicant = new { @ref = "CD-BAD" }, receivedAt = At(Days[0], 8, 30),
            events = new[] { Step(Days[0], 10, "register", "Approve") },
        }));
        return (string.Join('\n', lines) + "\n", expected);
    }

    private static object[] Land(DateOnly d, DateOnly sign, DateOnly ready, object data) =>
    [
        Step(d, 10, "check", "Done"), Step(d.AddDays(1), 9, "communeConfirm", "Done"), Step(d.AddDays(1), 10, "taxNotice", "Done", data),
        Step(d.AddDays(2), 9, "prepare", "Done"), Step(sign, 14, "sign", "Done"), Step(ready, 9, "updateRecords", "Done"), Step(ready, 15, "returnResult", "Done"),
    ];

    private async Task<JsonObject> ImportAsync(string file, bool dryRun)
    {
        using var admin = App.ClientFor(Keys.Admin);
        var started = await admin.PostAsync($"/api/imports?dryRun={(dryRun ? "true" : "false")}&fileName=binhson-2023.jsonl",
            new StringContent(file, Encoding.UTF8, "application/x-ndjson"));
        var body = await started.Content.ReadAsStringAsync();
        started.StatusCode.Should().Be(HttpStatusCode.Accepted, body);
        var id = JsonNode.Parse(body)!["id"]!.GetValue<string>();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var run = JsonNode.Parse(await admin.GetStringAsync($"/api/imports/{id}"))!.AsObject();
            if (run["status"]!.GetValue<string>() is "Completed" or "Failed" || DateTime.UtcNow > deadline)
            {
                run["status"]!.GetValue<string>().Should().Be("Completed", run.ToJsonString());
                return run;
            }

            await Task.Delay(50);
        }
    }

    private async Task<Dictionary<string, Dictionary<string, string>>> ReportAsync()
    {
        using var reporter = App.ClientFor(Keys.Reporter);
        var csv = await reporter.GetStringAsync($"/api/reports/period.csv?from={From:yyyy-MM-dd}&to={To:yyyy-MM-dd}");
        var rows = csv.TrimStart('\uFEFF').Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r').Split(',')).ToList();
        var kind = Array.IndexOf(rows[0], "Kind");
        return rows.Skip(1).ToDictionary(r => r[kind] == "Field" ? $"{r[2]}/{r[4]}" : $"{r[kind]}:{r[1]}:{r[2]}", r => rows[0].Zip(r).ToDictionary(p => p.First, p => p.Second));
    }

    /// <summary>The report's figures for one field, derived from the history as written.</summary>
    private static Dictionary<string, int> Figures(IEnumerable<Expected> dossiers)
    {
        var start = From.ToDateTime(TimeOnly.MinValue).AddHours(-7);
        var cutOff = To.AddDays(1).ToDateTime(TimeOnly.MinValue).AddHours(-7);
        var f = new Dictionary<string, int>();
        void Add(string column) => f[column] = f.GetValueOrDefault(column) + 1;
        foreach (var x in dossiers)
        {
            var end = x.Ready ?? x.Stopped;
            if (x.Received >= start && x.Received < cutOff)
            {
                Add(x.Channel == "online" ? "NewOnline" : x.Channel == "postal" ? "NewPostal" : "NewDirect");
            }
            else if (x.Received < start && (end is null || end >= start))
            {
                Add("CarriedOver");
            }

            if (x.Received >= cutOff)
            {
                continue;
            }

            if (x.Ready >= start && x.Ready < cutOff)
            {
                Add(x.Verdict!);
            }
            else if (x.Stopped >= start && x.Stopped < cutOff)
            {
                Add(x.StopKind == "Withdrawn" ? "Withdrawn" : "ReturnedWithoutResolution");
            }
            else if (end is null || end >= cutOff)
            {
                Add(x.OverdueIfRunning ? "Overdue" : "WithinLimit");
            }
        }

        return f;
    }

    [Fact]
    public async Task A_province_loads_its_2023_history_and_the_period_report_equals_the_figures_of_the_history_itself()
    {
        // The 2023 holidays, in one call, before the history that needs them.
        using var admin = App.ClientFor(Keys.Admin);
        string[] tet = ["2023-01-02", "2023-01-20", "2023-01-23", "2023-01-24", "2023-01-25", "2023-01-26", "2023-05-01", "2023-05-02", "2023-05-03", "2023-09-01", "2023-09-04"];
        var loaded = await admin.PostAsJsonAsync("/api/calendar/days", new
        {
            daysOff = tet.Select(day => new { date = day, name = "Nghỉ lễ 2023" }),
            comment = "Thông báo nghỉ lễ năm 2023",
        });
        var calendar = JsonNode.Parse(await loaded.Content.ReadAsStringAsync())!;
        loaded.StatusCode.Should().Be(HttpStatusCode.OK, calendar.ToJsonString());
        calendar["version"]!.GetValue<int>().Should().Be(2, "the whole year is one new calendar version");
        calendar["calendar"]!.ToJsonString().Should().Contain("2023-01-23").And.Contain("2023-09-04");
        var badDay = await admin.PostAsJsonAsync("/api/calendar/days", new { daysOff = new[] { new { date = "2023-13-01" } } });
        badDay.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await badDay.Content.ReadAsStringAsync()).Should().Contain("daysOff[0].date");

        // The district unit of the time, as data: retired on 1 July 2025.
        var district = await admin.PutAsJsonAsync($"/api/units/{District}", new { name = DistrictName, level = "district", validTo = "2025-07-01T00:00:00+07:00" });
        district.StatusCode.Should().Be(HttpStatusCode.OK, await district.Content.ReadAsStringAsync());

        var (file, expected) = History();
        expected.Should().HaveCount(270);

        // Dry run: per line what would happen; nothing stored.
        var dry = await ImportAsync(file, dryRun: true);
        (dry["created"]!.GetValue<int>(), dry["refused"]!.GetValue<int>(), dry["totalLines"]!.GetValue<int>()).Should().Be((270, 2, 272));
        await using (var store = App.OpenStore())
        {
            (await store.Dossiers.CountAsync()).Should().Be(0, "a dry run stores no dossier");
        }

        var wouldCreate = JsonNode.Parse(await admin.GetStringAsync($"/api/imports/{dry["id"]}/lines?outcome=WouldCreate&pageSize=3"))!;
        wouldCreate["totalCount"]!.GetValue<int>().Should().Be(270);
        wouldCreate["items"]![0]!["detail"]!.GetValue<string>().Should().StartWith("would create: Returned (national 10), OnTime");

        // The real run.
        var run = await ImportAsync(file, dryRun: false);
        (run["created"]!.GetValue<int>(), run["unchanged"]!.GetValue<int>(), run["refused"]!.GetValue<int>(), run["percent"]!.GetValue<double>())
            .Should().Be((270, 0, 2, 100));
        var refused = run["firstRefused"]!.AsArray();
        refused.Select(r => r!["line"]!.GetValue<int>()).Should().Equal(12, 42);
        refused[0]!["detail"]!.GetValue<string>().Should().StartWith("line 12: not a valid dossier object");
        refused[1]!["detail"]!.GetValue<string>().Should().Contain("line 42").And.Contain("event 1").And.Contain("'Approve' is not allowed");

        await using (var store = App.OpenStore())
        {
            (await store.Dossiers.CountAsync()).Should().Be(270);
            (await store.ImportedDossiers.AnyAsync(i => i.SourceRef == "BS-2023-BADSTEP" || i.SourceRef == "BS-2023-BROKEN")).Should().BeFalse();
            (await store.Journal.CountAsync(j => j.EntryMode != "Imported")).Should().Be(0);
            (await store.Journal.Where(j => j.Actor == "legacy.user").Select(j => j.RecordedBy).Distinct().ToListAsync()).Should().Equal("admin");
            (await store.Journal.Where(j => j.Actor == "legacy.user").Select(j => j.ActorId).Distinct().ToListAsync()).Should().ContainSingle()
                .Which.Should().Be("legacy:legacy.user", "who acted is the legacy system's user, never the administrator who imported");
        }

        // One imported dossier as a live run would have left it: times, verdict, journal.
        var first = JsonNode.Parse(await admin.GetStringAsync($"/api/imports/{run["id"]}/lines?outcome=Created&pageSize=1"))!["items"]![0]!;
        var dossier = await ClerkApi.GetAsync(App, first["dossierId"]!.GetValue<string>());
        dossier["receiptCode"]!.GetValue<string>().Should().StartWith("HCC-BINHSON-230307-");
        dossier["receivedAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(Days[0], 8, 30));
        (ClerkApi.National(dossier), dossier["time"]!["verdict"]!.GetValue<string>()).Should().Be((10, "OnTime"));
        dossier["time"]!["appointmentAt"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(Utc(Days[0], 17), "same-day procedure received 08:30 on Tuesday 7 March 2023");
        var steps = dossier["journal"]!.AsArray().Where(j => j!["type"]!.GetValue<string>() == "TaskCompleted").ToList();
        steps.Select(j => (j!["activityId"]!.GetValue<string>(), j["actor"]!.GetValue<string>(), j["timestamp"]!.GetValue<DateTime>().ToUniversalTime()))
            .Should().Equal(("register", "legacy.user", Utc(Days[0], 10)), ("sign", "legacy.user", Utc(Days[0], 14)), ("returnResult", "legacy.user", Utc(Days[0], 16)));
        dossier["journal"]![0]!["actor"]!.GetValue<string>().Should().Be("legacy.counter");

        // The report for the second quarter equals the figures the history itself gives.
        var report = await ReportAsync();
        string[] columns = ["NewOnline", "NewDirect", "NewPostal", "CarriedOver", "Early", "OnTime", "Late", "WithinLimit", "Overdue", "Withdrawn", "ReturnedWithoutResolution"];
        foreach (var (unit, field, level) in new[] { (District, "land", "district"), ("HCC-BINHSON", "civil-status", "commune") })
        {
            var want = Figures(expected.Where(e => e.Field == field));
            foreach (var row in new[] { report[$"{unit}/{field}"], report[$"Unit:{level}:{unit}"], report[$"Level:{level}:"] })
            {
                foreach (var column in columns)
                {
                    int.Parse(row[column], CultureInfo.InvariantCulture).Should().Be(want.GetValueOrDefault(column), $"{row["Kind"]} {unit} {field} {column}");
                }

                row["Balanced"].Should().Be("true");
            }
        }

        // Labelled with the unit as it was then, grouped under the historical district level.
        report[$"{District}/land"]["UnitName"].Should().Be(DistrictName);
        report[$"{District}/land"]["Level"].Should().Be("district");
        report.Values.Select(r => r["Kind"] + ":" + r["Level"]).Distinct().Should().Equal(
            "Level:district", "Unit:district", "Field:district", "Level:commune", "Unit:commune", "Field:commune", "Total:");
        report[$"{District}/land"]["Withdrawn"].Should().NotBe("0", "the generated history has withdrawals in the quarter");
        report[$"{District}/land"]["ReturnedWithoutResolution"].Should().NotBe("0");
        report[$"{District}/land"]["Overdue"].Should().NotBe("0");
        report["HCC-BINHSON/civil-status"]["Late"].Should().NotBe("0");

        // A re-run changes nothing: every line is unchanged (the two bad ones refused again), the store and the report as they were.
        int dossiers, journal;
        await using (var store = App.OpenStore())
        {
            (dossiers, journal) = (await store.Dossiers.CountAsync(), await store.Journal.CountAsync());
        }

        var again = await ImportAsync(file, dryRun: false);
        (again["created"]!.GetValue<int>(), again["unchanged"]!.GetValue<int>(), again["refused"]!.GetValue<int>()).Should().Be((0, 270, 2));
        await using (var store = App.OpenStore())
        {
            (await store.Dossiers.CountAsync(), await store.Journal.CountAsync()).Should().Be((dossiers, journal));
        }

        (await ReportAsync()).Should().BeEquivalentTo(report);
    }

    [Fact]
    public async Task A_file_without_the_format_header_is_refused_at_once()
    {
        using var admin = App.ClientFor(Keys.Admin);
        var response = await admin.PostAsync("/api/imports", new StringContent("{\"ref\":\"x\"}\n", Encoding.UTF8, "application/x-ndjson"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("processserver-history");
        (await App.ClientFor(Keys.Counter).PostAsync("/api/imports", new StringContent("x"))).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
