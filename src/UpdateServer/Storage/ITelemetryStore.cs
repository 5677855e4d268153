namespace EdgeDeploy.UpdateServer.Storage;

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

    /// <summary>
    /// Retention: deletes predictions, their raw inputs and ground truth stamped before <paramref name="beforeUnixMs"/>, and the receipts of
    /// batches received before it (a batch resent after its receipt is gone would be stored again, so keep telemetry longer
    /// than devices retry). Returns how many rows went.
    /// </summary>
    Task<long> PruneAsync(long beforeUnixMs, CancellationToken cancellationToken);

    /// <summary>
    /// One page of an export: up to <paramref name="limit"/> predictions matching <paramref name="query"/> after
    /// <paramref name="after"/> in the store's own (stable) order, each with its ground truth and unexpired raw inputs.
    /// Fewer than <paramref name="limit"/> rows: the export is complete.
    /// </summary>
    Task<IReadOnlyList<PredictionExportRow>> ExportPageAsync(PredictionExportQuery query, ExportCursor after, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes raw inputs whose model card's retention ran out by <paramref name="nowUnixMs"/>; returns how many.</summary>
    Task<long> PruneRawInputsAsync(long nowUnixMs, CancellationToken cancellationToken);

    /// <summary>
    /// The newest (by prediction time) served predictions of a version in [fromUnixMs, toUnixMs) that carry evidence and
    /// whose label carries structured truth, at most <paramref name="limit"/>: the encoded evidence and truth, newest
    /// first. Figures that are not sums over predictions (mAP) are computed from these at query time.
    /// </summary>
    Task<IReadOnlyList<(byte[] Evidence, byte[] Truth)>> ScoredEvidenceAsync(string model, string version, long fromUnixMs, long toUnixMs, int limit, CancellationToken cancellationToken);

    /// <summary>Predictions per hour of their timestamp (for the size cap of retention), in no particular order.</summary>
    Task<IReadOnlyList<HourCount>> PredictionsPerHourAsync(CancellationToken cancellationToken);
}
