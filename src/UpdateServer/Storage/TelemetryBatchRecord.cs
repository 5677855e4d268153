namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>One outbox batch from one device.</summary>
public sealed record TelemetryBatchRecord(string DeviceId, string BatchId, IReadOnlyList<IngestedPrediction> Predictions, IReadOnlyList<IngestedGroundTruth> GroundTruth);
