using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.OData.Tests.Support;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>
/// What the feed gained by running on Microsoft.AspNetCore.OData ($expand, lambda operators, $compute,
/// $batch, ETags), and what is kept on top of it ($apply over computed rows, sums and extremes of
/// instants, long or-chains, one "overdue"), each checked against the stored rows.
/// </summary>
[Collection(FeedGroup.Name)]
public sealed class LibraryFeatureTests(FeedFixture feed)
{
    [Fact]
    public async Task Expand_brings_each_dossiers_steps_and_each_steps_dossier()
    {
        using var db = feed.Server.OpenStore();
        var tasks = (await db.Tasks.AsNoTracking().ToListAsync()).ToLookup(t => t.DossierId);
        var rows = await AllAsync(feed.Server, "Dossiers?$select=Id&$expand=" + Uri.EscapeDataString("Steps($select=Id,Status;$orderby=StartedAt)") + "&$top=60", pageSize: 25);
        rows.Should().HaveCount(60);
        foreach (var row in rows)
        {
            var steps = row["Steps"]!.AsArray().Select(s => Text(s!.AsObject(), "Id")).ToList();
            steps.Should().BeEquivalentTo(tasks[Text(row, "Id")].Select(t => t.Id), Text(row, "Id"));
            steps.Should().NotBeEmpty();
        }

        var dossiers = (await db.Dossiers.AsNoTracking().ToListAsync()).ToDictionary(d => d.Id);
        var step = await GetAsync(feed.Server, "Steps?$top=30&$select=Id,DossierId&$expand=" + Uri.EscapeDataString("Dossier($select=ReceiptCode,UnitCode)"));
        foreach (var s in step["value"]!.AsArray().Select(s => s!.AsObject()))
        {
            var dossier = dossiers[Text(s, "DossierId")];
            Text(s["Dossier"]!.AsObject(), "ReceiptCode").Should().Be(dossier.ReceiptCode);
            Text(s["Dossier"]!.AsObject(), "UnitCode").Should().Be(dossier.ReceivingUnit);
        }

        step["@odata.context"]!.GetValue<string>().Should().Contain("Dossier(");
    }

    [Fact]
    public async Task Any_and_all_over_a_dossiers_steps_select_the_rows_the_store_says()
    {
        using var db = feed.Server.OpenStore();
        var tasks = (await db.Tasks.AsNoTracking().ToListAsync()).ToLookup(t => t.DossierId);
        var ids = await db.Dossiers.AsNoTracking().Select(d => d.Id).ToListAsync();
        var any = (await AllAsync(feed.Server, "Dossiers?$select=Id&$filter=" + Uri.EscapeDataString("Steps/any(s: s/Verdict eq 'Late')"), pageSize: 50))
            .Select(r => Text(r, "Id")).ToList();
        any.Should().BeEquivalentTo(ids.Where(id => tasks[id].Any(t => t.Verdict == "Late"))).And.NotBeEmpty();
        any.Count.Should().BeLessThan(ids.Count);
        var all = (await AllAsync(feed.Server, "Dossiers?$select=Id&$filter=" + Uri.EscapeDataString("Steps/all(s: s/Status eq 'Completed')"), pageSize: 50))
            .Select(r => Text(r, "Id")).ToList();
        all.Should().BeEquivalentTo(ids.Where(id => tasks[id].All(t => t.Status == "Completed"))).And.NotBeEmpty();
        all.Count.Should().BeLessThan(ids.Count);
    }

    [Fact]
    public async Task Compute_adds_a_column_that_select_filter_and_orderby_can_use()
    {
        using var db = feed.Server.OpenStore();
        var stored = await db.Dossiers.AsNoTracking().ToListAsync();
        var rows = await AllAsync(feed.Server, "Dossiers?$compute=" + Uri.EscapeDataString("SupplementRequests mul 10 add ProcedureVersion as Score")
            + "&$select=Id,Score&$filter=Score gt 10&$orderby=Score desc", pageSize: 40);
        rows.Select(r => Text(r, "Id")).Should().BeEquivalentTo(stored.Where(d => d.SupplementRequests * 10 + d.DefinitionVersion > 10).Select(d => d.Id));
        rows.Should().NotBeEmpty();
        rows.Select(r => Number(r, "Score")).Should().BeInDescendingOrder();
        foreach (var row in rows)
        {
            var d = stored.Single(s => s.Id == Text(row, "Id"));
            Number(row, "Score").Should().Be(d.SupplementRequests * 10 + d.DefinitionVersion);
        }
    }

