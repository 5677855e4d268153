namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Totals held by the telemetry store.</summary>
public sealed record TelemetryCounts(long Batches, long Predictions, long GroundTruth);
