using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Inference;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Loaded model {Source} on {Provider}: {InputCount} input(s), {OutputCount} output(s).")]
    public static partial void ModelLoaded(ILogger logger, string source, ExecutionProviderKind provider, int inputCount, int outputCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Execution provider {Requested} fell back to CPU: {Reason}")]
    public static partial void ProviderFallback(ILogger logger, ExecutionProviderKind requested, string reason);
}
