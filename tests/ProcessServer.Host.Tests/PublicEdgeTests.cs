using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using ProcessServer.Host.Tests.Support;
using static ProcessServer.Host.Tests.Support.ClerkApi;

namespace ProcessServer.Host.Tests;

/// <summary>
/// What a public server must do at its edge: limit key guessing and runaway clients, answer
/// browsers only from configured origins, send security headers, keep keys out of URLs where no
/// spreadsheet needs them, and believe forwarded headers only from configured proxies.
/// </summary>
public sealed partial class PublicEdgeTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 3, 3, 1, 0, 0, TimeSpan.Zero));
    private readonly List<ServerApp> _apps = [];

    [Fact]
    public async Task Wrong_keys_past_the_limit_get_429_with_Retry_After_while_a_valid_key_from_the_same_address_still_works()
    {
        var app = Server(new() { ["ProcessServer:RateLimits:FailedAuthenticationsPerMinute"] = "5" });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var guesser = app.ClientFor($"guess-{i}");
            var response = await guesser.GetAsync("/api/inbox");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThan(TimeSpan.Zero).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(1));
                response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
                (await response.Content.ReadAsStringAsync()).Should().Contain("wrong API key");
            }
        }

        statuses.Take(5).Should().OnlyContain(s => s == HttpStatusCode.Unauthorized);
        statuses.Skip(5).Should().OnlyContain(s => s == HttpStatusCode.TooManyRequests);
        using var clerk = app.ClientFor(Keys.Counter);
        (await clerk.GetAsync("/api/inbox?unit=HCC-BINHSON")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_key_sending_faster_than_its_rate_gets_429_with_Retry_After_and_other_keys_are_not_slowed()
    {
        var app = Server(new()
        {
            ["ProcessServer:RateLimits:PerKeyPerSecond"] = "1",
            ["ProcessServer:RateLimits:PerKeyBurst"] = "3",
        });
        using var counter = app.ClientFor(Keys.Counter);
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 20; i++)
        {
            responses.Add(await counter.GetAsync("/api/inbox?unit=HCC-BINHSON"));
        }

        responses.Take(3).Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK, "the burst is allowed");
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        refused.Should().NotBeEmpty("20 requests at once are far over 1 per second after a burst of 3");
        refused[0].Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThan(TimeSpan.Zero);
        (await refused[0].Content.ReadAsStringAsync()).Should().Contain("Your API key sent more requests");

        using var land = app.ClientFor(Keys.Land);
        (await land.GetAsync("/api/inbox?unit=VPDKDD-BINHSON")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Only_configured_origins_get_CORS_answers_from_the_designer_backend()
    {
        var closed = Server();
        var preflight = await Preflight(closed, "https://studio.example");
        preflight.Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse("no origin is configured, so only the designer served by this server may call it");

        var open = Server(new() { ["ProcessServer:Cors:AllowedOrigins:0"] = "https://studio.example" });
        var allowed = await Preflight(open, "https://studio.example");
        allowed.StatusCode.Should().Be(HttpStatusCode.NoContent);
        allowed.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("https://studio.example");
        string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")).ToUpperInvariant().Should().Contain("AUTHORIZATION");
        (await Preflight(open, "https://evil.example")).Headers.Contains("Access-Control-Allow-Origin").Should().BeFalse();
    }

    [Fact]
    public async Task Dossier_answers_are_never_cached_and_every_answer_says_nosniff_and_no_referrer()
    {
        var app = Server();
        var dossier = await ReceiveAsync(app, "birth-registration");
        using var client = app.ClientFor(Keys.Counter);

        foreach (var path in new[] { $"/api/dossiers/{dossier["id"]}", "/api/inbox?unit=HCC-BINHSON", "/health" })
        {
            var response = await client.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
            response.Headers.GetValues("Referrer-Policy").Should().Equal("no-referrer");
            if (path.StartsWith("/api", StringComparison.Ordinal))
            {
                response.Headers.CacheControl!.NoStore.Should().BeTrue(path);
            }
        }
    }

    [Fact]
    public async Task Designer_pages_may_not_be_framed_and_run_only_their_own_scripts()
    {
        var app = Server();
        using var client = app.ClientFor(null);

        var response = await client.GetAsync("/designer/index.html");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        policy.Should().Contain("frame-ancestors 'none'").And.Contain("script-src 'self' 'wasm-unsafe-eval'").And.Contain("object-src 'none'");
        policy.Should().NotContain("'unsafe-inline' ", "inline scripts are allowed by hash only").And.NotContain("script-src 'self' 'unsafe-inline'");
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");

        // The page's one inline script is allowed by its hash.
        var html = await response.Content.ReadAsStringAsync();
        var inline = InlineScript().Match(html).Groups[1].Value;
        inline.Should().Contain("initSignIn");
        policy.Should().Contain($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)))}'");
    }

    [Fact]
    public async Task The_API_description_is_served_only_when_configured()
    {
        var hidden = Server(new() { ["ProcessServer:OpenApi:Enabled"] = "false" });
        using var client = hidden.ClientFor(null);
        (await client.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/swagger/index.html")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/health")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Keys_in_the_query_string_or_as_Basic_work_only_for_the_OData_feed_and_the_CSV_report()
    {
        var app = Server();
        using var anonymous = app.ClientFor(null);
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"excel:{Keys.Admin}")));

        var inQuery = await anonymous.GetAsync($"/api/procedures?api_key={Keys.Admin}");
        inQuery.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await inQuery.Content.ReadAsStringAsync()).Should().Contain("accepted only by the OData feed and the CSV report");
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/procedures") { Headers = { Authorization = basic } })
        {
            (await anonymous.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/elsa/api/workflow-definitions") { Headers = { Authorization = basic } })
        {
            (await anonymous.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        (await anonymous.GetAsync($"/odata/v1/Units?api_key={Keys.Reporter}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await anonymous.GetAsync($"/api/reports/period.csv?from=2025-01-01&to=2025-03-01&api_key={Keys.Reporter}")).StatusCode.Should().Be(HttpStatusCode.OK);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/odata/v1/Units") { Headers = { Authorization = basic } })
        {
            (await anonymous.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.OK);
        }
    }

    [Fact]
    public async Task Behind_a_configured_HTTPS_proxy_OData_links_are_https_and_from_any_other_source_they_are_not()
    {
        var proxied = await Kestrel(new() { ["ProcessServer:Proxies:KnownProxies:0"] = "127.0.0.1" });
        var direct = await Kestrel(null);

        foreach (var (port, expected) in new[] { (proxied, "https://reports.example.gov.vn/odata/v1/"), (direct, $"http://127.0.0.1:{direct}/odata/v1/") })
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            client.DefaultRequestHeaders.Add("X-Api-Key", Keys.Reporter);
            client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
            client.DefaultRequestHeaders.Add("X-Forwarded-Host", "reports.example.gov.vn");
            client.DefaultRequestHeaders.Add("Prefer", "odata.maxpagesize=1");

            var page = JsonNode.Parse(await client.GetStringAsync("/odata/v1/Dossiers?$select=ReceiptCode"))!;

            page["@odata.context"]!.GetValue<string>().Should().StartWith(expected + "$metadata");
            page["@odata.nextLink"]!.GetValue<string>().Should().StartWith(expected + "Dossiers?");
        }
    }

    public void Dispose()
    {
        foreach (var app in _apps)
        {
            app.Dispose();
        }

        _database.Dispose();
    }

    private ServerApp Server(Dictionary<string, string?>? settings = null)
    {
        var folder = Path.Combine(_database.Folder, _apps.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var app = new ServerApp(Path.Combine(folder, "processserver.db"), _clock, settings);
        _apps.Add(app);
        return app;
    }

    /// <summary>A server on a loopback port with two dossiers (so a page of one has a next link); returns the port.</summary>
    private async Task<int> Kestrel(Dictionary<string, string?>? settings)
    {
        var app = Server(settings);
        var port = FreePort();
        app.UseKestrel(port);
        app.StartServer();
        await ReceiveAsync(app, "birth-registration");
        await ReceiveAsync(app, "birth-registration");
        return port;
    }

    private static async Task<HttpResponseMessage> Preflight(ServerApp app, string origin)
    {
        using var client = app.ClientFor(null);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/elsa/api/workflow-definitions");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return await client.SendAsync(preflight);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
