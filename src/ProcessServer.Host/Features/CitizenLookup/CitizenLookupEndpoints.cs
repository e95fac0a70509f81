using System.Globalization;
using System.Reflection;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using ProcessServer.Host.Infrastructure;

namespace ProcessServer.Host.Features.CitizenLookup;

/// <summary>The citizens' look-up (configuration <c>ProcessServer:Lookup</c>).</summary>
public sealed class LookupOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:Lookup";

    /// <summary>Look-ups and ratings one client address may make per <see cref="Window"/>.</summary>
    public int PermitLimit { get; set; } = 10;

    /// <summary>The rate limit's window.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Public address of the look-up page, as citizens reach it (behind the province's portal or
    /// proxy): quoted in messages and encoded in the QR code on the receipt.
    /// </summary>
    public string PublicUrl { get; set; } = "http://localhost:5080/tra-cuu";

    /// <summary>The page's address for one dossier: the receipt code in the query, the secret (when given) in the fragment, which browsers never send.</summary>
    public string LinkFor(string receiptCode, string? secret = null) =>
        $"{PublicUrl}?ma={Uri.EscapeDataString(receiptCode)}{(secret is null ? string.Empty : $"#k={Uri.EscapeDataString(secret)}")}";
}

/// <summary>
/// The public look-up page (<c>/tra-cuu</c>, Vietnamese) and its two anonymous endpoints:
/// <c>POST /api/public/lookup</c> and <c>POST /api/public/rating</c>. Both are rate-limited per client
/// address, so a secret cannot be guessed by trying; a wrong receipt code and a wrong secret get
/// the same answer.
/// </summary>
public static class CitizenLookupEndpoints
{
    /// <summary>Name of the rate-limiting policy.</summary>
    public const string RatePolicy = "citizen-lookup";

    private const string NotFoundTitle = "Không tìm thấy hồ sơ";
    private const string NotFoundDetail = "Mã hồ sơ hoặc mã tra cứu không đúng. Xin kiểm tra lại trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả.";

    private static readonly Dictionary<string, (string File, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["/tra-cuu"] = ("index.html", "text/html; charset=utf-8"),
        ["/tra-cuu/tra-cuu.js"] = ("tra-cuu.js", "text/javascript; charset=utf-8"),
        ["/tra-cuu/tra-cuu.css"] = ("tra-cuu.css", "text/css; charset=utf-8"),
    };

    /// <summary>Registers the service, options and the rate limit.</summary>
    public static WebApplicationBuilder AddCitizenLookup(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<LookupOptions>(builder.Configuration.GetSection(LookupOptions.Section));
        builder.Services.AddScoped<CitizenLookupService>();
        // A policy of its own (with its own rejection in Vietnamese for citizens) rather than the
        // limiter's OnRejected, which belongs to the server-wide key limits.
        builder.Services.AddRateLimiter(o => o.AddPolicy<string, LookupRatePolicy>(RatePolicy));
        return builder;
    }

    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var (path, (file, contentType)) in Assets)
        {
            var content = Read(file);
            app.MapGet(path, () => Results.Text(content, contentType)).ExcludeFromDescription().AllowAnonymous();
        }

        var api = app.MapGroup("/api/public").WithTags("Citizens").AllowAnonymous().RequireRateLimiting(RatePolicy);
        api.MapPost("/lookup", LookupAsync)
            .WithName("CitizenLookup")
            .WithSummary("An applicant's look-up: receipt code and the secret printed on the receipt")
            .WithDescription("Answers the status in words, the national status code, the agencies holding the dossier, the appointment, a supplement asked for and the result; nothing personal. A wrong code and a wrong secret get the same 404. Rate-limited per client address (429).")
            .Accepts<LookupRequest>("application/json")
            .Produces<LookupView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapPost("/rating", RateAsync)
            .WithName("CitizenRating")
            .WithSummary("The applicant rates the service once, after the result was returned")
            .Accepts<RatingRequest>("application/json")
            .Produces(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
    }

    private static async Task<IResult> LookupAsync(HttpContext http, CitizenLookupService lookup, CancellationToken cancellationToken)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<LookupRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = Required(request!.ReceiptCode, request.Secret);
        if (errors.Count > 0)
        {
            return Problems.Validation("Thiếu thông tin tra cứu", errors);
        }

        var view = await lookup.LookupAsync(request.ReceiptCode!, request.Secret!, cancellationToken);
        return view is null ? NotFound() : TypedResults.Ok(view);
    }

    private static async Task<IResult> RateAsync(HttpContext http, CitizenLookupService lookup, FieldLimits limits, CancellationToken cancellationToken)
    {
        var (_, request, problem) = await JsonBody.ReadAsync<RatingRequest>(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var errors = Required(request!.ReceiptCode, request.Secret);
        if (request.Satisfied is null)
        {
            errors["satisfied"] = ["Xin chọn hài lòng (true) hoặc không hài lòng (false)."];
        }

        limits.Comment(errors, "comment", request.Comment);
        if (errors.Count > 0)
        {
            return Problems.Validation("Đánh giá chưa đầy đủ", errors);
        }

        return await lookup.RateAsync(request.ReceiptCode!, request.Secret!, request.Satisfied!.Value, request.Comment, cancellationToken) switch
        {
            RatingOutcome.Recorded => TypedResults.Created((string?)null, new { message = "Cảm ơn Ông/Bà đã đánh giá." }),
            RatingOutcome.NotYet => Problems.Result(StatusCodes.Status409Conflict, "Chưa thể đánh giá",
                "Ông/Bà có thể đánh giá sau khi đã nhận kết quả giải quyết hồ sơ."),
            RatingOutcome.AlreadyRated => Problems.Result(StatusCodes.Status409Conflict, "Đã đánh giá", "Mỗi hồ sơ chỉ được đánh giá một lần."),
            _ => NotFound(),
        };
    }

    private static Dictionary<string, string[]> Required(string? receiptCode, string? secret)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(receiptCode) || receiptCode.Length > 64)
        {
            errors["receiptCode"] = ["Xin nhập mã hồ sơ in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."];
        }

        if (string.IsNullOrWhiteSpace(secret) || secret.Length > 32)
        {
            errors["secret"] = ["Xin nhập mã tra cứu in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."];
        }

        return errors;
    }

    private static IResult NotFound() => Problems.Result(StatusCodes.Status404NotFound, NotFoundTitle, NotFoundDetail);

    private static string Read(string file)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"ProcessServer.Host.Features.CitizenLookup.Page.{file}")
            ?? throw new InvalidOperationException($"The look-up page's {file} is not embedded in the server.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

/// <summary>Per client address: a citizen's look-ups and ratings (fixed window from <see cref="LookupOptions"/>).</summary>
internal sealed class LookupRatePolicy(IOptionsMonitor<LookupOptions> options) : IRateLimiterPolicy<string>
{
    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (context, cancellationToken) =>
    {
        var response = context.HttpContext.Response;
        if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        await Problems.Write(context.HttpContext, StatusCodes.Status429TooManyRequests, "Quá nhiều lần tra cứu",
            "Ông/Bà đã tra cứu quá nhiều lần trong thời gian ngắn. Xin thử lại sau ít phút.");
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var settings = options.CurrentValue;
        return RateLimitPartition.GetFixedWindowLimiter(
            httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = Math.Max(1, settings.PermitLimit), Window = settings.Window, QueueLimit = 0 });
    }
}