    [Fact]
    public async Task A_batch_answers_each_part_as_the_same_request_alone_would()
    {
        using var http = feed.Server.ClientFor(Keys.Reporter);
        var batch = new JsonObject
        {
            ["requests"] = new JsonArray(
                new JsonObject { ["id"] = "1", ["method"] = "GET", ["url"] = feed.Server.Root + "Units?$select=Code&$orderby=Code" },
                new JsonObject { ["id"] = "2", ["method"] = "GET", ["url"] = feed.Server.Root + "Dossiers?$filter=Channel eq 'postal'&$select=Id&$count=true&$top=3" },
                new JsonObject { ["id"] = "3", ["method"] = "GET", ["url"] = feed.Server.Root + "Nope" }),
        };
        using var content = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/odata/v1/$batch", content);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        var parts = JsonNode.Parse(body)!["responses"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!.AsObject());
        parts["1"]["status"]!.GetValue<int>().Should().Be(200);
        parts["1"]["body"]!["value"]!.AsArray().Select(u => u!["Code"]!.GetValue<string>())
            .Should().Equal((await AllAsync(feed.Server, "Units?$select=Code&$orderby=Code")).Select(u => Text(u, "Code")));
        parts["2"]["status"]!.GetValue<int>().Should().Be(200);
        using var db = feed.Server.OpenStore();
        parts["2"]["body"]!["@odata.count"]!.GetValue<long>().Should().Be(await db.Dossiers.CountAsync(d => d.Channel == "postal"));
        parts["2"]["body"]!["value"]!.AsArray().Should().HaveCount(3);
        parts["3"]["status"]!.GetValue<int>().Should().Be(404);

        // Each part is checked like a request of its own: a clerk key gets 403 inside the batch.
        using var clerk = feed.Server.ClientFor(Keys.Counter);
        using var again = new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json");
        var refused = JsonNode.Parse(await (await clerk.PostAsync("/odata/v1/$batch", again)).Content.ReadAsStringAsync())!["responses"]!.AsArray();
        refused.Should().OnlyContain(r => r!["status"]!.GetValue<int>() == 403);
    }

