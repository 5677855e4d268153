using EdgeDeploy.UpdateServer.Diagnostics.Health;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Each <see cref="UpdateServerOptions.CheckInFlushInterval"/>: flushes batched check-ins (every replica), checks the
/// leadership (<see cref="ILeaderElection"/>), and on the leader only evaluates rollouts and alerts on their interval and
/// applies retention on its interval. Flushes once more and resigns the leadership on shutdown. Each round is recorded in
/// <see cref="FleetHeartbeat"/>, which the readiness check reads.
/// </summary>
internal sealed class FleetBackgroundService(
    FleetDirectory fleet,
    RolloutController controller,
    ILeaderElection election,
    IUpdateStore store,
    ITelemetryStore telemetry,
    UpdateServerOptions options,
    TimeProvider time,
    FleetHeartbeat heartbeat,
    ILogger<FleetBackgroundService> logger)
    : BackgroundService
{
    private DateTimeOffset _nextEvaluation;
    private DateTimeOffset _nextRetention;
    private PeriodicTimer? _timer;

    /// <summary>
    /// Marks the loop started and starts its clock before the host finishes starting: since .NET 10 ExecuteAsync runs on
    /// the thread pool, so without this /readyz could report the evaluator not started just after start, and a clock
    /// advanced right after start could be missed.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        heartbeat.MarkStarted(now);
        _nextEvaluation = now + options.RolloutEvaluationInterval;
        _nextRetention = now + options.RetentionInterval;
        _timer = new PeriodicTimer(options.CheckInFlushInterval, time);
        return base.StartAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await fleet.FlushAsync(cancellationToken).ConfigureAwait(false);
        await election.ResignAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One tick: flush, leadership, and the leader's work when due.</summary>
    public async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            await fleet.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            ServerLog.BackgroundFailed(logger, ex, ex.Message); // the next tick retries; leadership is checked regardless
        }

        var wasLeader = election.IsLeader;
        if (!await election.CheckAsync(cancellationToken).ConfigureAwait(false))
        {
            heartbeat.MarkEvaluated(time.GetUtcNow()); // a follower has no evaluation due: its readiness waits for none
            return;
        }

        var now = time.GetUtcNow();
        if (!wasLeader)
        {
            // A new leader evaluates at once (the old one may have died mid-rollout) and prunes after one interval.
            _nextEvaluation = now;
            _nextRetention = now + options.RetentionInterval;
        }

        if (now >= _nextEvaluation)
        {
            _nextEvaluation = now + options.RolloutEvaluationInterval;
            if (election.Replicated)
            {
                await fleet.SyncAsync(cancellationToken).ConfigureAwait(false); // last-seen times other replicas flushed
            }

            await controller.EvaluateAllAsync(cancellationToken).ConfigureAwait(false);
            heartbeat.MarkEvaluated(time.GetUtcNow());
        }

        if (now >= _nextRetention)
        {
            _nextRetention = now + options.RetentionInterval;
            await PruneAsync(now, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes health and drift rows older than <see cref="UpdateServerOptions.HealthRetention"/> and telemetry older than
    /// <see cref="UpdateServerOptions.TelemetryRetention"/>, moving either cutoff later where the rows left would exceed
    /// <see cref="UpdateServerOptions.HealthMaxRows"/> or <see cref="UpdateServerOptions.TelemetryMaxPredictions"/>; raw inputs
    /// also go once their model card's <c>privacy.retentionDays</c> have passed.
    /// </summary>
    public async Task PruneAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var healthCutoff = Later(now - options.HealthRetention, HourCount.SizeCutoff(await store.HealthRowsPerHourAsync(cancellationToken).ConfigureAwait(false), options.HealthMaxRows));
        var telemetryCutoff = Later(now - options.TelemetryRetention, HourCount.SizeCutoff(await telemetry.PredictionsPerHourAsync(cancellationToken).ConfigureAwait(false), options.TelemetryMaxPredictions));
        var healthRows = await store.PruneHealthAsync(healthCutoff.ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        var telemetryRows = await telemetry.PruneAsync(telemetryCutoff.ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        await store.PruneWebhookDeliveriesAsync((now - options.HealthRetention).ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false); // delivered webhook messages: by age only
        telemetryRows += await telemetry.PruneRawInputsAsync(now.ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false); // the cards' retention days
        ServerLog.RetentionPruned(logger, healthRows, healthCutoff, telemetryRows, telemetryCutoff);
    }

    private static DateTimeOffset Later(DateTimeOffset byAge, long? bySizeUnixMs) =>
        bySizeUnixMs is { } size && size > byAge.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(size) : byAge;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var timer = _timer ?? throw new InvalidOperationException("StartAsync creates the timer.");
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await TickAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    ServerLog.BackgroundFailed(logger, ex, ex.Message); // keep ticking: the next tick retries
                }

                heartbeat.MarkTick(time.GetUtcNow());
            }
        }
        catch (OperationCanceledException)
        {
            // shutting down
        }
    }
}
