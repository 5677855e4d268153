namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>The true label of an earlier prediction.</summary>
/// <param name="PredictionId">The prediction.</param>
/// <param name="Label">Ground truth.</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
public sealed record GroundTruthRecord(Guid PredictionId, double Label, long TimestampMs);
