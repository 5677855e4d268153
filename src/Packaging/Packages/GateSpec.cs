namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// What the device gate holds a package to beyond its end-to-end set and its <see cref="PackageManifest.Confidence"/>
/// metric: more metrics (each with its own range) and latency budgets per input shape. Absent from older manifests.
/// </summary>
public sealed class GateSpec
{
    /// <summary>Further metrics over the confidence set, each of which must fall in its range; null: none.</summary>
    public IReadOnlyList<MetricSpec>? Metrics { get; init; }

    /// <summary>p95 latency budgets, one per input shape; null: none.</summary>
    public IReadOnlyList<LatencyBudget>? LatencyBudgets { get; init; }
}
