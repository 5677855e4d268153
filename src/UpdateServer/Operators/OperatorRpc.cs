using Google.Protobuf;

namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>
/// What an operator RPC needs and records: the least role allowed to call it and, for calls that change anything, how
/// to name the audit entry's target and reason from the request (or, when the request is a stream, the response).
/// </summary>
internal sealed record OperatorRpc(OperatorRole MinimumRole, bool Mutates, Func<IMessage?, IMessage?, string>? Target = null, Func<IMessage?, string>? Reason = null)
{
    public static OperatorRpc Read(OperatorRole role) => new(role, Mutates: false);

    /// <summary>A mutating call: audited with the target <paramref name="target"/> names (request, response) and the reason <paramref name="reason"/> reads.</summary>
    public static OperatorRpc Write<TRequest>(OperatorRole role, Func<TRequest, string> target, Func<TRequest, string>? reason = null)
        where TRequest : class, IMessage =>
        new(role, Mutates: true, (request, _) => request is TRequest r ? target(r) : string.Empty, reason is null ? null : request => request is TRequest r ? reason(r) : string.Empty);

    /// <summary>
    /// A read that takes data off the server (an export of predictions and raw inputs): changes nothing, but is audited
    /// like a mutating call, with the target <paramref name="target"/> names, so who took which data is on record.
    /// </summary>
    public static OperatorRpc Egress<TRequest>(OperatorRole role, Func<TRequest, string> target)
        where TRequest : class, IMessage =>
        new(role, Mutates: true, (request, _) => request is TRequest r ? target(r) : string.Empty);

    /// <summary>A mutating client-streaming call: its target comes from the response.</summary>
    public static OperatorRpc WriteStreamed<TResponse>(OperatorRole role, Func<TResponse, string> target)
        where TResponse : class, IMessage =>
        new(role, Mutates: true, (_, response) => response is TResponse r ? target(r) : string.Empty);
}
