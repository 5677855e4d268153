namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Health summed over devices and windows.</summary>
public sealed record HealthTotals(long Requests, long Errors, long[] LatencyBuckets, long GroundTruth, long Correct, double AbsErrorSum);
