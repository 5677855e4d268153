using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>The evidence a figure is computed from; only its source's property is set.</summary>
/// <param name="HigherIsBetter">Whether the version's online metric is accuracy (true) or mean absolute error.</param>
internal sealed record FigureInput(bool HigherIsBetter)
{
    public HealthTotals? Health { get; init; }

    public VersionWindowSummary? Telemetry { get; init; }

    public DriftScore? Drift { get; init; }

    /// <summary>With <see cref="Drift"/>: the sample size, p-value and verdict of <see cref="DriftAssessment"/>.</summary>
    public FeatureDriftScore? DriftVerdict { get; init; }

    public SliceOutcomes? Slice { get; init; }

    public ConfusionCounts? Classes { get; init; }

    public FairnessEvidence? Fairness { get; init; }

    public EvidenceFigures? Evidence { get; init; }

    public DetectionEvidence? Detections { get; init; }
}
