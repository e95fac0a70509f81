using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.OData.Tests.Support;
using ProcessServer.Persistence.Entities;
using static ProcessServer.OData.Tests.Support.Feed;

namespace ProcessServer.OData.Tests;

/// <summary>Server-driven paging at its default size and its cap, on 2,345 dossiers written straight to the store.</summary>
public sealed class PagingTests : IAsyncLifetime, IDisposable
{
    private const int Rows = 2345;
    private readonly TempFolder _folder = new();
    private FeedServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = new FeedServer(_folder.Path, new ManualClock(new DateTimeOffset(2026, 3, 2, 1, 0, 0, TimeSpan.Zero)));
        await using var db = _server.OpenStore();
        var start = new DateTime(2026, 1, 5, 1, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < Rows; i++)
        {
            db.Dossiers.Add(NewDossier(i, start.AddMinutes(37 * i)));
        }

        await db.SaveChangesAsync();
    }

    private static Dossier NewDossier(int i, DateTime at) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(at)).ToString(),
        ReceiptCode = $"HCC-BINHSON-{at:yyMMdd}-{i:0000}",
        ProcedureCode = "birth-registration",
        DefinitionVersionId = "birth-registration-v1",
        DefinitionVersion = 1,
        FieldCode = "civil-status",
        ReceivingUnit = i % 3 == 0 ? "HCC-TINH" : "HCC-BINHSON",
        Channel = i % 2 == 0 ? "online" : "direct",
        ApplicantName = "Nguyễn Văn An",
        ApplicantIdNumber = "051090001234",
        ReceivedAt = at,
        Status = "InProgress",
        NationalStatusCode = 4,
        StateJson = "{}",
        CreatedAt = at,
        UpdatedAt = at,
        AppointmentAt = at.AddDays(3),
        DueAt = at.AddDays(3),
    };

    [Fact]
    public async Task Dossiers_received_while_a_client_walks_the_pages_neither_repeat_nor_skip_rows_and_the_count_is_carried()
    {
        // Newest first, as a report would read them: every dossier received meanwhile sorts before the
        // page being read, which is what makes an offset ($skip) page repeat the rows it has already sent.
        // One context for all the writes: each new one would build EF Core's services again (seconds).
        await using var db = _server.OpenStore();
        var original = db.Dossiers.Select(d => d.Id).ToList();

        var older = new List<string>();
        var seen = new List<string>();
        var path = "Dossiers?$select=Id&$orderby=ReceivedAt desc&$count=true";
        var added = 0;
        while (true)
        {
            var page = await GetAsync(_server, path, pageSize: 100);
            page["@odata.count"]!.GetValue<long>().Should().Be(Rows, "the count of the first page is carried in the next links, not recounted");
            seen.AddRange(page["value"]!.AsArray().Select(r => Text(r!.AsObject(), "Id")));
            if (page["@odata.nextLink"]?.GetValue<string>() is not { } next)
            {
                break;
            }

            // Ten newer dossiers (before the cursor) and one older than every row (after it), per page read.
            for (var k = 0; k < 10; k++)
            {
                db.Dossiers.Add(NewDossier(Rows + added, new DateTime(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(added)));
                added++;
            }

            var old = NewDossier(Rows + added, new DateTime(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(added));
            db.Dossiers.Add(old);
            older.Add(old.Id);
            added++;
            await db.SaveChangesAsync();

            path = new Uri(next).PathAndQuery["/odata/v1/".Length..];
        }

        added.Should().BeGreaterThan(200);
        seen.Should().OnlyHaveUniqueItems("no row is repeated");
        seen.Should().BeEquivalentTo(original.Concat(older),
            "every row there from the start is sent, rows added ahead of the cursor are not, rows added behind it are, once");
    }

    [Fact]
    public async Task Pages_hold_1000_rows_by_default_and_up_to_5000_on_request()
    {
        var first = await GetAsync(_server, "Dossiers?$select=Id&$count=true");
        first["value"]!.AsArray().Should().HaveCount(1000);
        first["@odata.count"]!.GetValue<long>().Should().Be(Rows);
        (await AllAsync(_server, "Dossiers?$select=Id")).Select(r => Text(r, "Id")).Should().OnlyHaveUniqueItems().And.HaveCount(Rows);

        var (status, body, response) = await RawAsync(_server, "Dossiers?$select=Id", configure: r => r.Headers.Add("Prefer", "odata.maxpagesize=9999"));
        status.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("Preference-Applied").Should().Equal("odata.maxpagesize=5000");
        JsonNode.Parse(body)!["value"]!.AsArray().Should().HaveCount(Rows);
        JsonNode.Parse(body)!["@odata.nextLink"].Should().BeNull();

        var top = await GetAsync(_server, "Dossiers?$select=Id&$top=1500");
        top["value"]!.AsArray().Should().HaveCount(1000);
        var rest = await GetAsync(_server, new Uri(top["@odata.nextLink"]!.GetValue<string>()).PathAndQuery["/odata/v1/".Length..]);
        rest["value"]!.AsArray().Should().HaveCount(500);
        rest["@odata.nextLink"].Should().BeNull("$top=1500 is satisfied");

        (await RawAsync(_server, "Dossiers/$count")).Body.Should().Be(Rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var gzip = await RawAsync(_server, "Dossiers?$top=200", configure: r => r.Headers.AcceptEncoding.ParseAdd("gzip"));
        gzip.Status.Should().Be(HttpStatusCode.OK);
        gzip.Response.Content.Headers.ContentEncoding.Should().BeEmpty("HttpClient decompressed it");
        JsonNode.Parse(gzip.Body)!["value"]!.AsArray().Should().HaveCount(200);
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _server?.Dispose();
        _folder.Dispose();
    }
}
