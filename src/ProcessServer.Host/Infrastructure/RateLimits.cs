using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace ProcessServer.Host.Infrastructure;

/// <summary>Rate limits (configuration section <c>ProcessServer:RateLimits</c>); 0 turns a limit off.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ProcessServer:RateLimits";

    /// <summary>
    /// Requests with a wrong key one client address may send per minute; past it every further
    /// wrong key gets 429 until the minute is over, so keys cannot be guessed at network speed.
    /// </summary>
    public int FailedAuthenticationsPerMinute { get; set; } = 20;

    /// <summary>Sustained requests per second one API key may send.</summary>
    public int PerKeyPerSecond { get; set; } = 50;

    /// <summary>Requests one API key may send at once before the per-second rate applies (a designer page load, a feed refresh).</summary>
    public int PerKeyBurst { get; set; } = 200;
}

/// <summary>
/// ASP.NET Core's rate limiter, partitioned after authentication: a request with a valid key counts
/// against that key (token bucket), a request with a key that failed counts against the client's
/// address (fixed window), a request without credentials is not limited here (it gets 401 or is
/// anonymous by design: health, designer files). Rejections are 429 problems with Retry-After.
/// </summary>
public static class RateLimits
{
    /// <summary>Registers the limiter.</summary>
    public static IServiceCollection AddProcessServerRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RateLimitOptions>(configuration.GetSection(RateLimitOptions.Section));
        services.AddRateLimiter(o =>
        {
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(Partition);
            o.OnRejected = RejectAsync;
        });
        return services;
    }

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
        if (context.User.Identity is { IsAuthenticated: true, Name: { } name })
        {
            return options.PerKeyPerSecond <= 0
                ? RateLimitPartition.GetNoLimiter("key")
                : RateLimitPartition.GetTokenBucketLimiter("key:" + name, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = Math.Max(options.PerKeyBurst, options.PerKeyPerSecond),
                    TokensPerPeriod = options.PerKeyPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
        }

        if (context.Items.ContainsKey(ApiKeyAuthenticationHandler.FailedItem) && options.FailedAuthenticationsPerMinute > 0)
        {
            var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            return RateLimitPartition.GetFixedWindowLimiter("failed:" + address, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.FailedAuthenticationsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }

        return RateLimitPartition.GetNoLimiter("anonymous");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var http = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var detail = http.User.Identity?.IsAuthenticated == true
            ? $"Your API key sent more requests than this server allows ({RateLimitOptions.Section}); retry after {seconds} s."
            : $"Too many requests with a wrong API key came from your address; retry after {seconds} s with a valid key.";
        await Problems.Write(http, StatusCodes.Status429TooManyRequests, "Too many requests", detail);
    }
}
