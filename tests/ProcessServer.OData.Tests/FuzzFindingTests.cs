using System.Net;
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
