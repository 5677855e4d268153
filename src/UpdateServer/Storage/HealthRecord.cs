namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Serving health one device reported for one version over one window.</summary>
public sealed record HealthRecord(string DeviceId, string Model, string Version, bool Shadow, long AtUnixMs, long Requests, long Errors, long[] LatencyBuckets, long GroundTruth, long Correct, double AbsErrorSum);
