namespace EdgeDeploy.UpdateServer;

/// <summary>OTLP export of the server's metrics and traces (configuration section "EdgeDeploy:Otlp").</summary>
public sealed class UpdateServerOtlpOptions
{
    /// <summary>
    /// Collector address, e.g. "http://otel-collector:4317". Default none: OTLP export is off unless this or the standard
    /// OTEL_EXPORTER_OTLP_ENDPOINT environment variable is set.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>"grpc" (default, port 4317) or "http/protobuf" (port 4318).</summary>
    public string Protocol { get; set; } = "grpc";
}
