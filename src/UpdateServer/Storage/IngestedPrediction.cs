namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A prediction as ingested: the columns monitoring reads, decoded once at ingestion.</summary>
/// <remarks>
/// <see cref="Slices"/>: bit i set when the input fell in the model card's i-th slice (see the package manifest).
/// <see cref="RawInputs"/>: the encoded raw input tensors (<c>TelemetryCodec.ReadRawInputs</c>) when the device sampled them,
/// kept until <see cref="RawInputsExpireMs"/> (the card's retention days) or the telemetry retention, whichever comes first.
/// <see cref="Evidence"/>: the encoded evidence (<c>TelemetryCodec.ReadEvidence</c>, checked on ingest) the online top-k,
/// CER/WER and mAP figures are computed from once a label or structured truth arrives; null when the device sent none.
/// </remarks>
public sealed record IngestedPrediction(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted, ulong Slices = 0, byte[]? RawInputs = null, long RawInputsExpireMs = long.MaxValue, byte[]? Evidence = null);
