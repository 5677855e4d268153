using Grpc.Core;
using Grpc.Core.Interceptors;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>Maps a domain service's <see cref="RejectedException"/> to the gRPC status it stands for, in one place.</summary>
internal sealed class RejectionInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RejectedException ex)
        {
            throw ToRpc(ex);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
        }
        catch (RejectedException ex)
        {
            throw ToRpc(ex);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (RejectedException ex)
        {
            throw ToRpc(ex);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (RejectedException ex)
        {
            throw ToRpc(ex);
        }
    }

    private static RpcException ToRpc(RejectedException ex) => new(new Status(
        ex.Reason switch
        {
            Rejection.NotFound => StatusCode.NotFound,
            Rejection.FailedPrecondition => StatusCode.FailedPrecondition,
            Rejection.AlreadyExists => StatusCode.AlreadyExists,
            Rejection.ResourceExhausted => StatusCode.ResourceExhausted,
            _ => StatusCode.InvalidArgument,
        },
        ex.Message));
}
