namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A published package version. Immutable once stored.</summary>
public sealed record PackageRecord(string Name, string Version, string Sha256, long Size, long PublishedUnixMs, string ManifestJson);
