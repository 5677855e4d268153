namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// One version over one time window (served predictions; shadow runs excluded). <see cref="Slices"/> holds outcomes per
/// model-card slice, keyed by the slice's index in the card; slices no prediction fell in are absent.
/// </summary>
public sealed record VersionWindowSummary(
    long Requests,
    double LatencyP50Micros,
    double LatencyP95Micros,
    double LatencyP99Micros,
    double MissingFraction,
    IReadOnlyDictionary<double, long> PredictionCounts,
    long GroundTruth,
    long Correct,
    double AbsErrorSum,
    IReadOnlyDictionary<int, SliceOutcomes> Slices)
{
    /// <summary>Labelled predictions by (predicted class, true class): per-class recall and precision, fairness rates.</summary>
    public ConfusionCounts Confusion { get; init; } = new();

    /// <summary>The same per model-card slice (keyed like <see cref="Slices"/>): per-slice class metrics and fairness groups.</summary>
    public IReadOnlyDictionary<int, ConfusionCounts> SliceConfusion { get; init; } = new Dictionary<int, ConfusionCounts>();

    /// <summary>Labelled predictions scored through their evidence: top-k ranks, character and word edits.</summary>
    public EvidenceCounts Evidence { get; init; } = new();

    /// <summary>The same per model-card slice (keyed like <see cref="Slices"/>).</summary>
    public IReadOnlyDictionary<int, EvidenceCounts> SliceEvidence { get; init; } = new Dictionary<int, EvidenceCounts>();
}
