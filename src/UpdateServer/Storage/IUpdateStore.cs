namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A published package version. Immutable once stored.</summary>
public sealed record PackageRecord(string Name, string Version, string Sha256, long Size, long PublishedUnixMs, string ManifestJson);

/// <summary>A registered device. The credential is stored only as its SHA-256.</summary>
public sealed record DeviceRecord(string DeviceId, string TokenHash, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Tags, string RuntimeVersion, long RegisteredUnixMs, long LastSeenUnixMs);

/// <summary>A model version a device reports as installed.</summary>
public sealed record InstalledVersion(string Model, string Version);

/// <summary>One device check-in: when, and what it runs.</summary>
public sealed record CheckInRecord(string DeviceId, long AtUnixMs, IReadOnlyList<InstalledVersion> Installed);

/// <summary>Health gates with every default filled in (see the HealthGates proto message).</summary>
public sealed record RolloutGates(
    double MinInstallSuccessRate,
    double MaxErrorRate,
    double? MaxLatencyP95Ms,
    double? MaxMetricRegression,
    long MinGroundTruth,
    long MinRequests,
    int StageMinSeconds,
    int DeviceTimeoutSeconds,
    bool FailOnAlerts = false)
{
    /// <summary>0.95 install success, 5% errors, no latency or metric gate, 50 labels, 20 requests, no minimum stage time, 600 s timeout, alerts ignored.</summary>
    public static RolloutGates Default { get; } = new(0.95, 0.05, null, null, 50, 20, 0, 600);
}

/// <summary>A bandit arm: a version and its current share of traffic.</summary>
public sealed record ArmRecord(string Version, double Weight);

/// <summary>
/// A rollout of one model version to a targeted part of the fleet. The first line of properties is fixed at creation;
/// the progress properties (state, stage, reason, arm weights) change as the controller evaluates it.
/// </summary>
public sealed record RolloutRecord(
    string Id,
    string Model,
    string Version,
    int Strategy,
    double CanaryPercent,
    IReadOnlyDictionary<string, string> TargetAttributes,
    IReadOnlyList<string> TargetTags,
    string State,
    long CreatedUnixMs)
{
    /// <summary>Percent of the targeted fleet per stage; the last is where the rollout completes.</summary>
    public IReadOnlyList<double> Stages { get; init; } = [100];

    public RolloutGates Gates { get; init; } = RolloutGates.Default;

    /// <summary>1 = roll back, 2 = pause (FailureAction).</summary>
    public int OnFailure { get; init; } = 1;

    public IReadOnlyList<ArmRecord> Arms { get; init; } = [];

    public int CurrentStage { get; init; }

    public long StageStartedUnixMs { get; init; }

    public string StateReason { get; init; } = string.Empty;

    /// <summary>The version devices ran before this rollout reached them; health is compared against it.</summary>
    public string BaselineVersion { get; init; } = string.Empty;
}

/// <summary>A device's report of installing an assigned version.</summary>
public sealed record InstallReportRecord(string DeviceId, string RolloutId, string Model, string Version, bool Success, string Reason, long AtUnixMs);

/// <summary>Serving health one device reported for one version over one window.</summary>
public sealed record HealthRecord(string DeviceId, string Model, string Version, bool Shadow, long AtUnixMs, long Requests, long Errors, long[] LatencyBuckets, long GroundTruth, long Correct, double AbsErrorSum);

/// <summary>Drift counts one device reported for one feature or output of a version over one window.</summary>
public sealed record DriftRecord(string DeviceId, string Model, string Version, long AtUnixMs, string Name, long[] Counts, long Missing);

/// <summary>A threshold on one metric of a model's versions over a trailing window (see the AlertRule proto message).</summary>
public sealed record AlertRuleRecord(string Id, string Model, string Version, string Metric, string Feature, bool Below, double Threshold, int WindowSeconds, long MinSamples);

/// <summary>An alert a rule opened for one version; resolved when the value recovers.</summary>
public sealed record AlertRecord(string Id, string RuleId, string Model, string Version, string Metric, double Value, double Threshold, long OpenedUnixMs, long? ResolvedUnixMs, string Message);

/// <summary>Health summed over devices and windows.</summary>
public sealed record HealthTotals(long Requests, long Errors, long[] LatencyBuckets, long GroundTruth, long Correct, double AbsErrorSum);

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

    Task<IReadOnlyList<DeviceRecord>> ListDevicesAsync(CancellationToken cancellationToken);

    /// <summary>The device holding this credential hash, or null.</summary>
    Task<DeviceRecord?> FindDeviceByTokenHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Records check-ins (last seen time and what each device runs) in one transaction.</summary>
    Task RecordCheckInsAsync(IReadOnlyList<CheckInRecord> checkIns, CancellationToken cancellationToken);

    /// <summary>What every device last reported as installed.</summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<InstalledVersion>>> GetAllInstalledAsync(CancellationToken cancellationToken);

    Task AddRolloutAsync(RolloutRecord rollout, CancellationToken cancellationToken);

    Task<RolloutRecord?> GetRolloutAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every rollout (of one model, or all when null), newest first.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string? model, CancellationToken cancellationToken);

    /// <summary>Rollouts devices follow (active, paused or completed), newest first.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListLiveRolloutsAsync(CancellationToken cancellationToken);

    /// <summary>Saves a rollout's progress: state, stage, stage start, reason and arm weights.</summary>
    Task UpdateRolloutProgressAsync(RolloutRecord rollout, CancellationToken cancellationToken);

    Task AddInstallReportAsync(InstallReportRecord report, CancellationToken cancellationToken);

    /// <summary>Each device's latest install report for the rollout.</summary>
    Task<IReadOnlyDictionary<string, InstallReportRecord>> GetLatestInstallReportsAsync(string rolloutId, CancellationToken cancellationToken);

    Task AddHealthAsync(IReadOnlyList<HealthRecord> reports, CancellationToken cancellationToken);

    /// <summary>Health of one version (shadow runs or served ones) reported in [<paramref name="sinceUnixMs"/>, <paramref name="untilUnixMs"/>).</summary>
    Task<HealthTotals> SumHealthAsync(string model, string version, bool shadow, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken);

    Task AddDriftAsync(IReadOnlyList<DriftRecord> records, CancellationToken cancellationToken);

    Task AddAlertRuleAsync(AlertRuleRecord rule, CancellationToken cancellationToken);

    Task<IReadOnlyList<AlertRuleRecord>> ListAlertRulesAsync(CancellationToken cancellationToken);

    /// <summary>Deletes a rule and resolves its open alerts; false when there is no such rule.</summary>
    Task<bool> DeleteAlertRuleAsync(string id, long atUnixMs, CancellationToken cancellationToken);

    /// <summary>Alerts newest first; only firing ones unless <paramref name="includeResolved"/>.</summary>
    Task<IReadOnlyList<AlertRecord>> ListAlertsAsync(bool includeResolved, CancellationToken cancellationToken);

    Task AddAlertAsync(AlertRecord alert, CancellationToken cancellationToken);

    Task ResolveAlertAsync(string id, long atUnixMs, CancellationToken cancellationToken);

    /// <summary>Drift counts of one version reported at or after <paramref name="sinceUnixMs"/>, summed per feature or output name.</summary>
    Task<IReadOnlyDictionary<string, (long[] Counts, long Missing)>> SumDriftAsync(string model, string version, long sinceUnixMs, CancellationToken cancellationToken);
}
