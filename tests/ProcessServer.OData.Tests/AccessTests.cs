using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FluentAssertions;
using ProcessServer.OData.Tests.Support;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>Who may read the feed, and the three ways Excel, Power BI and scripts present a key.</summary>
[Collection(FeedGroup.Name)]
public sealed class AccessTests(FeedFixture feed)
{
    [Fact]
    public async Task Without_a_key_the_feed_asks_for_Basic_credentials_with_an_OData_error()
    {
        foreach (var path in new[] { "", "$metadata", "Dossiers", "/api/reports/period.csv" })
        {
            var (status, _, response) = await RawAsync(feed.Server, path, key: null);
            status.Should().Be(HttpStatusCode.Unauthorized, path);
            response.Headers.WwwAuthenticate.Select(h => h.Scheme).Should().Contain("Basic");
        }

        var (_, body, _) = await RawAsync(feed.Server, "Dossiers?api_key=wrong", key: null);
        body.Should().Contain("\"error\"").And.Contain("api_key");
    }

    [Fact]
    public async Task Clerk_keys_are_refused_and_reporter_and_administrator_keys_accepted()
    {
        (await RawAsync(feed.Server, "Dossiers", Keys.Counter)).Status.Should().Be(HttpStatusCode.Forbidden);
        (await RawAsync(feed.Server, "/api/reports/period.csv", Keys.Counter)).Status.Should().Be(HttpStatusCode.Forbidden);
        (await RawAsync(feed.Server, "Dossiers", Keys.Reporter)).Status.Should().Be(HttpStatusCode.OK);
        (await RawAsync(feed.Server, "Dossiers", Keys.Admin)).Status.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Basic_authentication_takes_the_key_as_password()
    {
        var (status, _, _) = await RawAsync(feed.Server, "Units", key: null, configure: r =>
            r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("excel:" + Keys.Reporter))));
        status.Should().Be(HttpStatusCode.OK);
        var (wrong, _, _) = await RawAsync(feed.Server, "Units", key: null, configure: r =>
            r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("excel:nope"))));
        wrong.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task The_api_key_query_parameter_works_and_next_links_keep_it()
    {
        var (status, body, response) = await RawAsync(feed.Server, $"Steps?$select=Id&api_key={Keys.Reporter}", key: null,
            configure: r => r.Headers.Add("Prefer", "odata.maxpagesize=10"));
        status.Should().Be(HttpStatusCode.OK, body);
        response.Headers.GetValues("Preference-Applied").Should().Equal("odata.maxpagesize=10");
        var next = System.Text.Json.Nodes.JsonNode.Parse(body)!["@odata.nextLink"]!.GetValue<string>();
        next.Should().StartWith(feed.Server.Root + "Steps?").And.Contain("api_key=" + Keys.Reporter);
        using var plain = new HttpClient();
        (await plain.GetAsync(next)).StatusCode.Should().Be(HttpStatusCode.OK, "the next link alone carries the credential");
        (await plain.GetAsync(next + "&api_key=" + Keys.Reporter)).StatusCode.Should().Be(HttpStatusCode.OK, "a client appending the key again is fine");
    }
}
