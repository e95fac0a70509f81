using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.EntityFrameworkCore;
using ProcessServer.OData.Tests.Support;
using ProcessServer.Persistence.Entities;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>
/// Every query option on SQLite, each answer compared with the same question asked of the stored
/// rows in memory, walking server-driven pages small enough to cross many next links.
/// </summary>
[Collection(FeedGroup.Name)]
public sealed class QueryOptionTests(FeedFixture feed)
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");

    private static DateOnly Local(DateTime utc) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(utc, Zone));

    private async Task<List<Dossier>> DossiersAsync()
    {
        using var db = feed.Server.OpenStore();
        return await db.Dossiers.AsNoTracking().ToListAsync();
    }

    private async Task<List<string>> IdsAsync(string query, int pageSize = 23) =>
        (await AllAsync(feed.Server, query, pageSize: pageSize)).Select(r => Text(r, "Id")).ToList();

    public static TheoryData<string> Filters() =>
    [
        "Channel eq 'online' and UnitCode ne 'HCC-TINH'",
        "not (Channel eq 'direct') or Status eq 'Stopped'",
        "UnitCode in ('HCC-TINH','NOWHERE')",
        "Verdict ne null",
        "StoppedAt eq null and ResultReadyAt eq null",
        "contains(ReceiptCode,'-2602')",
        "startswith(ProcedureCode,'birth')",
        "endswith(ReceiptCode,'1')",
        "tolower(UnitCode) eq 'hcc-tinh'",
        "year(ReceivedAt) eq 2026 and month(ReceivedAt) eq 2",
        "ReceivedDate eq 2026-02-02",
        "ReceivedDate ge 2026-02-01 and ReceivedDate lt 2026-03-01",
        "month(ReceivedDate) eq 3 and day(ReceivedDate) le 15",
        "DueDate lt 2026-02-01",
        "ReceivedAt lt 2026-02-01T00:00:00+07:00",
        "ResultReadyAt gt AppointmentAt",
        "SupplementRequests add 1 gt 1",
        "length(ReceiptCode) gt 20",
        "ChannelCode eq 3",
        "HasApology eq true",
        "ReceivedDate in (2026-02-02,2026-03-10)",
        "substring(UnitCode,4,100) eq 'TINH'",
    ];

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task Filters_select_exactly_the_rows_the_stored_data_says(string filter)
    {
        var all = await DossiersAsync();
        Func<Dossier, bool> expected = filter switch
        {
            "Channel eq 'online' and UnitCode ne 'HCC-TINH'" => d => d.Channel == "online" && d.ReceivingUnit != "HCC-TINH",
            "not (Channel eq 'direct') or Status eq 'Stopped'" => d => d.Channel != "direct" || d.Status == "Stopped",
            "UnitCode in ('HCC-TINH','NOWHERE')" => d => d.ReceivingUnit == "HCC-TINH",
            "Verdict ne null" => d => d.Verdict != null,
            "StoppedAt eq null and ResultReadyAt eq null" => d => d.StoppedAt == null && d.ResultReadyAt == null,
            "contains(ReceiptCode,'-2602')" => d => d.ReceiptCode.Contains("-2602", StringComparison.Ordinal),
            "startswith(ProcedureCode,'birth')" => d => d.ProcedureCode.StartsWith("birth", StringComparison.Ordinal),
            "endswith(ReceiptCode,'1')" => d => d.ReceiptCode.EndsWith('1'),
            "tolower(UnitCode) eq 'hcc-tinh'" => d => d.ReceivingUnit == "HCC-TINH",
            "year(ReceivedAt) eq 2026 and month(ReceivedAt) eq 2" => d => d.ReceivedAt.Year == 2026 && d.ReceivedAt.Month == 2,
            "ReceivedDate eq 2026-02-02" => d => Local(d.ReceivedAt) == new DateOnly(2026, 2, 2),
            "ReceivedDate ge 2026-02-01 and ReceivedDate lt 2026-03-01" => d => Local(d.ReceivedAt).Month == 2,
            "month(ReceivedDate) eq 3 and day(ReceivedDate) le 15" => d => Local(d.ReceivedAt).Month == 3 && Local(d.ReceivedAt).Day <= 15,
            "DueDate lt 2026-02-01" => d => d.DueAt is { } due && Local(due) < new DateOnly(2026, 2, 1),
            "ReceivedAt lt 2026-02-01T00:00:00+07:00" => d => d.ReceivedAt < new DateTime(2026, 1, 31, 17, 0, 0, DateTimeKind.Utc),
            "ResultReadyAt gt AppointmentAt" => d => d.ResultReadyAt > d.AppointmentAt,
            "SupplementRequests add 1 gt 1" => d => d.SupplementRequests > 0,
            "length(ReceiptCode) gt 20" => d => d.ReceiptCode.Length > 20,
            "ChannelCode eq 3" => d => d.Channel == "postal",
            "HasApology eq true" => d => d.ApologyDueAt != null,
            "ReceivedDate in (2026-02-02,2026-03-10)" => d => Local(d.ReceivedAt) == new DateOnly(2026, 2, 2) || Local(d.ReceivedAt) == new DateOnly(2026, 3, 10),
            "substring(UnitCode,4,100) eq 'TINH'" => d => d.ReceivingUnit.Length > 4 && d.ReceivingUnit[4..] == "TINH",
            _ => throw new ArgumentOutOfRangeException(nameof(filter)),
        };
        var want = all.Where(expected).Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
        var got = await IdsAsync("Dossiers?$filter=" + Uri.EscapeDataString(filter));
        got.Should().Equal(want, $"{filter} (rows come in key order)");
        if (filter is not ("UnitCode in ('HCC-TINH','NOWHERE')" or "Verdict ne null" or "ReceivedDate in (2026-02-02,2026-03-10)" or "substring(UnitCode,4,100) eq 'TINH'"))
        {
            return;
        }

        want.Should().NotBeEmpty();
    }

    [Fact]
    public async Task An_in_list_of_instants_given_with_an_offset_selects_the_rows_at_those_instants()
    {
        var all = await DossiersAsync();
        var picked = all.OrderBy(d => d.Id, StringComparer.Ordinal).Take(3).Select(d => DateTime.SpecifyKind(d.ReceivedAt, DateTimeKind.Utc)).ToList();
        var literals = picked.Select(t => new DateTimeOffset(t).ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-ddTHH:mm:ss.fffffffzzz", System.Globalization.CultureInfo.InvariantCulture));
        var want = all.Where(d => picked.Contains(DateTime.SpecifyKind(d.ReceivedAt, DateTimeKind.Utc))).Select(d => d.Id).Order(StringComparer.Ordinal).ToList();

        var got = await IdsAsync("Dossiers?$filter=" + Uri.EscapeDataString($"ReceivedAt in ({string.Join(',', literals)},2000-01-01T00:00:00Z)"));

        want.Should().HaveCountGreaterThanOrEqualTo(3);
        got.Should().Equal(want);
    }

    [Fact]
    public async Task Orderby_with_nulls_and_ties_pages_through_next_links_without_losing_or_repeating_rows()
    {
        var all = await DossiersAsync();
        var got = await IdsAsync("Dossiers?$orderby=DueAt desc,Verdict,ReceiptCode&$select=Id,DueAt", pageSize: 7);
        var want = all
            .OrderBy(d => d.DueAt is null).ThenByDescending(d => d.DueAt)
            .ThenBy(d => d.Verdict is not null).ThenBy(d => d.Verdict, StringComparer.Ordinal)
            .ThenBy(d => d.ReceiptCode, StringComparer.Ordinal).Select(d => d.Id).ToList();
        got.Should().Equal(want, "OData sorts nulls first ascending and last descending");

        var steps = await AllAsync(feed.Server, "Steps?$orderby=TimeLimitDays desc,StartedAt&$select=Id,TimeLimitDays", pageSize: 50);
        using var db = feed.Server.OpenStore();
        steps.Should().HaveCount(await db.Tasks.CountAsync());
        steps.Select(s => Text(s, "Id")).Should().OnlyHaveUniqueItems();
        steps.Select(s => s["TimeLimitDays"]?.GetValue<double>() ?? -1).Should().BeInDescendingOrder();
    }

    [Fact]
    public async Task Top_skip_and_count_combine_with_server_paging()
    {
        var all = (await DossiersAsync()).OrderBy(d => d.ReceiptCode, StringComparer.Ordinal).ToList();
        var page = await GetAsync(feed.Server, "Dossiers?$orderby=ReceiptCode&$top=15&$skip=4&$count=true&$select=Id", pageSize: 4);
        page["@odata.count"]!.GetValue<long>().Should().Be(all.Count, "the count ignores $top and $skip");
        page["@odata.nextLink"]!.GetValue<string>().Should().StartWith(feed.Server.Root + "Dossiers?").And.Contain("$top=15").And.Contain("$skiptoken=");
        var rows = await AllAsync(feed.Server, "Dossiers?$orderby=ReceiptCode&$top=15&$skip=4&$count=true&$select=Id", pageSize: 4);
        rows.Select(r => Text(r, "Id")).Should().Equal(all.Skip(4).Take(15).Select(d => d.Id));

        var count = await RawAsync(feed.Server, "Dossiers/$count?$filter=" + Uri.EscapeDataString("Channel eq 'online'"));
        count.Body.Should().Be(all.Count(d => d.Channel == "online").ToString(System.Globalization.CultureInfo.InvariantCulture));
        count.Response.Content.Headers.ContentType!.ToString().Should().Be("text/plain; charset=utf-8");
        (await count.Response.Content.ReadAsByteArrayAsync())[0].Should().NotBe(0xEF, "no byte-order mark");
    }

    [Fact]
    public async Task Select_shapes_rows_and_the_context_url()
    {
        var page = await GetAsync(feed.Server, "Dossiers?$select=ReceiptCode,DueDate,Status&$top=3");
        page["@odata.context"]!.GetValue<string>().Should().Be(feed.Server.Root + "$metadata#Dossiers(ReceiptCode,DueDate,Status)");
        foreach (var row in page["value"]!.AsArray())
        {
            // Annotations (the library adds @odata.etag) are not columns.
            row!.AsObject().Select(p => p.Key).Where(k => !k.StartsWith('@')).Should().BeEquivalentTo("ReceiptCode", "DueDate", "Status");
        }

        var one = await GetAsync(feed.Server, "Dossiers?$top=1");
        var id = Text(one["value"]![0]!.AsObject(), "Id");
        var entity = await GetAsync(feed.Server, $"Dossiers('{id}')");
        entity["@odata.context"]!.GetValue<string>().Should().EndWith("$metadata#Dossiers/$entity");
        Text(entity, "Id").Should().Be(id);
        Text(entity, "ReceivedAt").Should().EndWith("Z");
        (await RawAsync(feed.Server, "Dossiers('nope')")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Apply_groups_and_aggregates_in_the_database()
    {
        var all = await DossiersAsync();
        var rows = await AllAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString(
            "groupby((UnitCode,FieldCode),aggregate($count as Total,SupplementRequests with sum as Supplements,ReceivedAt with max as Last,ProcedureCode with countdistinct as Procedures,SupplementRequests with average as Mean))"), pageSize: 2);
        var want = all.GroupBy(d => (d.ReceivingUnit, d.FieldCode)).OrderBy(g => g.Key.ReceivingUnit, StringComparer.Ordinal).ThenBy(g => g.Key.FieldCode, StringComparer.Ordinal).ToList();
        rows.Should().HaveCount(want.Count);
        for (var i = 0; i < want.Count; i++)
        {
            var (row, group) = (rows[i], want[i]);
            Text(row, "UnitCode").Should().Be(group.Key.ReceivingUnit);
            row["Total"]!.GetValue<long>().Should().Be(group.Count());
            row["Supplements"]!.GetValue<long>().Should().Be(group.Sum(d => d.SupplementRequests));
            row["Procedures"]!.GetValue<long>().Should().Be(group.Select(d => d.ProcedureCode).Distinct().Count());
            row["Mean"]!.GetValue<double>().Should().BeApproximately(group.Average(d => d.SupplementRequests), 1e-9);
            row["Last"]!.GetValue<DateTimeOffset>().Should().Be(new DateTimeOffset(group.Max(d => d.ReceivedAt)));
        }

        var byDay = await AllAsync(feed.Server, "Dossiers?$apply=" + Uri.EscapeDataString("filter(Channel eq 'online')/groupby((ReceivedDate),aggregate($count as N))") + "&$orderby=N desc,ReceivedDate");
        var wantDays = all.Where(d => d.Channel == "online").GroupBy(d => Local(d.ReceivedAt)).ToDictionary(g => g.Key.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), g => g.LongCount());
        byDay.ToDictionary(r => Text(r, "ReceivedDate"), r => r["N"]!.GetValue<long>()).Should().BeEquivalentTo(wantDays);
        byDay.Select(r => r["N"]!.GetValue<long>()).Should().BeInDescendingOrder();

        var total = await GetAsync(feed.Server, "Dossiers?$apply=aggregate($count as N)");
        total["value"]![0]!["N"]!.GetValue<long>().Should().Be(all.Count);
        var stats = await AllAsync(feed.Server, "DossierStats?$filter=" + Uri.EscapeDataString("Year eq 2026 and Received gt 0") + "&$orderby=Received desc");
        stats.Sum(r => Number(r, "Received")).Should().Be(all.Count);
        stats.Select(r => Number(r, "Received")).Should().BeInDescendingOrder();
    }

    [Fact]
    public async Task Reference_sets_answer_the_same_options()
    {
        (await AllAsync(feed.Server, "Units?$filter=" + Uri.EscapeDataString("Level eq 'province' and contains(Name,'Quảng Ngãi')") + "&$orderby=Code desc"))
            .Select(r => Text(r, "Code")).Should().Equal("THUE-QUANGNGAI", "HCC-TINH", "BHXH-QUANGNGAI");
        (await AllAsync(feed.Server, "Procedures?$filter=FieldCode eq 'civil-status'&$select=Code,TimeLimitDays")).Should().HaveCount(2);
        (await AllAsync(feed.Server, "Fields?$orderby=Code")).Select(r => Text(r, "Code")).Should().Equal("civil-status", "land");
        (await RawAsync(feed.Server, "Procedures?$filter=" + Uri.EscapeDataString("contains(FieldCode,'x') or FieldCode gt 'a'"))).Status.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("Dossiers?$foo=1", "UnsupportedQueryOption")]
    [InlineData("Dossiers?$search=land", "UnsupportedQueryOption")]
    [InlineData("Dossiers?$filter=Channel eq", "InvalidQuery")]
    [InlineData("Dossiers?$filter=Nope eq 1", "InvalidQuery")]
    [InlineData("Dossiers?$filter=Channel", "InvalidQuery")]
    [InlineData("Dossiers?$filter=ReceivedAt add duration'P1D' gt now()", null)]
    [InlineData("Dossiers?$filter=geo.distance(Channel,Channel) lt 1", null)]
    [InlineData("Dossiers?$orderby=Nope", "InvalidQuery")]
    [InlineData("Dossiers?$top=-1", "InvalidQuery")]
    [InlineData("Dossiers?$top=abc", "InvalidQuery")]
    [InlineData("Dossiers?$skiptoken=garbage", "InvalidSkipToken")]
    [InlineData("Dossiers?$format=xml", "UnsupportedFormat")]
    [InlineData("Dossiers?$apply=groupby((UnitCode))&$filter=Channel eq 'online'", "InvalidQuery")]
    [InlineData("Dossiers?$apply=groupby((UnitCode),aggregate(Channel with sum as S))", "UnsupportedApply")]
    [InlineData("PeriodReport?from=yesterday", "InvalidReportParameter")]
    public async Task Unknown_options_and_unsupported_expressions_get_an_OData_error_400_never_a_500(string query, string? code)
    {
        var (status, body, response) = await RawAsync(feed.Server, query);
        status.Should().Be(HttpStatusCode.BadRequest, body);
        response.Headers.GetValues("OData-Version").Should().Equal("4.0");
        var error = JsonNode.Parse(body)!["error"]!;
        error["message"]!.GetValue<string>().Should().NotBeNullOrWhiteSpace();
        if (code is not null)
        {
            error["code"]!.GetValue<string>().Should().Be(code, body);
        }
    }

    [Fact]
    public async Task Unknown_resources_are_404_and_writes_are_refused()
    {
        (await RawAsync(feed.Server, "Nope")).Status.Should().Be(HttpStatusCode.NotFound);
        (await RawAsync(feed.Server, "Dossiers/$count/$count")).Status.Should().Be(HttpStatusCode.NotFound);
        using var http = feed.Server.ClientFor(Keys.Admin);
        (await http.PostAsync("/odata/v1/Dossiers", new StringContent("{}"))).StatusCode.Should().Be(HttpStatusCode.MethodNotAllowed);
    }
}
