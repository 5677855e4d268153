namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>The embedded (SQLite) server: one node, always the leader.</summary>
internal sealed class SingleNodeLeaderElection : ILeaderElection
{
    public bool IsLeader => true;

    public bool Replicated => false;

    public Task<bool> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(true);

    public Task ResignAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
