using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// Size limits of requests and of the fields stored from them (configuration section
/// <c>ProcessServer:Limits</c>). A comment or a variable value is copied into the journal and into
/// every later response about the dossier, so what one request may store is bounded here.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Limits";

    /// <summary>Largest request body in bytes for every endpoint not listed below (1 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest body of the endpoints that take a whole procedure definition (16 MiB).</summary>
    public long MaxDefinitionBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest history file uploaded for import (default 4 GiB: a province's history in one file).</summary>
    public long MaxImportBodyBytes { get; set; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Longest comment, reason or note, in characters.</summary>
    public int MaxCommentLength { get; set; } = 2000;

    /// <summary>Longest name (an applicant's, a calendar day's), in characters.</summary>
    public int MaxNameLength { get; set; } = 200;

    /// <summary>Most dossier variables one request may set.</summary>
    public int MaxVariables { get; set; } = 50;

    /// <summary>Longest variable name, in characters.</summary>
    public int MaxVariableNameLength { get; set; } = 100;

    /// <summary>Longest variable value, in characters of its JSON text.</summary>
    public int MaxVariableValueLength { get; set; } = 4000;

    /// <summary>
    /// First day of the dates the server works with: receipt instants, report periods, due-date
    /// calculations. Nothing before it can be a dossier of this server (the one-stop mechanism
    /// postdates it), and dates near year 1 break time-zone arithmetic.
    /// </summary>
    public DateOnly EarliestDate { get; set; } = new(2000, 1, 1);

    /// <summary>Last day of the dates the server works with (see <see cref="EarliestDate"/>).</summary>
    public DateOnly LatestDate { get; set; } = new(2099, 12, 31);

    /// <summary>Largest time limit in working days a calculation accepts (about four years).</summary>
    public decimal MaxWorkingDays { get; set; } = 1000m;
}

/// <summary>
/// The field limits every validation uses, so a new endpoint or handler that stores text from a
/// request checks it the same way (and with the same messages). Knows nothing of HTTP: it adds
/// field → message entries to the errors a handler turns into a 400.
/// </summary>
public sealed class FieldLimits(IOptionsMonitor<LimitOptions> options)
{
    /// <summary>The current limits.</summary>
    public LimitOptions Current => options.CurrentValue;

    /// <summary>A comment, reason or note.</summary>
    public void Comment(IDictionary<string, string[]> errors, string field, string? value) =>
        Text(errors, field, value, Current.MaxCommentLength, nameof(LimitOptions.MaxCommentLength));

    /// <summary>A person's or a thing's name.</summary>
    public void Name(IDictionary<string, string[]> errors, string field, string? value) =>
        Text(errors, field, value, Current.MaxNameLength, nameof(LimitOptions.MaxNameLength));

    /// <summary>Dossier variables sent with a request: how many, name lengths, value lengths.</summary>
    public void Variables(IDictionary<string, string[]> errors, string field, IReadOnlyDictionary<string, JsonNode?>? data)
    {
        if (data is null)
        {
            return;
        }

        var limits = Current;
        if (data.Count > limits.MaxVariables)
        {
            Add(errors, field, $"{field} sets {data.Count} variables; at most {limits.MaxVariables} are allowed in one request ({Setting(nameof(LimitOptions.MaxVariables))}).");
            return;
        }

        foreach (var (name, value) in data)
        {
            if (name.Length > limits.MaxVariableNameLength)
            {
                Add(errors, field, $"{field} has a variable name of {name.Length} characters; at most {limits.MaxVariableNameLength} are allowed ({Setting(nameof(LimitOptions.MaxVariableNameLength))}).");
                continue;
            }

            var length = value?.ToJsonString().Length ?? 0;
            if (length > limits.MaxVariableValueLength)
            {
                Add(errors, $"{field}.{name}", $"{field}.{name} is {Count(length)} characters of JSON; at most {Count(limits.MaxVariableValueLength)} are allowed ({Setting(nameof(LimitOptions.MaxVariableValueLength))}). Keep documents in the records system and store a reference.");
            }
        }
    }

    /// <summary>
    /// An instant (a receipt, an event) must fall within <see cref="LimitOptions.EarliestDate"/> and
    /// <see cref="LimitOptions.LatestDate"/>. A field that already has an error is left alone.
    /// </summary>
    public void Instant(IDictionary<string, string[]> errors, string field, DateTimeOffset? value)
    {
        if (value is not { } instant || errors.ContainsKey(field))
        {
            return;
        }

        var limits = Current;
        if (instant.UtcDateTime < limits.EarliestDate.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc)
            || instant.UtcDateTime > limits.LatestDate.ToDateTime(TimeOnly.MaxValue, DateTimeKind.Utc))
        {
            Add(errors, field, $"{field} {instant:yyyy-MM-dd} is outside the dates this server accepts, {Range(limits)}. Check the year.");
        }
    }

    /// <summary>A local date (a report period's end, a calendar day) must fall within the accepted dates.</summary>
    public void Date(IDictionary<string, string[]> errors, string field, DateOnly? value)
    {
        var limits = Current;
        if (value is { } date && !errors.ContainsKey(field) && (date < limits.EarliestDate || date > limits.LatestDate))
        {
            Add(errors, field, $"{field} {date:yyyy-MM-dd} is outside the dates this server accepts, {Range(limits)}.");
        }
    }

    /// <summary>A limit in working days for a calculation.</summary>
    public void WorkingDays(IDictionary<string, string[]> errors, string field, decimal? value)
    {
        var max = Current.MaxWorkingDays;
        if (value is { } days && (days < 0 || days > max))
        {
            Add(errors, field, $"{field} must be between 0 and {max.ToString(CultureInfo.InvariantCulture)} working days ({Setting(nameof(LimitOptions.MaxWorkingDays))}); got {days.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static string Range(LimitOptions limits) =>
        $"{limits.EarliestDate:yyyy-MM-dd} to {limits.LatestDate:yyyy-MM-dd} ({Setting(nameof(LimitOptions.EarliestDate))}, {nameof(LimitOptions.LatestDate)})";

    /// <summary>Any text field with an explicit limit.</summary>
    public static void Text(IDictionary<string, string[]> errors, string field, string? value, int max, string setting)
    {
        if (value is not null && value.Length > max)
        {
            Add(errors, field, $"{field} is {Count(value.Length)} characters; at most {Count(max)} are allowed ({Setting(setting)}).");
        }
    }

    private static void Add(IDictionary<string, string[]> errors, string field, string message) =>
        errors[field] = errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    private static string Setting(string name) => $"{LimitOptions.Section}:{name}";

    private static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);
}

/// <summary>Marks an endpoint that takes a whole procedure definition (a larger body limit).</summary>
public sealed class DefinitionBodyMetadata;

/// <summary>Marks the endpoint that takes a history file for import (the largest body limit).</summary>
public sealed class ImportBodyMetadata;

/// <summary>
/// Per-endpoint request body limits. The limit goes into the server's own request-size feature (so
/// Kestrel stops reading a chunked body that grows past it), and a declared Content-Length over it
/// is answered 413 before authentication and before a byte is read.
/// </summary>
public static class BodyLimits
{
    /// <summary>Gives the endpoint the definition body limit.</summary>
    public static TBuilder TakesDefinitionBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new DefinitionBodyMetadata());

    /// <summary>Gives the endpoint the history import body limit.</summary>
    public static TBuilder TakesImportBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ImportBodyMetadata());

    /// <summary>The middleware; runs after routing has chosen the endpoint.</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var limits = context.RequestServices.GetRequiredService<IOptionsMonitor<LimitOptions>>().CurrentValue;
        var metadata = context.GetEndpoint()?.Metadata;
        var limit = metadata?.GetMetadata<ImportBodyMetadata>() is not null ? limits.MaxImportBodyBytes
            : metadata?.GetMetadata<DefinitionBodyMetadata>() is not null ? limits.MaxDefinitionBodyBytes
            : limits.MaxBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            await Problems.Write(context, StatusCodes.Status413PayloadTooLarge, "Request body too large", TooLarge(limit));
            return;
        }

        await next(context);
    });

    /// <summary>What a 413 says.</summary>
    public static string TooLarge(long? limit) =>
        $"This endpoint takes at most {(limit is { } l ? l.ToString("#,0", CultureInfo.InvariantCulture) : "the configured number of")} bytes "
        + $"({LimitOptions.Section}:{nameof(LimitOptions.MaxBodyBytes)}, or {nameof(LimitOptions.MaxDefinitionBodyBytes)} for procedure definitions). "
        + "Send less: long texts and documents do not belong in a dossier request.";
}

/// <summary>
/// A request the server itself rejected while it was being read (a body past the limit, a broken
/// chunked encoding, a client that stopped sending) answers with its own status and a problem body
/// instead of the exception handler's 500.
/// </summary>
public sealed class BadRequestExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad || httpContext.Response.HasStarted)
        {
            return false;
        }

        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var limit = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            await Problems.Write(httpContext, 413, "Request body too large", BodyLimits.TooLarge(limit));
        }
        else
        {
            await Problems.Write(httpContext, bad.StatusCode, "Request not readable", $"The request could not be read: {bad.Message}");
        }

        return true;
    }
}
