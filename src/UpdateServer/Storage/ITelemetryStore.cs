namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A prediction as ingested: the columns monitoring reads, decoded once at ingestion.</summary>
/// <remarks><see cref="Slices"/>: bit i set when the input fell in the model card's i-th slice (see the package manifest).</remarks>
public sealed record IngestedPrediction(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted, ulong Slices = 0);

/// <summary>A true label for an earlier prediction of the same device.</summary>
public sealed record IngestedGroundTruth(Guid PredictionId, double Label, long TimestampMs);

/// <summary>One outbox batch from one device.</summary>
public sealed record TelemetryBatchRecord(string DeviceId, string BatchId, IReadOnlyList<IngestedPrediction> Predictions, IReadOnlyList<IngestedGroundTruth> GroundTruth);

/// <summary>Totals held by the telemetry store.</summary>
public sealed record TelemetryCounts(long Batches, long Predictions, long GroundTruth);

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

/// <summary>Served predictions that fell in one slice, and how those with a label fared.</summary>
public sealed record SliceOutcomes(long Requests, long GroundTruth, long Correct, double AbsErrorSum);

/// <summary>
/// Device telemetry on the server. Separate from <see cref="IUpdateStore"/> (and, for SQLite, a separate file) because
/// it is written at a far higher rate than the control plane and may live on other storage.
/// </summary>
public interface ITelemetryStore
{
    /// <summary>Stores the batch unless this device's batch id is already stored; true when stored by this call.</summary>
    Task<bool> StoreBatchAsync(TelemetryBatchRecord batch, long receivedUnixMs, CancellationToken cancellationToken);

    TelemetryCounts Count();

    /// <summary>Served predictions of a version with timestamps in [fromUnixMs, toUnixMs), joined with their ground truth.</summary>
    VersionWindowSummary Summarize(string model, string version, long fromUnixMs, long toUnixMs);
}
