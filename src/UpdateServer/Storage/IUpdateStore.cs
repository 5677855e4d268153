namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Everything the update server persists. SQLite implements it for the embedded default; a PostgreSQL implementation
/// fills the same contract for fleets that outgrow one machine. No SQL lives outside implementations of this interface.
/// </summary>
public interface IUpdateStore : IAccessStore
{
    /// <summary>Stores a package version; false when that name and version already exist (versions are immutable).</summary>
    Task<bool> TryAddPackageAsync(PackageRecord package, CancellationToken cancellationToken);

    Task<PackageRecord?> GetPackageAsync(string name, string version, CancellationToken cancellationToken);

    Task<PackageRecord?> GetPackageBySha256Async(string sha256, CancellationToken cancellationToken);

    Task<IReadOnlyList<PackageRecord>> ListPackagesAsync(string? model, CancellationToken cancellationToken);

    /// <summary>Creates the device or replaces its attributes and credential (re-enrolment).</summary>
    Task UpsertDeviceAsync(DeviceRecord device, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the device unless its id is already registered (another replica may have just enrolled it): false then,
    /// and nothing changes. One of two concurrent first registrations of an id wins, never both.
    /// </summary>
    Task<bool> TryAddDeviceAsync(DeviceRecord device, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the device's credential and attributes only while it still holds <paramref name="expectedTokenHash"/>
    /// (compare and swap: of two concurrent re-enrolments of a reset device exactly one wins); false, and nothing
    /// changes, otherwise. Its registration time stays.
    /// </summary>
    Task<bool> TryReplaceDeviceAsync(DeviceRecord device, string expectedTokenHash, CancellationToken cancellationToken);

    /// <summary>The device with this id, or null.</summary>
    Task<DeviceRecord?> FindDeviceAsync(string deviceId, CancellationToken cancellationToken);

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

    /// <summary>Opens an alert and enqueues its webhook <paramref name="notifications"/> in the same transaction (the outbox).</summary>
    Task AddAlertAsync(AlertRecord alert, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken);

    /// <summary>
    /// Resolves an open alert and enqueues <paramref name="notifications"/> in the same transaction; an alert already
    /// resolved keeps its time and enqueues nothing. True when this call resolved it.
    /// </summary>
    Task<bool> ResolveAlertAsync(string id, long atUnixMs, IReadOnlyList<WebhookDeliveryRecord> notifications, CancellationToken cancellationToken);

    Task AddWebhookAsync(WebhookRecord webhook, CancellationToken cancellationToken);

    /// <summary>Every webhook, oldest first.</summary>
    Task<IReadOnlyList<WebhookRecord>> ListWebhooksAsync(CancellationToken cancellationToken);

    /// <summary>Deletes a webhook and its pending deliveries (delivered and dead ones stay as history); false when there is no such webhook.</summary>
    Task<bool> DeleteWebhookAsync(string id, CancellationToken cancellationToken);

    /// <summary>Pending deliveries due at <paramref name="nowUnixMs"/>, earliest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<WebhookDeliveryRecord>> ListDueWebhookDeliveriesAsync(long nowUnixMs, int limit, CancellationToken cancellationToken);

    /// <summary>Records an attempt's outcome on a pending delivery; false when it is no longer pending (redelivered, or its webhook deleted).</summary>
    Task<bool> RecordWebhookAttemptAsync(WebhookAttempt attempt, CancellationToken cancellationToken);

    /// <summary>Deliveries newest first: of one webhook (or all when empty), only dead letters when <paramref name="deadOnly"/>.</summary>
    Task<IReadOnlyList<WebhookDeliveryRecord>> ListWebhookDeliveriesAsync(string webhookId, bool deadOnly, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Makes a delivered or dead message pending again, due at <paramref name="nowUnixMs"/> with its attempts reset (same
    /// id and body: receivers that saw it still de-duplicate). Null when there is no such delivery or its webhook is gone.
    /// </summary>
    Task<WebhookDeliveryRecord?> RedeliverWebhookAsync(string deliveryId, long nowUnixMs, CancellationToken cancellationToken);

    /// <summary>Deletes delivered webhook messages queued before <paramref name="beforeUnixMs"/> (retention; pending and dead ones stay); returns how many went.</summary>
    Task<long> PruneWebhookDeliveriesAsync(long beforeUnixMs, CancellationToken cancellationToken);

    /// <summary>Drift counts of one version reported in [<paramref name="sinceUnixMs"/>, <paramref name="untilUnixMs"/>), summed per feature or output name.</summary>
    Task<IReadOnlyDictionary<string, (long[] Counts, long Missing)>> SumDriftAsync(string model, string version, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken);

    /// <summary>The store's change counters (<see cref="StoreChangeVersions"/>); one cheap read, polled by every replica about once a second.</summary>
    Task<StoreChangeVersions> GetChangeVersionsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes health reports and drift counts reported before <paramref name="beforeUnixMs"/> (retention); returns how many rows went.</summary>
    Task<long> PruneHealthAsync(long beforeUnixMs, CancellationToken cancellationToken);

    /// <summary>Health reports and drift counts together per hour of their report time (for the size cap of retention), in no particular order.</summary>
    Task<IReadOnlyList<HourCount>> HealthRowsPerHourAsync(CancellationToken cancellationToken);

    /// <summary>Appends an entry to a rollout's history (state changes by operators and the controller, bandit re-weighting).</summary>
    Task AddRolloutEventAsync(RolloutEventRecord entry, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="limit"/> entries of a rollout's history, oldest first.</summary>
    Task<IReadOnlyList<RolloutEventRecord>> ListRolloutEventsAsync(string rolloutId, int limit, CancellationToken cancellationToken);

    /// <summary>One device's health reports (served and shadow) reported at or after <paramref name="sinceUnixMs"/>, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<HealthRecord>> ListDeviceHealthAsync(string deviceId, long sinceUnixMs, int limit, CancellationToken cancellationToken);

    /// <summary>Runs one cheap query against the schema (the readiness check); throws when the database does not answer.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
