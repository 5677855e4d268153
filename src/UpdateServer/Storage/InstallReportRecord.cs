namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A device's report of installing an assigned version.</summary>
public sealed record InstallReportRecord(string DeviceId, string RolloutId, string Model, string Version, bool Success, string Reason, long AtUnixMs);
