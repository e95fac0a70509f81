using System.Text.RegularExpressions;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml;
using FluentAssertions;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.Edm.Csdl;
using Microsoft.OData.Edm.Validation;
using ProcessServer.OData.Tests.Support;

namespace ProcessServer.OData.Tests;

/// <summary>The documents Power Query reads first, checked with OASIS's schema, Olingo's client and ODataLib's reader.</summary>
[Collection(FeedGroup.Name)]
public sealed class FeedDocumentTests(FeedFixture feed)
{
    [Theory]
    [InlineData(Feed.PowerQueryAccept)]
    [InlineData("application/json")]
    [InlineData("application/json;odata.metadata=full")]
    [InlineData("*/*")]
    [InlineData("")]
    public async Task Metadata_is_CSDL_XML_whatever_the_Accept_header_says(string accept)
    {
        var (status, body, response) = await Feed.RawAsync(feed.Server, "$metadata", configure: r =>
        {
            if (accept.Length > 0)
            {
                r.Headers.TryAddWithoutValidation("Accept", accept);
            }
        });
        status.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/xml");
        response.Headers.GetValues("OData-Version").Should().Equal("4.0");
        body.Should().StartWith("<?xml").And.Contain("<edmx:Edmx Version=\"4.0\"");
    }

    [Fact]
    public async Task Metadata_validates_against_the_OASIS_CSDL_XML_schema_and_ODataLib_reads_it_back_without_errors()
    {
        await Tools.EnsureNodeClientAsync();
        await Tools.EnsureXmllintAsync();
        var (_, xml, _) = await Feed.RawAsync(feed.Server, "$metadata");
        var folder = Path.Combine(feed.Server.Folder, "xsd");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "metadata.xml");
        await File.WriteAllTextAsync(file, xml);
        var schema = Path.Combine(Tools.ClientFolder, "node_modules", "odata-csdl", "schemas", "edmx.xsd");
        var (code, output) = await Tools.RunAsync("xmllint", ["--noout", "--schema", schema, file], folder);
        code.Should().Be(0, output);
        output.Should().Contain("validates");

        // The validation is real: an element CSDL does not allow makes xmllint fail.
        var broken = Path.Combine(folder, "broken.xml");
        await File.WriteAllTextAsync(broken, xml.Replace("<Key>", "<Foo/><Key>", StringComparison.Ordinal));
        (await Tools.RunAsync("xmllint", ["--noout", "--schema", schema, broken], folder)).Code.Should().NotBe(0);

