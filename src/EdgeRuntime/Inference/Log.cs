using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Source-generated log messages of the runtime core; event ids are stable, names match the methods.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "ModelLoaded", Level = LogLevel.Information, Message = "Loaded model {Source} on {Provider}: {InputCount} input(s), {OutputCount} output(s).")]
    public static partial void ModelLoaded(ILogger logger, string source, ExecutionProviderKind provider, int inputCount, int outputCount);

    [LoggerMessage(EventId = 2, EventName = "ProviderFallback", Level = LogLevel.Warning, Message = "Execution provider {Requested} fell back to CPU: {Reason}")]
    public static partial void ProviderFallback(ILogger logger, ExecutionProviderKind requested, string reason);
}
