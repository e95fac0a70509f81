using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// <c>/health</c> says the process answers (liveness); <c>/health/ready</c> says it can serve, i.e. its
/// store can be read (readiness, EF Core's DbContext check), and answers 503 when not, so a load
/// balancer or orchestrator stops sending clerks to a server whose database is gone.
/// </summary>
public static class HealthEndpoints
{
    /// <summary>Registers the readiness checks.</summary>
    public static IServiceCollection AddProcessServerHealthChecks(this IServiceCollection services)
    {
        // EF's default test only opens a connection, which succeeds on a SQLite file that is not a
        // database at all (the file is read lazily); reading a row of the schema proves the store.
        services.AddHealthChecks().AddDbContextCheck<ProcessServerDbContext>("store", HealthStatus.Unhealthy,
            customTestQuery: async (db, ct) =>
            {
                await db.WorkflowDefinitions.AsNoTracking().Select(w => w.Id).FirstOrDefaultAsync(ct);
                return true;
            });
        return services;
    }

    /// <summary>Maps <c>/health</c> and <c>/health/ready</c>.</summary>
    public static WebApplication MapProcessServerHealth(this WebApplication app)
    {
        app.MapGet("/health", () => Results.Ok(new { status = "ok" })).WithTags("Server").AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { ResponseWriter = WriteAsync }).AllowAnonymous();
        return app;
    }

    /// <summary>Status per check, without exception text: the reason is in the server's log, not for any caller to read.</summary>
    private static Task WriteAsync(HttpContext http, HealthReport report)
    {
        http.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Status == HealthStatus.Healthy ? "the store can be read" : "the store cannot be read; the reason is in the server's log",
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
