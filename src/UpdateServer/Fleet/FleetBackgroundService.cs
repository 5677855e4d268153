using EdgeDeploy.UpdateServer.Diagnostics.Health;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Flushes batched check-ins and evaluates rollouts on their intervals; flushes once more on shutdown. Each round is
/// recorded in <see cref="FleetHeartbeat"/>, which the readiness check reads.
/// </summary>
internal sealed class FleetBackgroundService(FleetDirectory fleet, RolloutController controller, UpdateServerOptions options, TimeProvider time, FleetHeartbeat heartbeat, ILogger<FleetBackgroundService> logger)
    : BackgroundService
{
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await fleet.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        heartbeat.MarkStarted(time.GetUtcNow());
        var nextEvaluation = time.GetUtcNow() + options.RolloutEvaluationInterval;
        using var timer = new PeriodicTimer(options.CheckInFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await fleet.FlushAsync(stoppingToken).ConfigureAwait(false);
                    if (time.GetUtcNow() >= nextEvaluation)
                    {
                        nextEvaluation = time.GetUtcNow() + options.RolloutEvaluationInterval;
                        await controller.EvaluateAllAsync(stoppingToken).ConfigureAwait(false);
                        heartbeat.MarkEvaluated(time.GetUtcNow());
                    }
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
