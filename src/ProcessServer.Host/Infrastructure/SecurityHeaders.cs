using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Response headers every answer carries (no MIME sniffing, no referrer leaving the server), and
/// <c>Cache-Control: no-store</c> on API answers: dossiers carry applicants' names and ID numbers,
/// which no browser or proxy cache should keep. An endpoint that sets its own Cache-Control keeps it.
/// </summary>
public static partial class SecurityHeaders
{
    /// <summary>The middleware.</summary>
    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var path = context.Request.Path;
        var api = path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/elsa/api", StringComparison.OrdinalIgnoreCase);
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            if (api && string.IsNullOrEmpty(headers.CacheControl))
            {
                headers.CacheControl = "no-store";
            }

            return Task.CompletedTask;
        });
        return next(context);
    });

    /// <summary>
    /// The Content-Security-Policy of a designer page. The page holds the administrator's key, so
    /// it may not be framed (clickjacking) and runs no script but its own files, the inline scripts
    /// it was served with and those the Studio's components render (<paramref name="renderedScripts"/>),
    /// each allowed by its hash. Blazor WebAssembly needs 'wasm-unsafe-eval' to compile the .NET
    /// runtime; MudBlazor and Monaco set inline styles and Monaco starts its workers from blob: URLs.
    /// </summary>
    public static string DesignerPolicy(string html, IEnumerable<string> renderedScripts)
    {
        var hashes = InlineScripts(html).Concat(renderedScripts).Distinct(StringComparer.Ordinal)
            .Select(script => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'");
        return string.Join("; ",
            "default-src 'self'",
            $"script-src 'self' 'wasm-unsafe-eval' {string.Join(' ', hashes)}".TrimEnd(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'");
    }

    /// <summary>The bodies of the inline <c>&lt;script&gt;</c> elements of a piece of HTML.</summary>
    public static IEnumerable<string> InlineScripts(string html) => InlineScript().Matches(html).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex InlineScript();
}
