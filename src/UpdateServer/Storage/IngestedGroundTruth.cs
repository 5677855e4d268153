namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A true label for an earlier prediction of the same device.</summary>
public sealed record IngestedGroundTruth(Guid PredictionId, double Label, long TimestampMs);
