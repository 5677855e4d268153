namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>Log events of operator access, enrolment and device administration (ids 520-539).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 520, EventName = "Audited", Level = LogLevel.Information, Message = "Audit: {Operator} {Action} {Target}: {Outcome}")]
    public static partial void Audited(ILogger logger, string @operator, string action, string target, string outcome);

    [LoggerMessage(EventId = 521, EventName = "AuditWriteFailed", Level = LogLevel.Error, Message = "Could not write the audit entry for {Operator} {Action} {Target}: {Reason}")]
    public static partial void AuditWriteFailed(ILogger logger, string @operator, string action, string target, string reason);

    [LoggerMessage(EventId = 522, EventName = "DeviceRemoved", Level = LogLevel.Warning, Message = "Device {DeviceId} {Change} by {Operator}")]
    public static partial void DeviceAdministered(ILogger logger, string deviceId, string change, string @operator);

    [LoggerMessage(EventId = 523, EventName = "DeviceCredentialDelivered", Level = LogLevel.Information, Message = "Device {DeviceId} was given a rotated credential at check-in")]
    public static partial void DeviceCredentialDelivered(ILogger logger, string deviceId);
}
