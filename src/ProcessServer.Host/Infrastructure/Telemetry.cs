using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ProcessServer.Host.Infrastructure;

/// <summary>
/// OpenTelemetry traces (one span per request, with the dossier, receipt code and procedure tags the
/// transition pipeline puts on the request's activity) and ASP.NET Core metrics, exported over OTLP
/// when <c>OpenTelemetry:Endpoint</c> is set; without it nothing is registered and nothing is paid.
/// </summary>
public static class Telemetry
{
    /// <summary>Configuration section.</summary>
    public const string Section = "OpenTelemetry";

    /// <summary>Registers the SDK with the OTLP exporter when an endpoint is configured.</summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(Section);
        var endpoint = section["Endpoint"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
        {
            throw new ServerConfigurationException($"{Section}:Endpoint must be an absolute http(s) URL of an OTLP receiver (e.g. http://localhost:4318), not '{endpoint}'.");
        }

        var grpc = string.Equals(section["Protocol"], "grpc", StringComparison.OrdinalIgnoreCase);
        var delay = int.TryParse(section["ExportDelayMilliseconds"], out var ms) && ms > 0 ? ms : 5000;

        // OTLP/HTTP takes one URL per signal (…/v1/traces, …/v1/metrics); gRPC the receiver's root.
        void Otlp(OtlpExporterOptions o, string signal)
        {
            o.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            o.Endpoint = grpc ? root : new Uri(root, root.AbsolutePath.TrimEnd('/') + "/" + signal);
            o.BatchExportProcessorOptions.ScheduledDelayMilliseconds = delay;
        }

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(section["ServiceName"] is { Length: > 0 } name ? name : "ProcessServer"))
            .WithTracing(t => t
                .AddAspNetCoreInstrumentation(o => o.Filter = http => !http.Request.Path.StartsWithSegments("/health"))
                .AddOtlpExporter(o => Otlp(o, "v1/traces")))
            .WithMetrics(m => m
                .AddAspNetCoreInstrumentation()
                .AddOtlpExporter((o, reader) =>
                {
                    Otlp(o, "v1/metrics");
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = delay;
                }));
        return builder;
    }
}
