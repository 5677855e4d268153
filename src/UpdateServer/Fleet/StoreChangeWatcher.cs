namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Keeps a replica's in-memory state in step with changes other replicas make to the shared store. Every
/// <see cref="UpdateServerOptions.ChangePollInterval"/> (1 s by default) it reads the store's change counters
/// (<see cref="StoreChangeVersions"/>, bumped in the same transaction as each change): when rollouts or packages changed it
/// invalidates the planner's snapshot, so the next check-in gets a freshly planned and signed assignment (signed answers are
/// reused only for the same snapshot); when devices changed it reloads the fleet directory (removals and credential rotations included). A change committed at one
/// replica therefore reaches devices checking in at any other within one poll interval plus one query: at most
/// 2 s with the defaults. Idle on the single-node SQLite server, where every change goes through this process.
/// </summary>
internal sealed class StoreChangeWatcher(
    IUpdateStore store,
    RolloutPlanner planner,
    FleetDirectory fleet,
    DeviceRotations rotations,
    ILeaderElection election,
    UpdateServerOptions options,
    TimeProvider time,
    ILogger<StoreChangeWatcher> logger) : BackgroundService
{
    private StoreChangeVersions? _seen;

    /// <summary>Reads the counters once and refreshes what changed since the last poll (everything on the first).</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        // Counters first, then the reloads: whatever was committed before the read is in what the reloads see.
        var now = await store.GetChangeVersionsAsync(cancellationToken).ConfigureAwait(false);
        if (_seen is { } seen && seen == now)
        {
            return;
        }

        if (_seen is null || _seen.Devices != now.Devices)
        {
            await fleet.SyncAsync(cancellationToken).ConfigureAwait(false);
            await rotations.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }

        planner.Invalidate(); // rollouts, packages or devices changed: membership and assignments may differ
        if (_seen is not null)
        {
            ServerLog.StoreChanged(logger, now.Rollouts, now.Devices);
        }

        _seen = now;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!election.Replicated)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.ChangePollInterval, time);
        try
        {
            do
            {
                try
                {
                    await PollAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ServerLog.BackgroundFailed(logger, ex, ex.Message); // the next poll retries
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }
}
