namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>An alert a rule opened for one version; resolved when the value recovers.</summary>
public sealed record AlertRecord(string Id, string RuleId, string Model, string Version, string Metric, double Value, double Threshold, long OpenedUnixMs, long? ResolvedUnixMs, string Message);
