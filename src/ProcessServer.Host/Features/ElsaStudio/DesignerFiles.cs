using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.ElsaStudio;

/// <summary>
/// Serves <c>/designer</c>: our host pages from <c>designer/pages</c> over the prebuilt Elsa Studio
/// bundle from <c>designer/node_modules/@elsa-workflows/elsa-studio-wasm</c> (the npm package's
/// own index.html is shadowed by ours). The files hold no data, so they are served anonymously;
/// every piece of data goes through <c>/elsa/api</c>, which needs an Administrator key.
/// </summary>
public sealed partial class DesignerFiles : IDisposable
{
    /// <summary>Where npm installs the bundle, relative to the designer folder.</summary>
    public const string BundleFolder = "node_modules/@elsa-workflows/elsa-studio-wasm";

    private readonly FileExtensionContentTypeProvider _contentTypes = new();
    private readonly PhysicalFileProvider? _pages;
    private readonly PhysicalFileProvider? _bundle;
    private readonly Lazy<IReadOnlyList<string>> _renderedScripts;

    /// <summary>Finds the designer folder.</summary>
    public DesignerFiles(IWebHostEnvironment environment, IConfiguration configuration, ILogger<DesignerFiles> logger)
    {
        // Blazor WebAssembly and Monaco files the default table does not know (or gets wrong).
        _contentTypes.Mappings[".wasm"] = "application/wasm";
        _contentTypes.Mappings[".dat"] = "application/octet-stream";
        _contentTypes.Mappings[".blat"] = "application/octet-stream";
        _contentTypes.Mappings[".dll"] = "application/octet-stream";
        _contentTypes.Mappings[".pdb"] = "application/octet-stream";
        _contentTypes.Mappings[".webcil"] = "application/octet-stream";
        _contentTypes.Mappings[".json"] = "application/json";
        _contentTypes.Mappings[".map"] = "application/json";
        _contentTypes.Mappings[".mjs"] = "text/javascript";
        _contentTypes.Mappings[".js"] = "text/javascript";
        _contentTypes.Mappings[".webmanifest"] = "application/manifest+json";
        _contentTypes.Mappings[".cur"] = "image/x-icon";

        var options = configuration.GetSection(DesignerOptions.Section).Get<DesignerOptions>() ?? new DesignerOptions();
        Root = Locate(options.Path, environment.ContentRootPath);
        _renderedScripts = new(() => RenderedScripts(Root is null ? null : Path.Combine(Root, BundleFolder, "_framework")));
        if (Root is null)
        {
            DesignerNotFound(logger, environment.ContentRootPath, AppContext.BaseDirectory);
            return;
        }

        _pages = new PhysicalFileProvider(Path.Combine(Root, "pages"));
        var bundle = Path.Combine(Root, BundleFolder);
        if (Directory.Exists(bundle))
        {
            _bundle = new PhysicalFileProvider(bundle);
        }
        else
        {
            BundleMissing(logger, bundle, Root);
        }
    }

    /// <summary>The designer folder, or null when it was not found.</summary>
    public string? Root { get; }

    /// <summary>Whether the npm bundle is installed.</summary>
    public bool HasBundle => _bundle is not null;

    /// <inheritdoc />
    public void Dispose()
    {
        _pages?.Dispose();
        _bundle?.Dispose();
    }

