using EdgeDeploy.UpdateServer.Operators;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// Authorises every operator call (RegistryService, AdminService) against the role its method declares in
/// <see cref="Auth.OperatorRpcs"/>, before the service sees it, and appends an audit entry for every mutating call an
/// authenticated operator makes: allowed or refused, with its outcome (both through <see cref="OperatorCalls"/>, which the
/// web console uses too). Device and telemetry calls pass through untouched.
/// </summary>
internal sealed class OperatorInterceptor(Auth auth, OperatorCalls calls) : Interceptor
{
    /// <summary>Metadata key a client may set to give a reason for calls whose request has no reason field.</summary>
    public const string ReasonHeader = "edge-reason";

    // Device and telemetry calls (the check-in hot path) go straight through: no state machine, no allocation.
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        Auth.IsOperatorMethod(context.Method) ? OperatorUnaryAsync(request, context, continuation) : continuation(request, context);

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        Auth.IsOperatorMethod(context.Method) ? OperatorClientStreamingAsync(requestStream, context, continuation) : continuation(requestStream, context);

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        Auth.IsOperatorMethod(context.Method)
            ? OperatorStreamAsync(request as IMessage, context, () => continuation(request, responseStream, context))
            : continuation(request, responseStream, context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        Auth.IsOperatorMethod(context.Method)
            ? OperatorStreamAsync(null, context, () => continuation(requestStream, responseStream, context))
            : continuation(requestStream, responseStream, context);

    private async Task<TResponse> OperatorUnaryAsync<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        var (op, rpc) = await AuthorizeAsync(request as IMessage, context).ConfigureAwait(false);
        return await AuditedAsync(op, rpc, request as IMessage, context, () => continuation(request, context)).ConfigureAwait(false);
    }

    private async Task<TResponse> OperatorClientStreamingAsync<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
        where TRequest : class
        where TResponse : class
    {
        var (op, rpc) = await AuthorizeAsync(null, context).ConfigureAwait(false);
        return await AuditedAsync(op, rpc, null, context, () => continuation(requestStream, context)).ConfigureAwait(false);
    }

    private async Task OperatorStreamAsync(IMessage? request, ServerCallContext context, Func<Task> call)
    {
        var (op, rpc) = await AuthorizeAsync(request, context).ConfigureAwait(false);
        await AuditedAsync<object?>(op, rpc, request, context, async () =>
        {
            await call().ConfigureAwait(false);
            return null;
        }).ConfigureAwait(false);
    }

    private async Task<(OperatorIdentity, OperatorRpc)> AuthorizeAsync(IMessage? request, ServerCallContext context)
    {
        var (op, rpc) = await auth.IdentifyOperatorAsync(context.Method, context).ConfigureAwait(false);
        await calls.AuthorizeAsync(op, context.Method, rpc, request, context.RequestHeaders.GetValue(ReasonHeader)).ConfigureAwait(false);
        op.AttachTo(context);
        return (op, rpc);
    }

    private Task<TResponse> AuditedAsync<TResponse>(OperatorIdentity op, OperatorRpc rpc, IMessage? request, ServerCallContext context, Func<Task<TResponse>> call) =>
        calls.AuditedAsync(op, context.Method, rpc, request, context.RequestHeaders.GetValue(ReasonHeader), call);
}
