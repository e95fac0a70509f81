using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.OData.Tests.Support;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>
/// Queries the fault suite's request fuzzing found answering 500: each must get an answer, rows or a
/// 400 OData error naming the problem, on the database-backed sets and on the small in-memory ones
/// (Units, Fields) alike.
/// </summary>
[Collection(FeedGroup.Name)]
public sealed class FuzzFindingTests(FeedFixture feed)
{
    [Theory]
    [InlineData("Units?$filter=substring(Code,1,5000) ne 'x'")]
    [InlineData("Units?$filter=substring(Code,50) eq ''")]
    [InlineData("Dossiers?$filter=substring(ReceiptCode,1,5000) ne 'x'&$top=1")]
    public async Task Substring_past_the_end_of_a_text_gives_the_rest_of_it_instead_of_failing(string query)
    {
        var (status, body, _) = await RawAsync(feed.Server, Escape(query));

        status.Should().Be(HttpStatusCode.OK, body);
    }

    [Theory]
    [InlineData("Dossiers/$count?$filter=PauseCount lt NaN")]
    [InlineData("Dossiers/$count?$filter=PauseCount lt INF")]
    [InlineData("Dossiers/$count?$filter=PauseCount lt 1e300")]
    [InlineData("Fields?$filter=Name in ('')")]
    [InlineData("Fields?$filter=Name in ('a','')")]
    [InlineData("Dossiers?$filter=ApplicantName in ('','x')&$top=1")]
    [InlineData("Dossiers?$apply=groupby((StoppedDate),aggregate(ProcedureVersionId with min as S))/filter(S gt 1)")]
    [InlineData("Procedures/$count?$filter=substring(Code,1,199) ge 'land' or PublishedAt in (2026-01-01,2026-01-01T00:00:00+07:00)")]
    [InlineData("Procedures?$filter=CreatedAt in (0001-01-01T00:00:00Z,2026-01-01)&$orderby=Code,FieldCode&$select=Version,Id,Id&$count=false")]
    [InlineData("PeriodReport?$filter=PeriodEndAt in (2026-01-01T00:00:00+07:00,2026-01-01T00:00:00+07:00)&$orderby=ReturnedWithoutResolution asc")]
    public async Task Odd_literals_get_an_answer_not_a_server_error(string query)
    {
        var (status, body, _) = await RawAsync(feed.Server, Escape(query));

        ((int)status).Should().BeLessThan(500, body);
        if (status != HttpStatusCode.OK)
        {
            status.Should().Be(HttpStatusCode.BadRequest, body);
            body.Should().Contain("\"code\"").And.Contain("\"message\"");
        }
    }

    [Fact]
    public async Task Functions_over_null_columns_of_the_in_memory_Units_set_follow_null_semantics_instead_of_failing()
    {
        // Units is held in memory; the unit tree's roots have no Parent and most units no Successor
        // or ValidFrom. OData: a function of null is null, and a comparison with null is false.
        var units = await AllAsync(feed.Server, "Units");
        units.Should().Contain(u => u["Parent"] == null, "the test needs a unit without a parent");
        string? Of(JsonObject u, string name) => u[name]?.GetValue<string>();

        async Task<long> CountAsync(string filter)
        {
            var (status, body, _) = await RawAsync(feed.Server, "Units/$count?$filter=" + Uri.EscapeDataString(filter));
            status.Should().Be(HttpStatusCode.OK, $"{filter}: {body}");
            return long.Parse(body, System.Globalization.CultureInfo.InvariantCulture);
        }

        (await CountAsync("length(Parent) eq 9223372036854775807")).Should().Be(0);
        (await CountAsync("length(Parent) gt 0")).Should().Be(units.Count(u => Of(u, "Parent") is { Length: > 0 }));
        (await CountAsync("startswith(Successor,'HCC')")).Should().Be(units.Count(u => Of(u, "Successor")?.StartsWith("HCC", StringComparison.Ordinal) == true));
        (await CountAsync("tolower(Parent) eq '\\'")).Should().Be(0);
        (await CountAsync("hour(ValidFrom) ge 0")).Should().Be(units.Count(u => u["ValidFrom"] != null));
        (await CountAsync("Parent eq null")).Should().Be(units.Count(u => u["Parent"] == null));

        var (fuzzStatus, fuzzBody, _) = await RawAsync(feed.Server, Escape(
            "Units?$filter=(Level gt 'x' or not (hour(ValidFrom) ge 99999999)) and (not (tolower(Name) gt 'x' or ValidFrom in (2026-01-01T00:00:00+07:00,2026-01-01T00:00:00+07:00)))&$orderby=Code asc,Name asc&$top=1"));
        fuzzStatus.Should().Be(HttpStatusCode.OK, fuzzBody);
    }

    private static string Escape(string query)
    {
        var at = query.IndexOf('?', StringComparison.Ordinal);
        var parts = query[(at + 1)..].Split('&').Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            return p[..(eq + 1)] + Uri.EscapeDataString(p[(eq + 1)..]);
        });
        return query[..(at + 1)] + string.Join('&', parts);
    }
}
