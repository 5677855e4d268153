namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A prediction as ingested: the columns monitoring reads, decoded once at ingestion.</summary>
/// <remarks>
/// <see cref="Slices"/>: bit i set when the input fell in the model card's i-th slice (see the package manifest).
/// <see cref="RawInputs"/>: the encoded raw input tensors (<c>TelemetryCodec.ReadRawInputs</c>) when the device sampled them,
/// kept until <see cref="RawInputsExpireMs"/> (the card's retention days) or the telemetry retention, whichever comes first.
/// </remarks>
public sealed record IngestedPrediction(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted, ulong Slices = 0, byte[]? RawInputs = null, long RawInputsExpireMs = long.MaxValue);
