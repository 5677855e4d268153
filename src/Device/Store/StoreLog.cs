using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Store;

/// <summary>The store's log events (100-199).</summary>
internal static partial class StoreLog
{
    [LoggerMessage(EventId = 100, EventName = "VersionActivated", Level = LogLevel.Information, Message = "Activated {Name} {Version} (was {Previous}; rollback: {IsRollback}).")]
    public static partial void Activated(ILogger logger, string name, string version, string previous, bool isRollback);

    [LoggerMessage(EventId = 101, EventName = "VersionRejected", Level = LogLevel.Warning, Message = "Rejected {Name} {Version} at the gate: {Reason}")]
    public static partial void Rejected(ILogger logger, string name, string version, string reason);

    [LoggerMessage(EventId = 102, EventName = "SwapDeferred", Level = LogLevel.Information, Message = "The host deferred the swap to {Name} {Version}.")]
    public static partial void Deferred(ILogger logger, string name, string version);

    [LoggerMessage(EventId = 103, EventName = "RecoveredFallback", Level = LogLevel.Warning, Message = "Active version {Active} could not be loaded; serving {Fallback} instead.")]
    public static partial void RecoveredFallback(ILogger logger, string active, string fallback);

    [LoggerMessage(EventId = 104, EventName = "RecoverFailed", Level = LogLevel.Error, Message = "Installed version {Version} could not be loaded: {Reason}")]
    public static partial void RecoverFailed(ILogger logger, string version, string reason);

    [LoggerMessage(EventId = 105, EventName = "ShadowFailed", Level = LogLevel.Warning, Message = "Shadow run of {Version} failed: {Reason}")]
    public static partial void ShadowFailed(ILogger logger, string version, string reason);
}
