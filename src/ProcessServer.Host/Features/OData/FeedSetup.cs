using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.OData;
using Microsoft.AspNetCore.OData.Batch;
using Microsoft.AspNetCore.OData.Query.Expressions;
using Microsoft.AspNetCore.ResponseCompression;
using Microsoft.OData;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.OData;

/// <summary>
/// The OData v4 reporting feed at <c>/odata/v1</c> for Excel and Power BI, on Microsoft.AspNetCore.OData:
/// service document, <c>$metadata</c>, the entity sets with every query option the library binds, and
/// <c>$batch</c>. Read-only; Reporter and Administrator keys (header, <c>api_key</c> query parameter,
/// or the password of HTTP Basic authentication).
/// </summary>
public static class FeedSetup
{
    /// <summary>The versioned route of the feed.</summary>
    public const string Route = "/odata/v1";

    /// <summary>Registers the library with the feed's model, batch handler and date-twin binder.</summary>
    public static WebApplicationBuilder AddReportingFeed(this WebApplicationBuilder builder)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(builder.Configuration.GetSection(ServerOptions.Section).Get<ServerOptions>()?.TimeZone ?? new ServerOptions().TimeZone);
        builder.Services.AddControllers().AddOData(options =>
        {
            options.EnableQueryFeatures();
            // Instants are stored in UTC and published with Z.
            options.TimeZone = TimeZoneInfo.Utc;
            options.AddRouteComponents(Route.TrimStart('/'), FeedModel.Model, services =>
            {
                services.AddSingleton<ODataBatchHandler>(new DefaultODataBatchHandler());
                services.AddSingleton<IFilterBinder>(new FeedFilterBinder(zone));
                services.AddSingleton<IAggregationBinder, NullSumAggregationBinder>();
            });
        });

        // Pages of a thousand rows shrink about tenfold; Power Query asks for gzip.
        builder.Services.AddResponseCompression(o =>
        {
            o.EnableForHttps = true;
            o.Providers.Add<GzipCompressionProvider>();
        });
        builder.Services.Configure<GzipCompressionProviderOptions>(o => o.Level = CompressionLevel.Fastest);
        return builder;
    }

    /// <summary>$batch, before routing: each part goes through routing, authentication and the gate again.</summary>
    public static WebApplication UseReportingFeedBatching(this WebApplication app)
    {
        app.UseODataBatching();
        return app;
    }

    /// <summary>The gate in front of the feed's endpoints (after authentication), and the controllers.</summary>
    public static WebApplication UseReportingFeed(this WebApplication app)
    {
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Route), feed =>
        {
            // A part of a $batch inherits the batch's Accept-Encoding; only the batch as a whole is compressed.
            feed.UseWhen(http => http.Request.GetODataBatchId() is null, whole => whole.UseResponseCompression());
            feed.UseMiddleware<FeedGate>();
        });
        app.MapControllers();
        return app;
    }
}