    /// <summary>Maps the designer routes.</summary>
    public static void Map(WebApplication app)
    {
        // "/designer" and "/designer/" match the same route; only the first needs the slash for <base href>.
        app.MapGet(ElsaStudioSetup.DesignerPrefix, (HttpContext http, DesignerFiles files) =>
                http.Request.Path.Value?.EndsWith('/') == true
                    ? files.Serve(string.Empty, http)
                    : Results.Redirect($"{http.Request.PathBase}{ElsaStudioSetup.DesignerPrefix}/"))
            .AllowAnonymous().ExcludeFromDescription();

        // The WASM app downloads appsettings.json at start-up (CONTRACT §2.1); ours points at this server.
        app.MapGet($"{ElsaStudioSetup.DesignerPrefix}/appsettings.json", (HttpContext http) =>
            {
                var settings = new JsonObject
                {
                    ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
                    ["Backend"] = new JsonObject { ["Url"] = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{ElsaStudioSetup.ApiPrefix}" },
                };
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Text(settings.ToJsonString(), "application/json");
            })
            .AllowAnonymous().ExcludeFromDescription();

        app.MapGet($"{ElsaStudioSetup.DesignerPrefix}/{{**path}}", (string? path, HttpContext http, DesignerFiles files) => files.Serve(path ?? string.Empty, http))
            .AllowAnonymous().ExcludeFromDescription();
    }

    private IResult Serve(string path, HttpContext http)
    {
        if (Root is null || _pages is null)
        {
            return Problems.Result(503, "Designer not installed",
                "The designer folder was not found next to the server; set ProcessServer:Designer:Path to the repository's designer folder.");
        }

        path = path.Trim('/');
        if (path.Length == 0)
        {
            path = "index.html";
        }

        // Elements push host URLs of the full Studio ("Run" → workflows/instances/{id}/view, "Save as" →
        // workflows/definitions/{id}/edit); those land on our viewer and editor pages.
        if (InstanceViewPath().IsMatch(path))
        {
            path = "viewer.html";
        }
        else if (DefinitionEditPath().IsMatch(path))
        {
            path = "editor.html";
        }

        var file = _pages.GetFileInfo(path);
        var fromBundle = false;
        if (!file.Exists || file.IsDirectory)
        {
            if (_bundle is null)
            {
                return Problems.Result(503, "Designer bundle not installed",
                    $"The Elsa Studio bundle is missing; run 'npm ci' in {Root} (the server build does it when node_modules is missing).");
            }

            file = _bundle.GetFileInfo(path);
            fromBundle = true;
        }

        if (!file.Exists || file.IsDirectory || file.PhysicalPath is null || path.EndsWith("index.html", StringComparison.Ordinal) && fromBundle)
        {
            return Problems.Result(404, "Not found", $"The designer has no file '{path}'.");
        }

        if (!_contentTypes.TryGetContentType(path, out var contentType))
        {
            contentType = "application/octet-stream";
        }

        http.Response.Headers.CacheControl = "no-cache";
        if (path.EndsWith(".html", StringComparison.Ordinal))
        {
            // The pages use <base href="/designer/">; behind a path base the base moves with it.
            var html = File.ReadAllText(file.PhysicalPath);
            html = html.Replace("<base href=\"/designer/\"", $"<base href=\"{http.Request.PathBase}{ElsaStudioSetup.DesignerPrefix}/\"", StringComparison.Ordinal);
            http.Response.Headers.ContentSecurityPolicy = SecurityHeaders.DesignerPolicy(html, _renderedScripts.Value);
            http.Response.Headers.XFrameOptions = "DENY";
            return Results.Text(html, "text/html; charset=utf-8");
        }

        // The npm package ships Brotli and gzip twins of every file; send one when the browser takes it.
        var physical = file.PhysicalPath;
        var encoding = fromBundle ? PickEncoding(http.Request.Headers.AcceptEncoding.ToString(), physical) : null;
        if (encoding is not null)
        {
            physical += encoding == "br" ? ".br" : ".gz";
            http.Response.Headers.ContentEncoding = encoding;
            http.Response.Headers.Vary = HeaderNames.AcceptEncoding;
        }

        var info = new FileInfo(physical);
        var etag = new EntityTagHeaderValue($"\"{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}{encoding}\"");
        return Results.File(physical, contentType, lastModified: info.LastWriteTimeUtc, entityTag: etag);
    }

    /// <summary>
    /// Inline scripts the Studio's own components render as markup (e.g. the editor's Ctrl+S
    /// hotkeys). The Content-Security-Policy allows them by hash, so they are read from the
    /// assemblies of the installed bundle (string literals are UTF-16 in .NET metadata) once, on
    /// the first page served: a newer bundle brings its own scripts and their hashes follow.
    /// </summary>
    private static IReadOnlyList<string> RenderedScripts(string? framework)
    {
        if (framework is null || !Directory.Exists(framework))
        {
            return [];
        }

        var scripts = new List<string>();
        var marker = System.Text.Encoding.Unicode.GetBytes("<script>");
        foreach (var file in Directory.EnumerateFiles(framework, "Elsa.Studio*.wasm"))
        {
            var bytes = File.ReadAllBytes(file);
            if (bytes.AsSpan().IndexOf(marker) < 0 && bytes.AsSpan(1).IndexOf(marker) < 0)
            {
                continue;
            }

            // A literal starts at an even or an odd offset (its length prefix is 1 to 4 bytes): read both ways.
            foreach (var offset in new[] { 0, 1 })
            {
                scripts.AddRange(SecurityHeaders.InlineScripts(System.Text.Encoding.Unicode.GetString(bytes, offset, bytes.Length - offset)));
            }
        }

        return scripts;
    }

    private static string? PickEncoding(string acceptEncoding, string physicalPath)
    {
        if (acceptEncoding.Contains("br", StringComparison.OrdinalIgnoreCase) && File.Exists(physicalPath + ".br"))
        {
            return "br";
        }

        return acceptEncoding.Contains("gzip", StringComparison.OrdinalIgnoreCase) && File.Exists(physicalPath + ".gz") ? "gzip" : null;
    }

    private static string? Locate(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var full = Path.GetFullPath(configured, contentRoot);
            return Directory.Exists(full) ? full : null;
        }

        foreach (var start in new[] { contentRoot, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "designer");
                if (File.Exists(Path.Combine(candidate, "package.json")) && Directory.Exists(Path.Combine(candidate, "pages")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "Designer folder not found (looked above {ContentRoot} and {BaseDirectory}); /designer is unavailable")]
    private static partial void DesignerNotFound(ILogger logger, string contentRoot, string baseDirectory);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Elsa Studio bundle missing at {Bundle}; run 'npm ci' in {Designer} (the server build does this when node_modules is missing)")]
    private static partial void BundleMissing(ILogger logger, string bundle, string designer);

    [GeneratedRegex(@"^workflows/instances/[^/]+/view$")]
    private static partial Regex InstanceViewPath();

    [GeneratedRegex(@"^workflows/definitions/[^/]+/edit$")]
    private static partial Regex DefinitionEditPath();
}
