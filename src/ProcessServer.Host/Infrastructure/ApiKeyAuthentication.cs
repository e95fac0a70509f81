using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Authenticates requests by API key: <c>X-Api-Key: key</c>, or <c>Authorization: ApiKey key</c>
/// (what Elsa Studio sends). Keys, roles and units come from configuration.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<ServerOptions> server)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Scheme name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>
    /// Query parameter that may carry the key (Power Query's "Web API" credential sends it there:
    /// <c>OData.Feed(url, null, [ApiKeyName="api_key"])</c>).
    /// </summary>
    public const string QueryParameter = "api_key";

    /// <summary>Key of <see cref="HttpContext.Items"/> set when the request presented a key that is not valid.</summary>
    public static readonly object FailedItem = new();

    /// <summary>Claim holding a unit code the caller works for.</summary>
    public const string UnitClaim = "unit";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = ReadKey(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var match = ApiKeyTable.Find(server.CurrentValue, presented);
        if (match is null)
        {
            // The authentication middleware keeps only successful results; the rate limiter needs the failures.
            Context.Items[FailedItem] = true;
            return Task.FromResult(AuthenticateResult.Fail("The API key is not valid."));
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, match.Name),
            new(ClaimTypes.Name, match.Name),
            new(ClaimTypes.Role, match.Role),
            new(Caller.KindClaim, CallerKinds.ApiKey),
        };
        claims.AddRange(match.Units.Select(u => new Claim(UnitClaim, u)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey";
        await Problems.Write(Context, StatusCodes.Status401Unauthorized, "API key required",
            ReadKey(Request) is not null ? "The API key is not valid. Check it with your administrator."
            : SpreadsheetCredentialsSent(Request) ? $"HTTP Basic and the {QueryParameter} query parameter are accepted only by the OData feed and the CSV report (for Excel and Power BI); send your API key in the X-Api-Key header (or Authorization: ApiKey <key>)."
            : "Send your API key in the X-Api-Key header (or Authorization: ApiKey <key>).");
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Problems.Write(Context, StatusCodes.Status403Forbidden, "Not allowed",
            "Your API key's role does not allow this operation.");
    }

    /// <summary>Paths that take HTTP Basic and the api_key query parameter: the OData feed and the CSV report.</summary>
    public static bool AcceptsSpreadsheetCredentials(PathString path) =>
        path.StartsWithSegments(Features.OData.ODataEndpoints.Route, StringComparison.OrdinalIgnoreCase)
        || path.Equals(Features.Reports.ReportEndpoints.CsvRoute, StringComparison.OrdinalIgnoreCase);

    private static bool SpreadsheetCredentialsSent(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) || request.Query.ContainsKey(QueryParameter);

    private static string? ReadKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrWhiteSpace(header))
        {
            return header.ToString().Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        const string prefix = "ApiKey ";
        if (authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return authorization[prefix.Length..].Trim();
        }

        // HTTP Basic and the query parameter exist for Excel and Power BI, which can send nothing
        // else, and only where they read. Elsewhere a key in a URL ends up in proxy logs and browser
        // history, and Basic makes browsers keep the key and send it on every later visit.
        if (!AcceptsSpreadsheetCredentials(request.Path))
        {
            return null;
        }

        // HTTP Basic (Excel, Power BI, browsers): any user name, the key as password.
        const string basic = "Basic ";
        if (authorization.StartsWith(basic, StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[basic.Length..].Trim()));
                var colon = pair.IndexOf(':', StringComparison.Ordinal);
                return colon < 0 ? pair : pair[(colon + 1)..];
            }
            catch (FormatException)
            {
                return string.Empty;
            }
        }

        // The api_key query parameter; a client repeating it with the same value (a next link it extends) is fine.
        var query = request.Query[QueryParameter];
        return query.Count > 0 && query.All(v => v == query[0]) && !string.IsNullOrWhiteSpace(query[0]) ? query[0]!.Trim() : null;
    }
}

/// <summary>
/// Finds the configured key a request presents in time that depends neither on how much of a key
/// matched nor on which entry matched: both sides are hashed to the same length first (a plain
/// byte comparison returns early on a length difference) and every entry is compared.
/// </summary>
internal static class ApiKeyTable
{
    private static Table? _cache;

    public static ApiKeyOptions? Find(ServerOptions options, string presented)
    {
        var entries = Entries(options);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        ApiKeyOptions? match = null;
        foreach (var (key, expected) in entries)
        {
            if (CryptographicOperations.FixedTimeEquals(expected, hash))
            {
                match ??= key;
            }
        }

        return match;
    }

    private static (ApiKeyOptions Key, byte[] Hash)[] Entries(ServerOptions options)
    {
        // Options instances are replaced, not mutated, when configuration reloads.
        if (_cache is { } cached && ReferenceEquals(cached.Options, options))
        {
            return cached.Entries;
        }

        var entries = options.ApiKeys.Where(k => !string.IsNullOrWhiteSpace(k.Key))
            .Select(k => (k, SHA256.HashData(Encoding.UTF8.GetBytes(k.Key.Trim())))).ToArray();
        _cache = new Table(options, entries);
        return entries;
    }

    private sealed record Table(ServerOptions Options, (ApiKeyOptions Key, byte[] Hash)[] Entries);
}
