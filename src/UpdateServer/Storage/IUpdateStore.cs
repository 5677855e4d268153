namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A published package version. Immutable once stored.</summary>
public sealed record PackageRecord(string Name, string Version, string Sha256, long Size, long PublishedUnixMs, string ManifestJson);

/// <summary>A registered device. The credential is stored only as its SHA-256.</summary>
public sealed record DeviceRecord(string DeviceId, string TokenHash, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Tags, string RuntimeVersion, long RegisteredUnixMs, long LastSeenUnixMs);

/// <summary>A model version a device reports as installed.</summary>
public sealed record InstalledVersion(string Model, string Version);

/// <summary>A rollout of one model version to a targeted part of the fleet.</summary>
public sealed record RolloutRecord(string Id, string Model, string Version, int Strategy, double CanaryPercent, IReadOnlyDictionary<string, string> TargetAttributes, IReadOnlyList<string> TargetTags, string State, long CreatedUnixMs);

/// <summary>A device's report of installing an assigned version.</summary>
public sealed record InstallReportRecord(string DeviceId, string RolloutId, string Model, string Version, bool Success, string Reason, long AtUnixMs);

/// <summary>
/// Everything the update server persists. SQLite implements it for the embedded default; a PostgreSQL implementation
/// fills the same contract for fleets that outgrow one machine. No SQL lives outside implementations of this interface.
/// </summary>
public interface IUpdateStore
{
    /// <summary>Stores a package version; false when that name and version already exist (versions are immutable).</summary>
    Task<bool> TryAddPackageAsync(PackageRecord package, CancellationToken cancellationToken);

    Task<PackageRecord?> GetPackageAsync(string name, string version, CancellationToken cancellationToken);

    Task<PackageRecord?> GetPackageBySha256Async(string sha256, CancellationToken cancellationToken);

    Task<IReadOnlyList<PackageRecord>> ListPackagesAsync(string? model, CancellationToken cancellationToken);

    /// <summary>Creates the device or replaces its attributes and credential (re-enrolment).</summary>
    Task UpsertDeviceAsync(DeviceRecord device, CancellationToken cancellationToken);

    Task<DeviceRecord?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(CancellationToken cancellationToken);

    /// <summary>Records a check-in: last seen time and the versions the device runs.</summary>
    Task RecordCheckInAsync(string deviceId, long atUnixMs, IReadOnlyList<InstalledVersion> installed, CancellationToken cancellationToken);

    Task<IReadOnlyList<InstalledVersion>> GetInstalledAsync(string deviceId, CancellationToken cancellationToken);

    Task AddRolloutAsync(RolloutRecord rollout, CancellationToken cancellationToken);

    Task<RolloutRecord?> GetRolloutAsync(string id, CancellationToken cancellationToken);

    /// <summary>Rollouts that are not finished, rolled back or superseded, newest first.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListActiveRolloutsAsync(CancellationToken cancellationToken);

    Task SetRolloutStateAsync(string id, string state, CancellationToken cancellationToken);

    Task AddInstallReportAsync(InstallReportRecord report, CancellationToken cancellationToken);

    /// <summary>Distinct devices whose latest report for the rollout succeeded, and those whose latest report failed.</summary>
    Task<(int Installed, int Failed)> CountInstallReportsAsync(string rolloutId, CancellationToken cancellationToken);
}
