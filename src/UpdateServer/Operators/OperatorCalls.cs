using EdgeDeploy.UpdateServer.Api;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>
/// The one role check and audit of an operator call, shared by every way in: gRPC (<see cref="OperatorInterceptor"/>)
/// and the web console. The role comes from <see cref="Auth.OperatorRpcs"/>; a mutating call is audited whether it was
/// refused, failed or done.
/// </summary>
internal sealed class OperatorCalls(AuditLog audit)
{
    /// <summary>Runs <paramref name="call"/> as the operator RPC <paramref name="method"/> ("/package.Service/Method") on <paramref name="request"/>.</summary>
    /// <exception cref="RpcException">PermissionDenied: the method declares no role, or <paramref name="op"/>'s role is below it (audited; nothing runs).</exception>
    public async Task<TResponse> InvokeAsync<TResponse>(OperatorIdentity op, string method, IMessage request, Func<Task<TResponse>> call)
    {
        var rpc = Auth.OperatorRpcs.TryGetValue(method, out var found)
            ? found
            : throw new RpcException(new Status(StatusCode.PermissionDenied, $"{method} declares no operator role; refused."));
        await AuthorizeAsync(op, method, rpc, request, reasonHeader: null).ConfigureAwait(false);
        return await AuditedAsync(op, method, rpc, request, reasonHeader: null, call).ConfigureAwait(false);
    }

    /// <summary>Throws the refusal (audited when the call mutates) when <paramref name="op"/>'s role is below what <paramref name="rpc"/> needs.</summary>
    public async Task AuthorizeAsync(OperatorIdentity op, string method, OperatorRpc rpc, IMessage? request, string? reasonHeader)
    {
        if (Auth.Refusal(op, rpc, method) is { } refused)
        {
            if (rpc.Mutates)
            {
                await RecordAsync(op, method, rpc, request, null, reasonHeader, AuditLog.Outcome(refused)).ConfigureAwait(false);
            }

            throw refused;
        }
    }

    /// <summary>Runs an authorised call; a mutating one is audited with its outcome (done, failed or rejected).</summary>
    public async Task<TResponse> AuditedAsync<TResponse>(OperatorIdentity op, string method, OperatorRpc rpc, IMessage? request, string? reasonHeader, Func<Task<TResponse>> call)
    {
        if (!rpc.Mutates)
        {
            return await call().ConfigureAwait(false);
        }

        TResponse response;
        try
        {
            response = await call().ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            await RecordAsync(op, method, rpc, request, null, reasonHeader, AuditLog.Outcome(ex)).ConfigureAwait(false);
            throw;
        }
        catch (RejectedException ex)
        {
            await RecordAsync(op, method, rpc, request, null, reasonHeader, $"{ex.Reason}: {ex.Message}").ConfigureAwait(false);
            throw;
        }

        await RecordAsync(op, method, rpc, request, response as IMessage, reasonHeader, "ok").ConfigureAwait(false);
        return response;
    }

    private Task RecordAsync(OperatorIdentity op, string method, OperatorRpc rpc, IMessage? request, IMessage? response, string? reasonHeader, string outcome)
    {
        var action = method[(method.LastIndexOf('/') + 1)..];
        var reason = rpc.Reason?.Invoke(request) is { Length: > 0 } given ? given : reasonHeader ?? string.Empty;
        var target = rpc.Target?.Invoke(request, response) ?? string.Empty;

        // Recorded even when the caller hangs up: the action may have happened.
        return audit.RecordAsync(op, action, target, reason, outcome, CancellationToken.None);
    }
}
