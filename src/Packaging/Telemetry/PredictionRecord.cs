namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>One recorded prediction.</summary>
/// <param name="PredictionId">Id ground truth refers to.</param>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version that produced it.</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
/// <param name="LatencyMicros">Model latency.</param>
/// <param name="Shadow">True for a shadow run (never returned to the caller).</param>
/// <param name="Inputs">Per-input summaries.</param>
/// <param name="Outputs">Outputs of up to 64 elements each (larger ones are left out).</param>
/// <param name="Slices">Model-card slices the input falls in: bit i is the card's i-th slice (0 when none or unknown).</param>
public sealed record PredictionRecord(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, IReadOnlyList<InputSummary> Inputs, IReadOnlyDictionary<string, EdgeTensor> Outputs, ulong Slices = 0)
{
    /// <summary>
    /// The raw input tensors, for the sampled share of predictions the device records them for
    /// (<c>TelemetryOptions.RawInputSampleRate</c>, and only where the model card's privacy policy allows it); null otherwise.
    /// </summary>
    public IReadOnlyDictionary<string, EdgeTensor>? RawInputs { get; init; }

    /// <summary>
    /// What the package's gate metrics need to be computed online from this prediction, taken on the device from outputs
    /// too large to record whole (names in <see cref="TelemetryEvidence"/>: the top classes, the decoded text, the
    /// detections); null when the package declares no such metric.
    /// </summary>
    public IReadOnlyDictionary<string, EdgeTensor>? Evidence { get; init; }
}
