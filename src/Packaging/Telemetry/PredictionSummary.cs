namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>What a server needs from a prediction record, read without materialising its tensors.</summary>
/// <param name="PredictionId">Id ground truth refers to.</param>
/// <param name="Model">Model name.</param>
/// <param name="Version">Version that produced it.</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
/// <param name="LatencyMicros">Model latency.</param>
/// <param name="Shadow">True for a shadow run.</param>
/// <param name="InputValues">Input elements summarised, over all inputs.</param>
/// <param name="InputMissing">NaN input elements, over all inputs.</param>
/// <param name="Predicted">The predicted class or value (see <see cref="TelemetryCodec.ReadPredictionSummary"/>); NaN when no output gives one.</param>
/// <param name="Slices">See <see cref="PredictionRecord.Slices"/>.</param>
public readonly record struct PredictionSummary(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted, ulong Slices);
