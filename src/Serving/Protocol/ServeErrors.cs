using EdgeDeploy.Runtime;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace EdgeDeploy.Serving.Protocol;

/// <summary>Maps EdgeDeploy errors onto HTTP and gRPC status codes; the message names the code and, where known, the tensor.</summary>
internal static class ServeErrors
{
    public static int HttpStatus(EdgeErrorCode code) => code switch
    {
        EdgeErrorCode.ModelNotFound or EdgeErrorCode.PackageNotFound => StatusCodes.Status404NotFound,
        EdgeErrorCode.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        EdgeErrorCode.OfflineGraceExpired or EdgeErrorCode.Disposed => StatusCodes.Status503ServiceUnavailable,
        EdgeErrorCode.InferenceFailed or EdgeErrorCode.ExecutionProviderUnavailable => StatusCodes.Status500InternalServerError,
        _ => StatusCodes.Status400BadRequest,
    };

    public static StatusCode GrpcStatus(EdgeErrorCode code) => code switch
    {
        EdgeErrorCode.ModelNotFound or EdgeErrorCode.PackageNotFound => StatusCode.NotFound,
        EdgeErrorCode.PayloadTooLarge => StatusCode.ResourceExhausted,
        EdgeErrorCode.OfflineGraceExpired or EdgeErrorCode.Disposed => StatusCode.Unavailable,
        EdgeErrorCode.InferenceFailed or EdgeErrorCode.ExecutionProviderUnavailable => StatusCode.Internal,
        _ => StatusCode.InvalidArgument,
    };

    /// <summary><c>Code: message</c>, with the tensor's name added when the message does not already quote it.</summary>
    public static string Message(EdgeException e) =>
        e.TensorName is { } tensor && !e.Message.Contains($"'{tensor}'", StringComparison.Ordinal)
            ? $"{e.Code}: {e.Message} (tensor '{tensor}')"
            : $"{e.Code}: {e.Message}";

    public static RpcException Rpc(EdgeException e) => new(new Status(GrpcStatus(e.Code), Message(e)));

    public const string Overloaded = "ResourceExhausted: the server is at its concurrency limit and its queue is full; retry later.";
}
