using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>The telemetry recorder's log events (200-299).</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(EventId = 200, EventName = "TelemetryWriteFailed", Level = LogLevel.Error, Message = "Telemetry writer lost {Count} record(s): {Reason}")]
    public static partial void WriteFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 201, EventName = "TelemetryEvidenceFailed", Level = LogLevel.Warning, Message = "Telemetry recorded a prediction of {Model} {Version} without evidence ({Failures} so far): {Reason}")]
    public static partial void EvidenceFailed(ILogger logger, string model, string version, long failures, string reason);

    [LoggerMessage(EventId = 202, EventName = "TelemetryEvidenceUnavailable", Level = LogLevel.Warning, Message = "Telemetry cannot record evidence for {Model} {Version}: {Reason}")]
    public static partial void EvidenceUnavailable(ILogger logger, string model, string version, string reason);
}