    [Fact]
    public async Task Dossiers_carry_an_etag_and_a_matching_If_None_Match_answers_304()
    {
        var page = await GetAsync(feed.Server, "Dossiers?$top=3&$select=Id,Status");
        foreach (var row in page["value"]!.AsArray())
        {
            row!["@odata.etag"]!.GetValue<string>().Should().StartWith("W/\"");
        }

        var id = Text(page["value"]![0]!.AsObject(), "Id");
        var (status, body, response) = await RawAsync(feed.Server, $"Dossiers('{id}')");
        status.Should().Be(HttpStatusCode.OK, body);
        var etag = response.Headers.ETag!;
        JsonNode.Parse(body)!["@odata.etag"]!.GetValue<string>().Should().Be(etag.ToString());
        (await RawAsync(feed.Server, $"Dossiers('{id}')", configure: r => r.Headers.IfNoneMatch.Add(etag))).Status.Should().Be(HttpStatusCode.NotModified);
        (await RawAsync(feed.Server, $"Dossiers('{id}')", configure: r => r.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"bnVsbA==\"", true))))
            .Status.Should().Be(HttpStatusCode.OK, "a stale etag gets the entity");
    }

    [Fact]
    public async Task Overdue_is_one_count_in_Dossiers_DossierStats_the_period_report_and_the_journal()
    {
        // The fixture's clock stands on 10 April 2026, 16:00 local: the report for a period ending
        // today is judged now, like the sets.
        var now = feed.Clock.GetUtcNow().UtcDateTime;
        var dossiers = long.Parse((await RawAsync(feed.Server, "Dossiers/$count?$filter=IsOverdue eq true")).Body, System.Globalization.CultureInfo.InvariantCulture);
        var limitStatus = long.Parse((await RawAsync(feed.Server, "Dossiers/$count?$filter=LimitStatus eq 'Overdue'")).Body, System.Globalization.CultureInfo.InvariantCulture);
        var stats = (await AllAsync(feed.Server, "DossierStats")).Sum(r => Number(r, "Overdue"));
        var report = (await AllAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-04-10")).Sum(r => Number(r, "Overdue"));
        var reportFunction = (await AllAsync(feed.Server, "PeriodReportFor(From=2026-01-01,To=2026-04-10)")).Sum(r => Number(r, "Overdue"));

        using var db = feed.Server.OpenStore();
        var journal = (await db.Journal.AsNoTracking().ToListAsync()).ToLookup(j => j.DossierId);
        var expected = (await db.Dossiers.AsNoTracking().ToListAsync()).Count(d =>
        {
            var events = journal[d.Id].OrderBy(j => j.Sequence).ToList();
            var running = !events.Any(j => j.Type is "ResultReady" or "DossierStopped");
            var clock = events.LastOrDefault(j => j.Type is "ClockPaused" or "ClockResumed");
            var due = clock is null ? d.AppointmentAt : JsonNode.Parse(clock.DataJson!)!["dueAt"]!.GetValue<DateTime>().ToUniversalTime();
            return running && clock?.Type != "ClockPaused" && due < now;
        });

        expected.Should().BeGreaterThan(0, "the fixture leaves dossiers stalled past their due date");
        dossiers.Should().Be(expected);
        limitStatus.Should().Be(expected);
        stats.Should().Be(expected);
        report.Should().Be(expected);
        reportFunction.Should().Be(expected);

        var steps = long.Parse((await RawAsync(feed.Server, "Steps/$count?$filter=IsOverdue eq true")).Body, System.Globalization.CultureInfo.InvariantCulture);
        var stepStats = (await AllAsync(feed.Server, "StepStats")).Sum(r => Number(r, "Overdue"));
        var stored = await db.Tasks.AsNoTracking().Where(t => t.Status == "Pending" && t.DueAt != null).Select(t => t.DueAt).ToListAsync();
        steps.Should().Be(stored.Count(due => due < now)).And.Be(stepStats);
    }

    [Fact]
    public async Task Apply_groups_the_period_report_rows_and_the_units()
    {
        var rows = await AllAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-03-31");
        var grouped = await AllAsync(feed.Server, "PeriodReport?from=2026-01-01&to=2026-03-31&$apply=" + Uri.EscapeDataString("groupby((UnitCode),aggregate(Received with sum as Received,Overdue with sum as Overdue))"));
        grouped.Should().HaveCount(rows.Select(r => Text(r, "UnitCode")).Distinct().Count()).And.HaveCountGreaterThan(1);
        foreach (var g in grouped)
        {
            var unit = rows.Where(r => Text(r, "UnitCode") == Text(g, "UnitCode")).ToList();
            g["Received"]!.GetValue<long>().Should().Be(unit.Sum(r => Number(r, "Received")));
            g["Overdue"]!.GetValue<long>().Should().Be(unit.Sum(r => Number(r, "Overdue")));
        }

        var function = await AllAsync(feed.Server, "PeriodReportFor(From=2026-01-01,To=2026-03-31)?$apply=" + Uri.EscapeDataString("aggregate(Received with sum as Received)"));
        function.Single()["Received"]!.GetValue<long>().Should().Be(rows.Sum(r => Number(r, "Received")));

        var levels = await AllAsync(feed.Server, "Units?$apply=" + Uri.EscapeDataString("groupby((Level),aggregate($count as Units))"));
        var units = await AllAsync(feed.Server, "Units");
        levels.ToDictionary(l => Text(l, "Level"), l => l["Units"]!.GetValue<long>())
            .Should().BeEquivalentTo(units.GroupBy(u => Text(u, "Level")).ToDictionary(g => g.Key, g => (long)g.Count()));
    }

    [Fact]
    public async Task An_aggregate_over_no_rows_is_one_row_with_counts_of_zero_and_sums_of_null_not_an_empty_feed()
    {
        // "How many overdue land dossiers this month": a filter that matches nothing still answers
        // one row, as OData's aggregation extension says and as SQL's aggregate without GROUP BY does.
        using var db = feed.Server.OpenStore();
        (await db.Tasks.CountAsync(t => t.TimeLimitDays == -1)).Should().Be(0);
        var none = await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString(
            "filter(TimeLimitDays eq -1)/aggregate($count as N,TimeLimitDays with sum as Limit,TimeLimitDays with max as Longest,ActivityId with countdistinct as Kinds)"));
        var rows = none["value"]!.AsArray();
        rows.Should().HaveCount(1, none.ToJsonString());
        var row = rows[0]!.AsObject();
        row["N"]!.GetValue<long>().Should().Be(0);
        row["Kinds"]!.GetValue<long>().Should().Be(0);
        row.Should().ContainKey("Limit").WhoseValue.Should().BeNull("the sum of no values is null");
        row.Should().ContainKey("Longest").WhoseValue.Should().BeNull("no values have no maximum");
        var counted = await GetAsync(feed.Server, "Steps?$count=true&$apply=" + Uri.EscapeDataString("filter(TimeLimitDays eq -1)/aggregate($count as N)"));
        counted["@odata.count"]!.GetValue<long>().Should().Be(1, "the count of rows matches the one row served");
        counted["value"]!.AsArray().Single()!["N"]!.GetValue<long>().Should().Be(0);

        // The least and the mean of a column that is never null, over nothing, are null too.
        var least = await GetAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString(
            "filter(SupplementRequests eq -1)/aggregate(SupplementRequests with min as M,SupplementRequests with average as A,$count as N)"));
        var leastRow = least["value"]!.AsArray().Should().ContainSingle().Subject!.AsObject();
        leastRow["N"]!.GetValue<long>().Should().Be(0);
        leastRow.Should().ContainKey("M").WhoseValue.Should().BeNull();
        leastRow.Should().ContainKey("A").WhoseValue.Should().BeNull();

        // Grouped, no rows means no groups; and a filter after the aggregate may still drop its row.
        (await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString("filter(TimeLimitDays eq -1)/groupby((ActivityId),aggregate($count as N))")))["value"]!
            .AsArray().Should().BeEmpty();
        (await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString("filter(TimeLimitDays eq -1)/aggregate($count as N)/filter(N gt 0)")))["value"]!
            .AsArray().Should().BeEmpty();

        // With rows, the same aggregate as before.
        var some = await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString("aggregate($count as N)"));
        some["value"]!.AsArray().Single()!["N"]!.GetValue<long>().Should().Be(await db.Tasks.CountAsync());
    }

    [Fact]
    public async Task A_sum_keeps_its_property_name_and_a_sum_over_only_nulls_is_null()
    {
        using var db = feed.Server.OpenStore();
        var total = await GetAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString("aggregate(SupplementRequests with sum as SupplementRequests)"));
        total["value"]![0]!["SupplementRequests"]!.GetValue<long>().Should().Be(await db.Dossiers.SumAsync(d => d.SupplementRequests));

        var nulls = await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString("filter(TimeLimitDays eq null)/aggregate(TimeLimitDays with sum as Limit,$count as N)"));
        var row = nulls["value"]![0]!.AsObject();
        row["N"]!.GetValue<long>().Should().Be(await db.Tasks.CountAsync(t => t.TimeLimitDays == null)).And.BeGreaterThan(0);
        row["Limit"].Should().BeNull("the sum of no values is null, not 0");

        var some = await GetAsync(feed.Server, "Steps?$apply=" + Uri.EscapeDataString("aggregate(TimeLimitDays with sum as Limit)"));
        some["value"]![0]!["Limit"]!.GetValue<double>().Should().BeApproximately((double)(await db.Tasks.Where(t => t.TimeLimitDays != null).Select(t => t.TimeLimitDays!.Value).ToListAsync()).Sum(), 1e-6);
    }

    [Theory]
    [InlineData("PeriodReport?from=2026-01-01&to=2026-03-31&$apply=aggregate(CutOff with max as Received)")]
    [InlineData("Dossiers?$apply=groupby((UnitCode),aggregate(ReceivedAt with max as Channel))")]
    [InlineData("Dossiers?$apply=aggregate(SupplementRequests with average as SupplementRequests)")]
    public async Task An_aggregate_alias_that_names_a_property_of_another_type_is_refused_with_a_400_before_any_row_is_written(string query)
    {
        // OData Aggregation §3.1.1: an alias must not collide with a declared property. The library refuses
        // one of another type; the answer must be a whole OData error, not a page cut off mid-body.
        var (status, body, _) = await RawAsync(feed.Server, query);

        status.Should().Be(HttpStatusCode.BadRequest, body);
        var error = JsonNode.Parse(body)!["error"]!;
        error["code"]!.GetValue<string>().Should().NotBeNullOrEmpty();
        error["message"]!.GetValue<string>().Should().Contain("incompatible primitive type");
    }

    [Fact]
    public async Task A_client_that_accepts_gzip_gets_the_page_compressed_and_the_same_rows()
    {
        using var raw = new HttpClient(new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None }) { BaseAddress = new Uri($"http://127.0.0.1:{feed.Server.Port}") };
        raw.DefaultRequestHeaders.Add("X-Api-Key", Keys.Reporter);
        using var plain = await raw.GetAsync("/odata/v1/Dossiers?$top=200");
        var identity = await plain.Content.ReadAsByteArrayAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/odata/v1/Dossiers?$top=200");
        request.Headers.AcceptEncoding.ParseAdd("gzip");

        using var compressed = await raw.SendAsync(request);
        var bytes = await compressed.Content.ReadAsByteArrayAsync();

        compressed.StatusCode.Should().Be(HttpStatusCode.OK);
        compressed.Content.Headers.ContentEncoding.Should().Equal("gzip");
        plain.Content.Headers.ContentEncoding.Should().BeEmpty();
        bytes.Length.Should().BeLessThan(identity.Length / 3, "JSON rows compress well");
        using var unzip = new System.IO.Compression.GZipStream(new MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
        using var text = new MemoryStream();
        await unzip.CopyToAsync(text);
        JsonNode.Parse(text.ToArray())!["value"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>())
            .Should().Equal(JsonNode.Parse(identity)!["value"]!.AsArray().Select(r => r!["Id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Min_and_max_of_instants_in_apply_return_their_values()
    {
        using var db = feed.Server.OpenStore();
        var stored = await db.Dossiers.AsNoTracking().ToListAsync();
        var (status, body, _) = await RawAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString("groupby((UnitCode),aggregate(ReceivedAt with min as First,ReceivedAt with max as Last,ResultReadyAt with max as LastResult))"));
        status.Should().Be(HttpStatusCode.OK, body);
        var rows = JsonNode.Parse(body)!["value"]!.AsArray().Select(r => r!.AsObject()).ToList();
        rows.Should().HaveCount(stored.Select(d => d.ReceivingUnit).Distinct().Count());
        foreach (var row in rows)
        {
            var unit = stored.Where(d => d.ReceivingUnit == Text(row, "UnitCode")).ToList();
            Text(row, "First").Should().EndWith("Z");
            row["First"]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(DateTime.SpecifyKind(unit.Min(d => d.ReceivedAt), DateTimeKind.Utc)));
            row["Last"]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(DateTime.SpecifyKind(unit.Max(d => d.ReceivedAt), DateTimeKind.Utc)));
            row["LastResult"]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(DateTime.SpecifyKind(unit.Max(d => d.ResultReadyAt)!.Value, DateTimeKind.Utc)));
        }
    }

    [Fact]
    public async Task Expressions_the_hand_written_binder_refused_are_answered_with_the_right_rows()
    {
        // The library orders booleans (false < true) and evaluates compute() inside $apply.
        using var db = feed.Server.OpenStore();
        var withApology = await AllAsync(feed.Server, "Dossiers?$select=Id&$filter=" + Uri.EscapeDataString("HasApology gt false"));
        withApology.Select(r => Text(r, "Id")).Should().BeEquivalentTo(await db.Dossiers.Where(d => d.ApologyDueAt != null).Select(d => d.Id).ToListAsync()).And.NotBeEmpty();

        var stored = await db.Dossiers.AsNoTracking().ToDictionaryAsync(d => d.Id);
        var computed = await AllAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString("compute(SupplementRequests mul 2 as Twice)"));
        computed.Should().HaveCount(stored.Count);
        foreach (var row in computed)
        {
            Number(row, "Twice").Should().Be(stored[Text(row, "Id")].SupplementRequests * 2);
        }
    }

    [Theory]
    [InlineData(25)]
    [InlineData(120)]
    public async Task A_long_or_chain_from_a_Power_BI_slicer_is_accepted(int terms)
    {
        using var db = feed.Server.OpenStore();
        var codes = await db.Dossiers.AsNoTracking().OrderBy(d => d.ReceiptCode).Select(d => d.ReceiptCode).Take(terms - 1).ToListAsync();
        codes.Add("NOT-A-CODE");
        var filter = string.Join(" or ", codes.Select(c => $"ReceiptCode eq '{c}'"));
        var rows = await AllAsync(feed.Server, "Dossiers?$select=ReceiptCode&$filter=" + Uri.EscapeDataString(filter));
        rows.Select(r => Text(r, "ReceiptCode")).Should().BeEquivalentTo(codes.Take(terms - 1));
    }
}
