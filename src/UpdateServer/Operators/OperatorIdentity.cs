namespace EdgeDeploy.UpdateServer.Operators;

/// <summary>The operator behind a call: a named credential an admin issued, or the shared EdgeDeploy:OperatorToken.</summary>
internal sealed record OperatorIdentity(string Name, OperatorRole Role)
{
    /// <summary>The name audit entries and rollout reasons give the shared EdgeDeploy:OperatorToken (an admin credential).</summary>
    public const string SharedTokenName = "operator";

    public static OperatorIdentity SharedToken { get; } = new(SharedTokenName, OperatorRole.Admin);

    private static readonly object Key = new();

    /// <summary>The operator <see cref="Api.OperatorInterceptor"/> authorised for this call.</summary>
    public static OperatorIdentity Of(Grpc.Core.ServerCallContext context) =>
        context.UserState.TryGetValue(Key, out var found) && found is OperatorIdentity op
            ? op
            : throw new InvalidOperationException("The call was not authorised by OperatorInterceptor.");

    public void AttachTo(Grpc.Core.ServerCallContext context) => context.UserState[Key] = this;
}
