using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Serving.Hosting;

internal static partial class ServeLog
{
    [LoggerMessage(EventId = 1, EventName = "ServeStarted", Level = LogLevel.Information, Message = "Serving {Models} over REST at {Http} and gRPC at {Grpc}")]
    public static partial void Started(ILogger logger, string models, Uri http, string grpc);

    [LoggerMessage(EventId = 2, EventName = "ServeOverloaded", Level = LogLevel.Warning, Message = "Refused an inference request: {Available} slots free and {Queued} queued")]
    public static partial void Overloaded(ILogger logger, long available, long queued);

    [LoggerMessage(EventId = 3, EventName = "ServeUnauthenticated", Level = LogLevel.Warning, Message = "Refused a request without a valid bearer token from {Remote} for {Path}")]
    public static partial void Unauthenticated(ILogger logger, string? remote, string path);

    [LoggerMessage(EventId = 4, EventName = "ServeRequestRejected", Level = LogLevel.Debug, Message = "Rejected {Path}: {Error}")]
    public static partial void Rejected(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 5, EventName = "ServeRequestFailed", Level = LogLevel.Error, Message = "Failed {Path} after {Milliseconds} ms")]
    public static partial void Failed(ILogger logger, string path, double milliseconds, Exception exception);
}
