namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Health gates with every default filled in (see the HealthGates proto message).</summary>
public sealed record RolloutGates(
    double MinInstallSuccessRate,
    double MaxErrorRate,
    double? MaxLatencyP95Ms,
    double? MaxMetricRegression,
    long MinGroundTruth,
    long MinRequests,
    int StageMinSeconds,
    int DeviceTimeoutSeconds,
    bool FailOnAlerts = false)
{
    /// <summary>0.95 install success, 5% errors, no latency or metric gate, 50 labels, 20 requests, no minimum stage time, 600 s timeout, alerts ignored.</summary>
    public static RolloutGates Default { get; } = new(0.95, 0.05, null, null, 50, 20, 0, 600);
}
