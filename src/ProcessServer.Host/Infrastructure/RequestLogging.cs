using System.Diagnostics;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// One structured log event per request (Serilog.AspNetCore's middleware is not available here):
/// method, path, status, elapsed time and the API key name.
/// </summary>
public sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var caller = context.User.Identity?.Name ?? "anonymous";
            if (context.Response.StatusCode >= 500)
            {
                Log.RequestFailed(logger, context.Request.Method, context.Request.Path.Value, context.Response.StatusCode, elapsed, caller);
            }
            else
            {
                Log.Request(logger, context.Request.Method, context.Request.Path.Value, context.Response.StatusCode, elapsed, caller);
            }
        }
    }
}
