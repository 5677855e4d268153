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
    IReadOnlyDictionary<int, SliceOutcomes> Slices);
