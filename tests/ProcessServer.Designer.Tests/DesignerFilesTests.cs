using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using ProcessServer.Designer.Tests.Support;

namespace ProcessServer.Designer.Tests;

/// <summary>/designer: our host pages over the npm bundle, served without a key (they hold no data).</summary>
public sealed class DesignerFilesTests : IDisposable
{
    private readonly StudioServer _server = new();

    [Theory]
    [InlineData("/designer/", "text/html", "Administrator API key")]
    [InlineData("/designer/procedures.html", "text/html", "elsa-workflow-definition-list")]
    [InlineData("/designer/editor.html", "text/html", "elsa-workflow-definition-editor")]
    [InlineData("/designer/dossiers.html", "text/html", "elsa-workflow-instance-list")]
    [InlineData("/designer/viewer.html", "text/html", "elsa-workflow-instance-viewer")]
    [InlineData("/designer/workflows/instances/abc/view", "text/html", "elsa-workflow-instance-viewer")]
    [InlineData("/designer/workflows/definitions/abc/edit", "text/html", "elsa-workflow-definition-editor")]
    [InlineData("/designer/designer.js", "text/javascript", "sessionStorage")]
    [InlineData("/designer/_framework/blazor.webassembly.js", "text/javascript", null)]
    [InlineData("/designer/_content/MudBlazor/MudBlazor.min.css", "text/css", null)]
    public async Task Pages_and_bundle_files_are_served_anonymously_with_their_content_types(string path, string contentType, string? contains)
    {
        using var client = _server.Client();
        var response = await client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.OK, path);
        response.Content.Headers.ContentType!.MediaType.Should().Be(contentType);
        if (contains is not null)
        {
            (await response.Content.ReadAsStringAsync()).Should().Contain(contains);
        }
    }

    [Fact]
    public async Task WebAssembly_files_have_their_mime_types_and_go_out_compressed_when_the_browser_accepts_it()
    {
        var framework = Path.Combine(Browser.ProjectFolder, "..", "..", "designer", "node_modules", "@elsa-workflows", "elsa-studio-wasm", "_framework");
        var wasm = Path.GetFileName(Directory.GetFiles(framework, "dotnet.native.*.wasm").Single());
        var icu = Path.GetFileName(Directory.GetFiles(framework, "icudt*.dat").Single());

        using var client = _server.Client();
        var plain = await client.GetAsync($"/designer/_framework/{wasm}");
        plain.Content.Headers.ContentType!.MediaType.Should().Be("application/wasm");
        var bytes = await plain.Content.ReadAsByteArrayAsync();
        bytes.Take(4).Should().Equal(0x00, 0x61, 0x73, 0x6d);
        (await client.GetAsync($"/designer/_framework/{icu}")).Content.Headers.ContentType!.MediaType.Should().Be("application/octet-stream");

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/designer/_framework/{wasm}");
        request.Headers.Add("Accept-Encoding", "br");
        var compressed = await client.SendAsync(request);
        compressed.Content.Headers.ContentEncoding.Should().Equal("br");
        compressed.Content.Headers.ContentType!.MediaType.Should().Be("application/wasm");
        compressed.Content.Headers.ContentLength.Should().BeLessThan(bytes.Length);
    }

    [Fact]
    public async Task The_studio_downloads_settings_pointing_at_this_servers_api()
    {
        using var client = _server.Client();
        var settings = JsonNode.Parse(await client.GetStringAsync("/designer/appsettings.json"))!;
        settings["Backend"]!["Url"]!.GetValue<string>().Should().Be($"{_server.BaseUrl}/elsa/api");

        var redirected = await client.GetAsync("/designer");
        redirected.RequestMessage!.RequestUri!.AbsolutePath.Should().Be("/designer/", "the pages' <base href> needs the slash");
        (await client.GetAsync("/designer/no-such-file.js")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await client.GetAsync("/designer/..%2F..%2Fappsettings.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_pages_need_nothing_from_the_internet()
    {
        using var client = _server.Client();
        foreach (var page in new[] { "index.html", "procedures.html", "editor.html", "dossiers.html", "viewer.html", "designer.css" })
        {
            var text = await client.GetStringAsync($"/designer/{page}");
            text.Should().NotContain("http://", page).And.NotContain("https://", page).And.NotContain("//fonts.", page);
        }
    }

    public void Dispose() => _server.Dispose();
}
