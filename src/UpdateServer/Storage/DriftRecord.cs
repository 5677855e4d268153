namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Drift counts one device reported for one feature or output of a version over one window.</summary>
public sealed record DriftRecord(string DeviceId, string Model, string Version, long AtUnixMs, string Name, long[] Counts, long Missing);
