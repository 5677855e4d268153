using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>The update agent's log events (300-399).</summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 300, EventName = "CheckInFailed", Level = LogLevel.Warning, Message = "Check-in failed ({Failures} in a row): {Reason}")]
    public static partial void CheckInFailed(ILogger logger, int failures, string reason);

    [LoggerMessage(EventId = 301, EventName = "OfflineGraceExpired", Level = LogLevel.Error, Message = "No contact with the update server since {LastContact:O} (offline grace {Grace}); serving is suspended until a check-in succeeds")]
    public static partial void OfflineGraceExpired(ILogger logger, DateTimeOffset lastContact, TimeSpan grace);

    [LoggerMessage(EventId = 302, EventName = "TelemetryBatchDropped", Level = LogLevel.Error, Message = "Telemetry batch {BatchId} ({Count} records) refused by the server and dropped: {Reason}")]
    public static partial void TelemetryBatchDropped(ILogger logger, string batchId, int count, string reason);

    [LoggerMessage(EventId = 303, EventName = "HealthReportDropped", Level = LogLevel.Warning, Message = "Health report ({Count} version windows) refused by the server and dropped: {Reason}")]
    public static partial void HealthReportDropped(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 304, EventName = "FlushFailed", Level = LogLevel.Warning, Message = "Could not send the last health and telemetry before stopping (kept on the device for the next run): {Reason}")]
    public static partial void FlushFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 310, EventName = "CredentialRotated", Level = LogLevel.Information, Message = "Device {DeviceId} received a rotated credential from the server and stored it")]
    public static partial void CredentialRotated(ILogger logger, string deviceId);
}
