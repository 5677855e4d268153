using System.Diagnostics;

namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>The server's spans (check-in → planning → signing → storage, telemetry, evaluation), exported by OpenTelemetry.</summary>
internal static class ServerTracing
{
    /// <summary>The activity source name (also the meter's).</summary>
    public const string SourceName = ServerMetrics.MeterName;

    public static readonly ActivitySource Source = new(SourceName, typeof(ServerTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts an internal span; null when nobody listens (no allocation then).</summary>
    public static Activity? Start(string name) => Source.StartActivity(name, ActivityKind.Internal);
}