        using var reader = XmlReader.Create(new StringReader(xml));
        CsdlReader.TryParse(reader, out var model, out var errors).Should().BeTrue(string.Join("; ", errors?.Select(e => e.ErrorMessage) ?? []));
        model.Validate(out var problems).Should().BeTrue(string.Join("; ", problems.Select(p => p.ErrorMessage)));
        model.EntityContainer.EntitySets().Select(s => s.Name).Should().BeEquivalentTo(
            "Dossiers", "Steps", "Procedures", "Units", "Fields", "DossierStats", "StepStats", "PeriodReport", "PeriodReportTotals", "Ratings");
        // Navigation Dossiers → Steps and Steps → Dossier (for $expand and any/all); one annotation, the
        // Core vocabulary's OptimisticConcurrency the library needs for @odata.etag.
        Regex.Matches(xml, "<Annotation ").Should().ContainSingle();
        xml.Should().Contain("<Annotation Term=\"Org.OData.Core.V1.OptimisticConcurrency\">");
        DossierStepsNavigation(model);
        var dossier = model.FindDeclaredType("ProcessServer.Reporting.Dossier") as IEdmEntityType;
        dossier!.FindProperty("ReceivedAt").Type.PrimitiveKind().Should().Be(EdmPrimitiveTypeKind.DateTimeOffset);
        dossier.FindProperty("ReceivedDate").Type.PrimitiveKind().Should().Be(EdmPrimitiveTypeKind.Date);
        dossier.FindProperty("Status").Type.PrimitiveKind().Should().Be(EdmPrimitiveTypeKind.String, "statuses are plain strings");
    }

    private static void DossierStepsNavigation(IEdmModel model)
    {
        var dossierType = (IEdmEntityType)model.FindDeclaredType("ProcessServer.Reporting.Dossier");
        var stepType = (IEdmEntityType)model.FindDeclaredType("ProcessServer.Reporting.Step");
        dossierType.FindProperty("Steps").Should().BeAssignableTo<IEdmNavigationProperty>().Which.ToEntityType().Should().Be(stepType);
        stepType.FindProperty("Dossier").Should().BeAssignableTo<IEdmNavigationProperty>().Which.ToEntityType().Should().Be(dossierType);
    }

    [Fact]
    public async Task The_independent_Olingo_client_walks_every_entity_set_through_all_next_links_and_reads_exactly_the_count()
    {
        await Tools.EnsureNodeClientAsync();
        var (code, output) = await Tools.RunAsync("node", ["check.js", feed.Server.Root, Keys.Reporter, "37"], Tools.ClientFolder);
        var last = output.Trim().Split('\n')[^1];
        code.Should().Be(0, output);
        last.Should().MatchRegex(@"^\d+ passed, 0 failed$", output);
        output.Should().Contain("Steps: ").And.MatchRegex(@"Dossiers: \d+ rows in [2-9]\d* page");
    }

    [Fact]
    public async Task The_service_document_lists_every_set_with_one_OData_Version_header()
    {
        var (status, body, response) = await Feed.RawAsync(feed.Server, "", configure: r => r.Headers.TryAddWithoutValidation("Accept", Feed.PowerQueryAccept));
        status.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("OData-Version").Should().Equal("4.0");
        response.Content.Headers.ContentType!.ToString().Should().Contain("odata.metadata=minimal");
        body.Should().Contain("\"@odata.context\":\"" + feed.Server.Root + "$metadata\"");
        foreach (var set in new[] { "Dossiers", "Steps", "Procedures", "Units", "Fields", "DossierStats", "StepStats", "PeriodReport", "PeriodReportTotals", "Ratings" })
        {
            body.Should().Contain($"\"name\":\"{set}\"");
        }
    }

    [Theory]
    [InlineData("Dossiers?$count=true", false)]
    [InlineData("Dossiers?$select=ReceiptCode,ReceivedAt,DueDate,HasApology&$orderby=DueAt desc", false)]
    [InlineData("Steps?$count=true&$filter=Status eq 'Completed'", false)]
    [InlineData("Procedures", false)]
    [InlineData("Units", false)]
    [InlineData("Fields", false)]
    [InlineData("DossierStats?$count=true", false)]
    [InlineData("StepStats", false)]
    [InlineData("Ratings?$count=true", false)]
    [InlineData("PeriodReport?from=2026-02-01&to=2026-02-28", false)]
    [InlineData("PeriodReportFor(From=2026-02-01,To=2026-02-28)", false)]
    [InlineData("PeriodReportTotals?from=2026-02-01&to=2026-02-28", false)]
    [InlineData("PeriodReport?from=2026-02-01&to=2026-02-28&$apply=groupby((UnitCode),aggregate(Received with sum as Received))", true)]
    [InlineData("Dossiers?$apply=groupby((UnitCode,FieldCode),aggregate($count as Total,SupplementRequests with sum as Supplements))", true)]
    public async Task ODataLibs_own_reader_reads_our_pages_back_against_our_metadata(string query, bool undeclared)
    {
        var (_, xml, _) = await Feed.RawAsync(feed.Server, "$metadata");
        CsdlReader.TryParse(XmlReader.Create(new StringReader(xml)), out var model, out _).Should().BeTrue();
        var setName = query.StartsWith("PeriodReportFor", StringComparison.Ordinal) ? "PeriodReport" : query.Split('?')[0];
        var set = model.EntityContainer.FindEntitySet(setName);

        var none = await Feed.RawAsync(feed.Server, query, configure: r => r.Headers.TryAddWithoutValidation("Accept", "application/json;odata.metadata=none"));
        none.Status.Should().Be(HttpStatusCode.OK);
        none.Body.Should().NotContain("@odata.context").And.Contain("\"value\":[");

        foreach (var metadata in new[] { "minimal", "full" })
        {
            if (undeclared && metadata == "full")
            {
                continue;
            }

            var (status, body, response) = await Feed.RawAsync(feed.Server, query, configure: r =>
            {
                r.Headers.TryAddWithoutValidation("Accept", $"application/json;odata.metadata={metadata}");
                r.Headers.Add("Prefer", "odata.maxpagesize=20");
            });
            status.Should().Be(HttpStatusCode.OK, body);
            var message = new ResponseMessage(body, response.Content.Headers.ContentType!);
            var settings = new ODataMessageReaderSettings { BaseUri = new Uri(feed.Server.Root) };
            if (undeclared)
            {
                settings.Validations &= ~ValidationKinds.ThrowOnUndeclaredPropertyForNonOpenType;
            }

            using var reader = new ODataMessageReader((IODataResponseMessage)message, settings, model);
            var resources = reader.CreateODataResourceSetReader(set, set.EntityType);
            var rows = 0;
            ODataResourceSet? resourceSet = null;
            while (resources.Read())
            {
                if (resources.State == ODataReaderState.ResourceEnd)
                {
                    rows++;
                    ((ODataResource)resources.Item).Properties.Should().NotBeEmpty();
                }
                else if (resources.State == ODataReaderState.ResourceSetEnd)
                {
                    resourceSet = (ODataResourceSet)resources.Item;
                }
            }

            rows.Should().BeGreaterThan(0, $"{query} ({metadata})");
            if (query.Contains("$count=true", StringComparison.Ordinal))
            {
                resourceSet!.Count.Should().BeGreaterThanOrEqualTo(rows);
            }

            if (rows == 20)
            {
                resourceSet!.NextPageLink.Should().NotBeNull();
                resourceSet.NextPageLink!.IsAbsoluteUri.Should().BeTrue();
            }
        }
    }

    private sealed class ResponseMessage(string body, MediaTypeHeaderValue contentType) : IODataResponseMessage
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = contentType.ToString(), ["OData-Version"] = "4.0" };

        public IEnumerable<KeyValuePair<string, string>> Headers => _headers;

        public int StatusCode { get; set; } = 200;

        public string GetHeader(string headerName) => _headers.GetValueOrDefault(headerName)!;

        public void SetHeader(string headerName, string headerValue) => _headers[headerName] = headerValue;

        public Stream GetStream() => new MemoryStream(Encoding.UTF8.GetBytes(body));
    }
}
