namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A prediction as ingested: the columns monitoring reads, decoded once at ingestion.</summary>
public sealed record IngestedPrediction(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted);

/// <summary>A true label for an earlier prediction of the same device.</summary>
public sealed record IngestedGroundTruth(Guid PredictionId, double Label, long TimestampMs);

/// <summary>One outbox batch from one device.</summary>
public sealed record TelemetryBatchRecord(string DeviceId, string BatchId, IReadOnlyList<IngestedPrediction> Predictions, IReadOnlyList<IngestedGroundTruth> GroundTruth);

/// <summary>Totals held by the telemetry store.</summary>
public sealed record TelemetryCounts(long Batches, long Predictions, long GroundTruth);

/// <summary>One version over one time window (served predictions; shadow runs excluded).</summary>
public sealed record VersionWindowSummary(
    long Requests,
    double LatencyP50Micros,
    double LatencyP95Micros,
    double LatencyP99Micros,
    double MissingFraction,
    IReadOnlyDictionary<double, long> PredictionCounts,
    long GroundTruth,
    long Correct,
    double AbsErrorSum);

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