/// <summary>
/// In front of every feed request: the key check with an OData error and a Basic challenge, CSDL XML
/// for <c>$metadata</c> whatever the Accept header, and a buffered response, so that a failure while
/// the library writes a page becomes an OData error instead of a body cut off mid-way under a 200
/// (the library streams; a min/max of instants in $apply used to end that way). Error bodies carry a
/// code and a message and, outside Development, nothing else (no stack trace, no inner error).
/// </summary>
internal sealed class FeedGate(RequestDelegate next, IHostEnvironment environment, ILogger<FeedGate> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var response = http.Response;
        response.Headers.CacheControl = "no-store";
        if (http.User.Identity?.IsAuthenticated != true)
        {
            response.Headers.WWWAuthenticate = new Microsoft.Extensions.Primitives.StringValues(["Basic realm=\"ProcessServer\", charset=\"UTF-8\"", "ApiKey"]);
            await WriteErrorAsync(http, 401, "Unauthorized",
                $"Send a Reporter or Administrator API key: HTTP Basic (any user name, the key as password), the X-Api-Key header, or the {ApiKeyAuthenticationHandler.QueryParameter} query parameter.");
            return;
        }

        var caller = Caller.From(http.User);
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

        if (http.Request.Path.Value?.EndsWith("/$metadata", StringComparison.Ordinal) == true)
        {
            // Power BI rejects a JSON metadata document ("None of the supported type(s) 'application/xml'
            // matches …"); the library would answer JSON CSDL to Accept: application/json.
            http.Request.Headers.Accept = "application/xml";
        }

        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await next(http);
        }
        catch (Exception e) when (!response.HasStarted)
        {
            response.Body = original;
            response.Clear();
            response.Headers.CacheControl = "no-store";
            var (status, code, message, target) = Describe(e);
            if (status >= 500)
            {
                Log.FeedRequestFailed(logger, e, http.Request.Path);
            }

            await WriteErrorAsync(http, status, code, message, target, environment.IsDevelopment() && status >= 500 ? e : null);
            return;
        }
        finally
        {
            response.Body = original;
        }

        response.Headers["OData-Version"] = "4.0";
        if (response.StatusCode >= 400 && buffer.Length == 0)
        {
            await WriteErrorAsync(http, response.StatusCode, response.StatusCode switch
            {
                404 => "NotFound",
                405 => "MethodNotAllowed",
                406 => "NotAcceptable",
                _ => "BadRequest",
            }, response.StatusCode switch
            {
                404 => $"'{http.Request.Path}' is not a resource of this service; see the service document at {FeedSetup.Route}/.",
                405 => "The reporting feed is read-only: GET (and POST $batch of GETs) only.",
                _ => "The request cannot be answered.",
            });
            return;
        }

        response.ContentLength = null;
        buffer.Position = 0;
        await buffer.CopyToAsync(original, http.RequestAborted);
    }

    private static (int Status, string Code, string Message, string? Target) Describe(Exception e) => e switch
    {
        FeedQueryException f => (f.Status, f.Code, f.Message, f.Target),
        ODataException when e.Message.StartsWith("Aggregation '", StringComparison.Ordinal) && e.Message.Contains("not supported", StringComparison.Ordinal) =>
            (400, "UnsupportedApply", "This aggregation does not apply to the property's type: sum and average take numbers; min and max take numbers, dates and instants; countdistinct takes any.", "$apply"),
        ODataException => (400, "InvalidQuery", e.Message, null),
        // The OData parser refuses some literals with an argument error rather than an ODataException
        // (an empty text '' inside an 'in' list; found by the fault suite's request fuzzing): still the query's fault.
        ArgumentException when e.StackTrace?.Contains("Microsoft.OData", StringComparison.Ordinal) == true =>
            (400, "InvalidQuery", $"The query cannot be parsed: {e.Message} An empty text '' inside an 'in' list is not supported; write Name eq '' instead.", null),
        InvalidOperationException when e.Message.Contains("could not be translated", StringComparison.Ordinal) =>
            (400, "UnsupportedQuery", "This combination of query options cannot be evaluated by the database; simplify the expression.", null),
        InvalidOperationException when e.Message.Contains("is not defined for the types", StringComparison.Ordinal) =>
            (400, "UnsupportedOperator", e.Message, null),
        NotImplementedException or NotSupportedException => (400, "UnsupportedExpression", e.Message, null),
        // The library's binders build LINQ expressions from the query; a type mismatch they do not check
        // (an in-list mixing dates and instants, a string aggregate compared with a number; found by the
        // fault suite's request fuzzing) surfaces as an argument, cast or operation error: the query's fault.
        ArgumentException or InvalidCastException or InvalidOperationException when e.StackTrace?.Contains("Microsoft.AspNetCore.OData.Query", StringComparison.Ordinal) == true =>
            (400, "UnsupportedExpression", "The query combines values of types that cannot be compared (for example a date with an instant in one 'in' list, or a text with a number); give literals of the property's own type.", null),
        ArithmeticException or FormatException => (400, "InvalidQuery", e.Message, null),
        _ => (500, "InternalError", "The server could not answer this request; the error is in its log.", null),
    };

    /// <summary>An OData JSON error: <c>{"error":{"code","message","target"}}</c>; an inner error only in Development.</summary>
    internal static async Task WriteErrorAsync(HttpContext http, int status, string code, string message, string? target = null, Exception? debug = null)
    {
        var error = new Dictionary<string, object> { ["code"] = code, ["message"] = message };
        if (target is not null)
        {
            error["target"] = target;
        }

        if (debug is not null)
        {
            error["innererror"] = new Dictionary<string, string> { ["type"] = debug.GetType().FullName ?? "", ["message"] = debug.Message, ["stacktrace"] = debug.StackTrace ?? "" };
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["error"] = error });
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json;odata.metadata=minimal;charset=utf-8";
        http.Response.Headers["OData-Version"] = "4.0";
        http.Response.ContentLength = null;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }
}
