using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>Labelled predictions scored through their evidence, with the k the version's top-k figure uses.</summary>
/// <param name="Counts">Top-k ranks and CER/WER edits over the window (<see cref="ITelemetryStore.Summarize"/>).</param>
/// <param name="K">The largest k of the manifest's top-k gate metrics (what devices keep top classes for); 1 without one.</param>
internal sealed record EvidenceFigures(EvidenceCounts Counts, int K)
{
    /// <summary>The k of <c>top_k_accuracy</c>: the largest <see cref="GateMetricKind.TopKAccuracy"/> k the manifest declares, capped at the classes devices keep.</summary>
    public static int TopK(PackageManifest? manifest) =>
        Math.Clamp(manifest?.Gate?.Metrics?.Where(m => m.Kind == GateMetricKind.TopKAccuracy).Max(m => m.K) ?? 1, 1, TelemetryEvidence.MaxTopClasses);

    /// <summary>Whether the manifest declares an mAP gate metric (devices then send detections).</summary>
    public static bool DeclaresMap(PackageManifest? manifest) =>
        manifest?.Gate?.Metrics?.Any(m => m.Kind == GateMetricKind.MeanAveragePrecision) == true;

    /// <summary>The IoU threshold of the manifest's mAP gate metric; 0.5 without one.</summary>
    public static double IouThreshold(PackageManifest? manifest) =>
        manifest?.Gate?.Metrics?.FirstOrDefault(m => m.Kind == GateMetricKind.MeanAveragePrecision)?.Detection?.IouThreshold ?? 0.5;
}
