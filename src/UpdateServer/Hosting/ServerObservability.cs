using System.Text.Json;
using EdgeDeploy.UpdateServer.Diagnostics.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EdgeDeploy.UpdateServer.Hosting;

/// <summary>
/// OpenTelemetry (the server's meter and spans, ASP.NET Core and gRPC instrumentation, Prometheus scraping, OTLP when
/// configured) and the health checks behind /healthz (liveness), /readyz and gRPC health (readiness).
/// </summary>
internal static class ServerObservability
{
    private const string Live = "live";
    private const string Ready = "ready";

    /// <summary>Registers OpenTelemetry and the health checks.</summary>
    public static void AddServerObservability(this WebApplicationBuilder builder, UpdateServerOptions options)
    {
        var otlpEndpoint = Uri.TryCreate(options.Otlp.Endpoint, UriKind.Absolute, out var endpoint) ? endpoint : null; // a bad one fails validation, with its message
        var otlp = otlpEndpoint is not null || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("edgedeploy-server", serviceVersion: typeof(ServerObservability).Assembly.GetName().Version?.ToString()))
            .WithMetrics(m => m
                .AddMeter(ServerMetrics.MeterName)
                .AddAspNetCoreInstrumentation() // http.server.* (gRPC calls included, by route)
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0)); // every scrape fresh (the default caches 300 ms)
        if (otlp)
        {
            // Spans cost something on the check-in path, so they are collected only when something exports them.
            otel.WithTracing(t => t
                .AddSource(ServerTracing.SourceName)
                .AddAspNetCoreInstrumentation(o => // gRPC calls are spans named by their route, e.g. POST /edgedeploy.v1.DeviceService/CheckIn
                    o.Filter = context => context.GetEndpoint()?.Metadata.GetMetadata<ServerListeners.HttpListenerRoute>() is null)); // not scrapes and probes
            if (otlpEndpoint is null)
            {
                otel.UseOtlpExporter(); // OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, ... as the standard says
            }
            else
            {
                otel.UseOtlpExporter(options.Otlp.Protocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc, otlpEndpoint);
            }
        }

        builder.Services.AddSingleton<FleetHeartbeat>();
        builder.Services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy("accepting calls"), tags: [Live])
            .AddCheck<DatabaseHealthCheck>("database", tags: [Ready])
            .AddCheck<DiskSpaceHealthCheck>("disk", tags: [Ready])
            .AddCheck<EvaluatorHealthCheck>("evaluator", tags: [Ready]);
    }

    /// <summary>Maps /metrics, /healthz and /readyz on the HTTP/1.1 listener only.</summary>
    public static void MapServerHttpEndpoints(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(ServerListeners.HttpListenerRoute.Instance);
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = c => c.Tags.Contains(Live), ResponseWriter = WriteAsync })
            .WithMetadata(ServerListeners.HttpListenerRoute.Instance);
        app.MapHealthChecks("/readyz", new HealthCheckOptions { ResponseWriter = WriteAsync }) // every check
            .WithMetadata(ServerListeners.HttpListenerRoute.Instance);
    }

    /// <summary>{"status": "Healthy", "checks": {"database": {"status": ..., "description": ...}, ...}}; 200 or 503 by the overall status.</summary>
    private static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("description", entry.Description);
            json.WriteNumber("durationMs", entry.Duration.TotalMilliseconds);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
