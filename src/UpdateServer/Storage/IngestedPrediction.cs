namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A prediction as ingested: the columns monitoring reads, decoded once at ingestion.</summary>
/// <remarks><see cref="Slices"/>: bit i set when the input fell in the model card's i-th slice (see the package manifest).</remarks>
public sealed record IngestedPrediction(Guid PredictionId, string Model, string Version, long TimestampMs, double LatencyMicros, bool Shadow, long InputValues, long InputMissing, double Predicted, ulong Slices = 0);
