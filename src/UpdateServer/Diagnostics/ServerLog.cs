namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>Structured server log events (ids 500-599).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 500, EventName = "Published", Level = LogLevel.Information, Message = "Published {Model} {Version} ({Sha256}, {Size} bytes)")]
    public static partial void Published(ILogger logger, string model, string version, string sha256, long size);

    [LoggerMessage(EventId = 501, EventName = "RolloutCreated", Level = LogLevel.Information, Message = "Rollout {RolloutId} created: {Model} {Version}, strategy {Strategy}, baseline {Baseline}")]
    public static partial void RolloutCreated(ILogger logger, string rolloutId, string model, string version, string strategy, string baseline);

    [LoggerMessage(EventId = 502, EventName = "RolloutChanged", Level = LogLevel.Information, Message = "Rollout {RolloutId} ({Model} {Version}) is {State} at stage {Stage}: {Reason}")]
    public static partial void RolloutChanged(ILogger logger, string rolloutId, string model, string version, string state, int stage, string reason);

    [LoggerMessage(EventId = 503, EventName = "RolloutGateFailed", Level = LogLevel.Warning, Message = "Rollout {RolloutId} ({Model} {Version}) {State}: {Reason}")]
    public static partial void RolloutGateFailed(ILogger logger, string rolloutId, string model, string version, string state, string reason);

    [LoggerMessage(EventId = 504, EventName = "DeviceRegistered", Level = LogLevel.Information, Message = "Device {DeviceId} registered (runtime {RuntimeVersion})")]
    public static partial void DeviceRegistered(ILogger logger, string deviceId, string runtimeVersion);

    [LoggerMessage(EventId = 505, EventName = "InstallReported", Level = LogLevel.Information, Message = "Device {DeviceId} reports {Model} {Version} for rollout {RolloutId}: {Outcome} ({Reason})")]
    public static partial void InstallReported(ILogger logger, string deviceId, string model, string version, string rolloutId, string outcome, string reason);

    [LoggerMessage(EventId = 507, EventName = "AlertOpened", Level = LogLevel.Warning, Message = "Alert opened by rule {RuleId} on {Model} {Version}: {Message}")]
    public static partial void AlertOpened(ILogger logger, string ruleId, string model, string version, string message);

    [LoggerMessage(EventId = 508, EventName = "AlertResolved", Level = LogLevel.Information, Message = "Alert {AlertId} on {Model} {Version} resolved")]
    public static partial void AlertResolved(ILogger logger, string alertId, string model, string version);

    [LoggerMessage(EventId = 509, EventName = "DeviceCredentialRotated", Level = LogLevel.Information, Message = "Device {DeviceId} rotated its credential; the previous one works until the new one is first used")]
    public static partial void DeviceCredentialRotated(ILogger logger, string deviceId);

    [LoggerMessage(EventId = 510, EventName = "RolloutEvaluationFailed", Level = LogLevel.Error, Message = "Evaluating rollout {RolloutId} ({Model} {Version}) failed; other rollouts are still evaluated: {Reason}")]
    public static partial void RolloutEvaluationFailed(ILogger logger, Exception exception, string rolloutId, string model, string version, string reason);

    [LoggerMessage(EventId = 511, EventName = "AlertRuleEvaluationFailed", Level = LogLevel.Error, Message = "Evaluating alert rule {RuleId} on {Model} failed; other rules are still evaluated: {Reason}")]
    public static partial void AlertRuleEvaluationFailed(ILogger logger, Exception exception, string ruleId, string model, string reason);

    [LoggerMessage(EventId = 506, EventName = "BackgroundFailed", Level = LogLevel.Error, Message = "Background work failed: {Reason}")]
    public static partial void BackgroundFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 512, EventName = "LeadershipAcquired", Level = LogLevel.Information, Message = "Replica {Replica} is now the leader: it runs the rollout controller, alert evaluation and retention")]
    public static partial void LeadershipAcquired(ILogger logger, string replica);

    [LoggerMessage(EventId = 513, EventName = "LeadershipLost", Level = LogLevel.Warning, Message = "Replica {Replica} stepped down as leader: {Reason}")]
    public static partial void LeadershipLost(ILogger logger, string replica, string reason);

    [LoggerMessage(EventId = 514, EventName = "StoreChanged", Level = LogLevel.Debug, Message = "Another replica changed the store (rollouts {Rollouts}, devices {Devices}); caches refreshed")]
    public static partial void StoreChanged(ILogger logger, long rollouts, long devices);

    [LoggerMessage(EventId = 515, EventName = "RetentionPruned", Level = LogLevel.Information, Message = "Retention: deleted {HealthRows} health and drift rows older than {HealthCutoff:o} and {TelemetryRows} telemetry rows older than {TelemetryCutoff:o}")]
    public static partial void RetentionPruned(ILogger logger, long healthRows, DateTimeOffset healthCutoff, long telemetryRows, DateTimeOffset telemetryCutoff);
}
