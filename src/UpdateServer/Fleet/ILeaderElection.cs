namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Which replica runs the fleet-wide work: the rollout controller, the alert evaluator and retention. Every replica
/// serves devices and operators; exactly one leads at a time. SQLite runs one server, which always leads
/// (<see cref="SingleNodeLeaderElection"/>); on PostgreSQL the leader holds a session advisory lock
/// (<see cref="PostgresLeaderElection"/>), so when it dies another replica takes over within a tick or two.
/// </summary>
internal interface ILeaderElection
{
    /// <summary>Whether this replica led at its last check (readiness, metrics and logs may read it).</summary>
    bool IsLeader { get; }

    /// <summary>True when other replicas may share the store (PostgreSQL): caches must follow their changes.</summary>
    bool Replicated { get; }

    /// <summary>Tries to become the leader, or confirms the leadership still holds (stepping down if not); returns <see cref="IsLeader"/>.</summary>
    Task<bool> CheckAsync(CancellationToken cancellationToken);

    /// <summary>Gives the leadership up now (on shutdown), so another replica takes over at its next check.</summary>
    Task ResignAsync(CancellationToken cancellationToken);
}
