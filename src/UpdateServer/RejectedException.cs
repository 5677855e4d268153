namespace EdgeDeploy.UpdateServer;

/// <summary>A request a domain service refused; the API's <c>RejectionInterceptor</c> turns it into an RpcException.</summary>
internal sealed class RejectedException(Rejection reason, string message) : Exception(message)
{
    public Rejection Reason { get; } = reason;

    public static RejectedException Invalid(string message) => new(Rejection.InvalidArgument, message);

    public static RejectedException NotFound(string message) => new(Rejection.NotFound, message);
}
