using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EdgeDeploy.UpdateServer.Diagnostics.Health;

/// <summary>
/// Unhealthy when the fleet loop has stopped going round (no round for five check-in flush intervals, at least 30 s) or
/// rollouts have not been evaluated for three evaluation intervals (plus 30 s): check-ins would pile up unflushed and
/// rollouts would stop moving, though every RPC still answers.
/// </summary>
internal sealed class EvaluatorHealthCheck(FleetHeartbeat heartbeat, UpdateServerOptions options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        if (heartbeat.Started is not { } started)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the fleet loop (check-in flush and rollout evaluation) has not started"));
        }

        var tickLimit = Max(options.CheckInFlushInterval * 5, TimeSpan.FromSeconds(30));
        var lastTick = heartbeat.LastTick ?? started;
        if (now - lastTick > tickLimit)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the fleet loop last went round {(now - lastTick).TotalSeconds:F0} s ago (limit {tickLimit.TotalSeconds:F0} s)"));
        }

        var evaluationLimit = (options.RolloutEvaluationInterval * 3) + TimeSpan.FromSeconds(30);
        var lastEvaluation = heartbeat.LastEvaluation ?? started;
        if (now - lastEvaluation > evaluationLimit)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"rollouts were last evaluated {(now - lastEvaluation).TotalSeconds:F0} s ago (limit {evaluationLimit.TotalSeconds:F0} s)"));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"last round {(now - lastTick).TotalSeconds:F1} s ago"));
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
