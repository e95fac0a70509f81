using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.OData;
using Microsoft.OData.Edm;
using Microsoft.OData.UriParser;
using Microsoft.OData.UriParser.Aggregation;
using ProcessServer.Host.Features.Reports;
using ProcessServer.Host.Infrastructure;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The OData v4 reporting feed at <c>/odata/v1</c> for Excel and Power BI: service document,
/// <c>$metadata</c> (CSDL XML whatever the Accept header says), entity sets with $filter, $select,
/// $orderby, $top, $skip, $count, /$count, $apply and server-driven paging. Read-only; Reporter and
/// Administrator keys, sent as a header, as the <c>api_key</c> query parameter, or as the password of
/// HTTP Basic authentication.
/// </summary>
public static class ODataEndpoints
{
    /// <summary>The versioned route of the feed.</summary>
    public const string Route = "/odata/v1";

    private static readonly string[] KnownOptions = ["$filter", "$select", "$orderby", "$top", "$skip", "$count", "$apply", "$skiptoken", "$format"];

    /// <summary>Maps the feed.</summary>
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet(Route + "/{**path}", HandleAsync).AllowAnonymous().ExcludeFromDescription();

    private static async Task HandleAsync(HttpContext http, string? path, ReportingFeed feed, ProcessServerDbContext db, TimeProvider clock,
        Microsoft.Extensions.Options.IOptions<ServerOptions> server)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            http.Response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues(["Basic realm=\"ProcessServer\", charset=\"UTF-8\"", "ApiKey"]);
            await WriteErrorAsync(http, 401, "Unauthorized",
                $"Send a Reporter or Administrator API key: HTTP Basic (any user name, the key as password), the X-Api-Key header, or the {ApiKeyAuthenticationHandler.QueryParameter} query parameter.");
            return;
        }

        var caller = Caller.From(user);
        if (caller.Role is not (Roles.Reporter or Roles.Administrator))
        {
            await WriteErrorAsync(http, 403, "Forbidden", "The reporting feed is open to Reporter and Administrator keys only.");
            return;
        }

        if (PeopleSignIn.MissingUnit(caller) is { } missing)
        {
            await WriteErrorAsync(http, 403, "Forbidden", missing);
            return;
        }

        var serviceRoot = new Uri($"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{Route}/");
        FeedClock.Now = clock.GetUtcNow().UtcDateTime;
        try
        {
            path ??= string.Empty;
            if (path.Length == 0)
            {
                await WriteServiceDocumentAsync(http, feed, serviceRoot);
            }
            else if (path == "$metadata")
            {
                await SendAsync(http, 200, "application/xml", feed.Metadata.ToArray());
            }
            else
            {
                var context = new FeedContext
                {
                    Db = db,
                    Caller = caller,
                    Now = FeedClock.Now,
                    Zone = TimeZoneInfo.FindSystemTimeZoneById(server.Value.TimeZone),
                    Services = http.RequestServices,
                    Query = http.Request.Query,
                };
                await HandleResourceAsync(http, feed, serviceRoot, path, context);
            }
        }
        catch (FeedQueryException e)
        {
            await WriteErrorAsync(http, e.Status, e.Code, e.Message, e.Target);
        }
        catch (ODataException e)
        {
            await WriteErrorAsync(http, 400, "InvalidQuery", e.Message);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("could not be translated", StringComparison.Ordinal))
        {
            await WriteErrorAsync(http, 400, "UnsupportedQuery", "This combination of query options cannot be evaluated by the database; simplify the expression.");
        }
        catch (ArithmeticException e)
        {
            await WriteErrorAsync(http, 400, "InvalidQuery", e.Message);
        }
        catch (ArgumentException e) when (e.StackTrace?.Contains("Microsoft.OData.UriParser", StringComparison.Ordinal) == true)
        {
            // The OData parser refuses some literals with an argument error rather than an
            // ODataException (an empty text '' inside an 'in' list): still the query's fault.
            await WriteErrorAsync(http, 400, "InvalidQuery",
                $"The query cannot be parsed: {e.Message} An empty text '' inside an 'in' list is not supported; write Name eq '' instead.");
        }
    }

    private static async Task HandleResourceAsync(HttpContext http, ReportingFeed feed, Uri serviceRoot, string path, FeedContext context)
    {
        foreach (var option in http.Request.Query.Keys)
        {
            if (option.StartsWith('$') && !KnownOptions.Contains(option))
            {
                throw new FeedQueryException("UnsupportedQueryOption",
                    $"The query option '{option}' is not supported. Supported: {string.Join(", ", KnownOptions.Where(o => o != "$skiptoken"))}.", option);
            }
        }

        var requestUri = new Uri(serviceRoot, new PathString("/" + path).ToUriComponent().TrimStart('/') + http.Request.QueryString.Value);
        var parser = new ODataUriParser(feed.Model, serviceRoot, requestUri) { Resolver = new ODataUriResolver { EnableCaseInsensitive = false } };
        ODataPath odataPath;
        try
        {
            odataPath = parser.ParsePath();
        }
        catch (ODataException e)
        {
            throw new FeedQueryException("NotFound", e.Message, status: 404);
        }

        var segments = odataPath.ToList();
        FeedSet? set = null;
        IReadOnlyList<KeyValuePair<string, object>>? key = null;
        var countOnly = false;
        (DateOnly, DateOnly)? period = null;
        switch (segments[0])
        {
            case EntitySetSegment entitySet:
                set = feed.Find(entitySet.EntitySet.Name);
                break;
            case OperationImportSegment operation when operation.OperationImports.First().Name == ReportingFeed.ReportFunction:
                set = feed.Find("PeriodReport");
                period = ReadPeriod(operation);
                break;
        }

        if (set is null)
        {
            throw new FeedQueryException("NotFound", $"'{path}' is not a resource of this service; see the service document.", status: 404);
        }

        foreach (var segment in segments.Skip(1))
        {
            switch (segment)
            {
                case KeySegment k when key is null && !countOnly && period is null:
                    key = k.Keys.ToList();
                    break;
                case CountSegment when !countOnly && key is null:
                    countOnly = true;
                    break;
                default:
                    throw new FeedQueryException("NotFound", $"'{path}' is not a resource of this service (only Set, Set(key) and Set/$count are).", status: 404);
            }
        }

        context = period is null ? context : new FeedContext
        {
            Db = context.Db,
            Caller = context.Caller,
            Now = context.Now,
            Zone = context.Zone,
            Services = context.Services,
            Query = context.Query,
            Period = period,
        };

        var apply = parser.ParseApply();
        var filter = parser.ParseFilter();
        var select = parser.ParseSelectAndExpand();
        var orderBy = parser.ParseOrderBy();
        var top = parser.ParseTop();
        var skip = parser.ParseSkip();
        var count = parser.ParseCount() ?? false;
        var skipToken = parser.ParseSkipToken();
        if (apply is not null && (filter is not null || select is not null && !select.AllSelected))
        {
            throw new FeedQueryException("UnsupportedApply", "With $apply, put filters inside it (filter(…)/groupby(…)) and leave out $filter and $select.", "$apply");
        }

        if (top is < 0 || skip is < 0)
        {
            throw new FeedQueryException("InvalidQuery", "$top and $skip must not be negative.");
        }

        var (pageSize, preferred) = PageSize(http.Request);
        var request = new FeedRequest
        {
            Filter = filter,
            OrderBy = orderBy,
            Select = select,
            Apply = apply,
            Top = top,
            Skip = skip,
            Count = count,
            SkipToken = skipToken,
            PageSize = pageSize,
            Key = key,
        };

        if (countOnly)
        {
            var total = await set.CountAsync(request, context, http.RequestAborted);
            await SendAsync(http, 200, "text/plain;charset=utf-8", Encoding.UTF8.GetBytes(total.ToString(CultureInfo.InvariantCulture)));
            return;
        }

        var page = await set.ReadAsync(request, context, http.RequestAborted);
        if (key is not null && page.Rows.Count == 0)
        {
            throw new FeedQueryException("NotFound", $"No {set.EntityType.Name} has the key given in '{path}'.", status: 404);
        }

        var settings = WriterSettings(http, serviceRoot, odataPath, select, apply);
        var full = (http.Request.Query["$format"].ToString() + http.Request.Headers.Accept).Contains("odata.metadata=full", StringComparison.OrdinalIgnoreCase);
        ODataResource Resource(int index)
        {
            var resource = new ODataResource { Properties = page.Columns.Select((c, i) => new ODataProperty { Name = c.Name, Value = page.Rows[index][i] }).ToList() };
            if (full && page.Keys is { } keys)
            {
                // Full metadata needs the entity id even when $select leaves the key out.
                var id = new Uri(serviceRoot, set.Name + "(" + string.Join(',', keys[index].Select(k => keys[index].Count == 1
                    ? ODataUriUtils.ConvertToUriLiteral(k.Value, ODataVersion.V4)
                    : k.Key + "=" + ODataUriUtils.ConvertToUriLiteral(k.Value, ODataVersion.V4))) + ")");
                resource.Id = id;
                resource.ReadLink = id;
                resource.EditLink = id;
            }

            return resource;
        }

        var message = new BufferedResponseMessage();
        using (var writer = new ODataMessageWriter(message, settings, feed.Model))
        {
            if (key is not null)
            {
                var entity = await writer.CreateODataResourceWriterAsync(set.EntitySet, set.EntityType);
                await entity.WriteStartAsync(Resource(0));
                await entity.WriteEndAsync();
                await entity.FlushAsync();
            }
            else
            {
                var resources = await writer.CreateODataResourceSetWriterAsync(set.EntitySet, set.EntityType);
                await resources.WriteStartAsync(new ODataResourceSet
                {
                    Count = page.Count,
                    NextPageLink = page.NextToken is null ? null : NextLink(http.Request, serviceRoot, path, page.NextToken),
                });
                for (var i = 0; i < page.Rows.Count; i++)
                {
                    await resources.WriteStartAsync(Resource(i));
                    await resources.WriteEndAsync();
                }

                await resources.WriteEndAsync();
                await resources.FlushAsync();
            }
        }

        if (preferred)
        {
            message.SetHeader("Preference-Applied", $"odata.maxpagesize={page.PageSize}");
        }

        await SendAsync(http, 200, message);
    }

    private static (DateOnly, DateOnly) ReadPeriod(OperationImportSegment operation)
    {
        DateOnly Read(string name)
        {
            var parameter = operation.Parameters.FirstOrDefault(p => p.Name == name)
                ?? throw new FeedQueryException("InvalidReportParameter", $"{ReportingFeed.ReportFunction} needs the parameter {name}, e.g. {ReportingFeed.ReportFunction}(From=2026-01-01,To=2026-06-30).");
            var value = parameter.Value is ConstantNode constant ? constant.Value : parameter.Value;
            return value is Date date
                ? new DateOnly(date.Year, date.Month, date.Day)
                : throw new FeedQueryException("InvalidReportParameter", $"{name} must be a date literal such as 2026-06-30.");
        }

        var (from, to) = (Read("From"), Read("To"));
        return to < from
            ? throw new FeedQueryException("InvalidReportParameter", $"the period ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd})")
            : (from, to);
    }

    private static ODataMessageWriterSettings WriterSettings(HttpContext http, Uri serviceRoot, ODataPath path, SelectExpandClause? select, ApplyClause? apply)
    {
        var settings = new ODataMessageWriterSettings
        {
            BaseUri = serviceRoot,
            EnableMessageStreamDisposal = false,
            Version = ODataVersion.V4,
            ODataUri = new ODataUri { ServiceRoot = serviceRoot, Path = path, SelectAndExpand = select, Apply = apply },
        };
        if (apply is not null)
        {
            settings.Validations &= ~ValidationKinds.ThrowOnUndeclaredPropertyForNonOpenType;
        }

        var format = http.Request.Query["$format"].ToString();
        var accept = format.Length > 0
            ? format.Equals("json", StringComparison.OrdinalIgnoreCase) ? "application/json"
            : format.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ? format
            : throw new FeedQueryException("UnsupportedFormat", "$format accepts json or application/json[;odata.metadata=minimal|full|none] only.", "$format")
            : http.Request.Headers.Accept.ToString();
        // A client that accepts no JSON (a browser asking for text/html first still accepts */*) gets JSON anyway.
        var acceptsJson = accept.Length == 0 || accept.Contains("json", StringComparison.OrdinalIgnoreCase) || accept.Contains("*/*", StringComparison.Ordinal);
        settings.SetContentType(acceptsJson ? accept : "application/json;odata.metadata=minimal", "utf-8");
        return settings;
    }

    private static (int Size, bool Preferred) PageSize(HttpRequest request)
    {
        foreach (var header in request.Headers["Prefer"])
        {
            foreach (var preference in (header ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                var parts = preference.Split('=', 2, StringSplitOptions.TrimEntries);
                if (parts.Length == 2 && (parts[0].Equals("odata.maxpagesize", StringComparison.OrdinalIgnoreCase) || parts[0].Equals("maxpagesize", StringComparison.OrdinalIgnoreCase))
                    && int.TryParse(parts[1].Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var size) && size > 0)
                {
                    return (Math.Min(size, FeedPaging.MaxPageSize), true);
                }
            }
        }

        return (FeedPaging.DefaultPageSize, false);
    }

    /// <summary>The absolute next link: the same path and every query option (the api_key too), with the new skip token.</summary>
    private static Uri NextLink(HttpRequest request, Uri serviceRoot, string path, string token)
    {
        var options = new List<string>();
        foreach (var (name, values) in request.Query)
        {
            if (name == "$skiptoken")
            {
                continue;
            }

            foreach (var value in values)
            {
                options.Add(Uri.EscapeDataString(name).Replace("%24", "$", StringComparison.Ordinal) + "=" + Uri.EscapeDataString(value ?? string.Empty));
            }
        }

        options.Add("$skiptoken=" + token);
        return new Uri(serviceRoot, new PathString("/" + path).ToUriComponent().TrimStart('/') + "?" + string.Join('&', options));
    }

    private static async Task WriteServiceDocumentAsync(HttpContext http, ReportingFeed feed, Uri serviceRoot)
    {
        var settings = WriterSettings(http, serviceRoot, new ODataPath(), null, null);
        var message = new BufferedResponseMessage();
        using (var writer = new ODataMessageWriter(message, settings, feed.Model))
        {
            await writer.WriteServiceDocumentAsync(feed.Model.GenerateServiceDocument());
        }

        await SendAsync(http, 200, message);
    }

    /// <summary>An OData JSON error: <c>{"error":{"code","message","target"}}</c>.</summary>
    internal static Task WriteErrorAsync(HttpContext http, int status, string code, string message, string? target = null)
    {
        var error = new Dictionary<string, string> { ["code"] = code, ["message"] = message };
        if (target is not null)
        {
            error["target"] = target;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["error"] = error });
        return SendAsync(http, status, "application/json;odata.metadata=minimal;charset=utf-8", body);
    }

    private static Task SendAsync(HttpContext http, int status, BufferedResponseMessage message)
    {
        foreach (var (name, value) in message.Headers)
        {
            http.Response.Headers[name] = value;
        }

        return SendAsync(http, status, message.Headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value
            ?? "application/json;charset=utf-8", message.Body.ToArray());
    }

    private static async Task SendAsync(HttpContext http, int status, string contentType, byte[] body)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.Headers["OData-Version"] = "4.0";
        response.Headers.CacheControl = "no-store";
        if (body.Length > 1024 && http.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            using var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await gzip.WriteAsync(body, http.RequestAborted);
            }

            body = compressed.ToArray();
            response.Headers.ContentEncoding = "gzip";
            response.Headers.Vary = "Accept-Encoding";
        }

        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>ODataLib's response message over a buffer, so a page is complete before a byte is sent.</summary>
    private sealed class BufferedResponseMessage : IODataResponseMessageAsync
    {
        private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

        public MemoryStream Body { get; } = new();

        public IEnumerable<KeyValuePair<string, string>> Headers => _headers;

        public int StatusCode { get; set; } = 200;

        public string GetHeader(string headerName) => _headers.TryGetValue(headerName, out var value) ? value : null!;

        public void SetHeader(string headerName, string headerValue)
        {
            if (headerValue is null)
            {
                _headers.Remove(headerName);
            }
            else
            {
                _headers[headerName] = headerValue;
            }
        }

        public Stream GetStream() => Body;

        public Task<Stream> GetStreamAsync() => Task.FromResult<Stream>(Body);
    }
}
