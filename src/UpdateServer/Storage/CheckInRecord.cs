namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>One device check-in: when, and what it runs.</summary>
public sealed record CheckInRecord(string DeviceId, long AtUnixMs, IReadOnlyList<InstalledVersion> Installed);
