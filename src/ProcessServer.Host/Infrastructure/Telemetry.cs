using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ProcessServer.Persistence;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// OpenTelemetry for operators: traces (one span per request, with the dossier, receipt code and
/// procedure tags the transition pipeline puts on the request's activity, and a child span per
/// database command from EF Core), and metrics (ASP.NET Core's request metrics and the server's own,
/// <see cref="ServerMetrics"/>: transitions and their latency, write-gate wait, deadline lateness,
/// outbox backlog, and .NET's runtime meter: GC, allocation, thread pool). Exported over OTLP when <c>OpenTelemetry:Endpoint</c> is set, and offered for
/// scraping at <c>/metrics</c> (Prometheus text format) when <c>OpenTelemetry:PrometheusEndpoint</c> is
/// true; with neither, nothing is registered and nothing is paid.
/// </summary>
public static class Telemetry
{
    /// <summary>Configuration section.</summary>
    public const string Section = "OpenTelemetry";

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>Registers the SDK with the configured exporters.</summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(Section);
        var endpoint = section["Endpoint"];
        var scrape = section.GetValue<bool>("PrometheusEndpoint");
        var otlp = !string.IsNullOrWhiteSpace(endpoint);
        if (!otlp && !scrape)
        {
            return builder;
        }

        Uri? root = null;
        if (otlp && (!Uri.TryCreate(endpoint, UriKind.Absolute, out root) || root.Scheme is not ("http" or "https")))
        {
            throw new ServerConfigurationException($"{Section}:Endpoint must be an absolute http(s) URL of an OTLP receiver (e.g. http://localhost:4318), not '{endpoint}'.");
        }

        var grpc = string.Equals(section["Protocol"], "grpc", StringComparison.OrdinalIgnoreCase);
        var delay = int.TryParse(section["ExportDelayMilliseconds"], out var ms) && ms > 0 ? ms : 5000;

        // OTLP/HTTP takes one URL per signal (…/v1/traces, …/v1/metrics); gRPC the receiver's root.
        void Otlp(OtlpExporterOptions o, string signal)
        {
            o.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = grpc ? root! : new Uri(root!, root!.AbsolutePath.TrimEnd('/') + "/" + signal);
            o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = delay;
        }

        builder.Services.AddHostedService<OutboxBacklogObserver>();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(section["ServiceName"] is { Length: > 0 } name ? name : "ProcessServer"))
            .WithMetrics(m =>
            {
                // System.Runtime: .NET's own meter (GC heap, allocated bytes, pauses, thread pool, lock
                // contention), so an operator sees memory pressure beside the request figures.
                m.AddAspNetCoreInstrumentation().AddMeter(ServerMetrics.MeterName, "System.Runtime");
                if (otlp)
                {
                    m.AddOtlpExporter((o, reader) =>
                    {
                        Otlp(o, "v1/metrics");
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = delay;
                    });
                }

                if (scrape)
                {
                    m.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health") && !http.Request.Path.StartsWithSegments(ScrapePath))
                .AddEntityFrameworkCoreInstrumentation()
                .AddOtlpExporter(o => Otlp(o, "v1/traces")));
        }

        return builder;
    }

    /// <summary>Maps <c>/metrics</c> when the Prometheus endpoint is switched on.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        if (app.Configuration.GetSection(Section).GetValue<bool>("PrometheusEndpoint"))
        {
            // Anonymous like /health: scrapers carry no API key. Operators expose it only inside their network (README).
            app.MapPrometheusScrapingEndpoint(ScrapePath).AllowAnonymous();
        }

        return app;
    }

    /// <summary>Starts observing the outbox backlog once telemetry is on (the gauge reads the store).</summary>
    private sealed class OutboxBacklogObserver(ServerMetrics metrics, IServiceScopeFactory scopes) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            metrics.ObserveOutboxBacklog(scopes);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
