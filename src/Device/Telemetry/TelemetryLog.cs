using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>The telemetry recorder's log events (200-299).</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(EventId = 200, EventName = "TelemetryWriteFailed", Level = LogLevel.Error, Message = "Telemetry writer lost {Count} record(s): {Reason}")]
    public static partial void WriteFailed(ILogger logger, int count, string reason);
}
