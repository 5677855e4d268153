namespace EdgeDeploy.UpdateServer.Diagnostics.Health;

/// <summary>When the fleet loop (<see cref="FleetBackgroundService"/>) last went round and last evaluated rollouts; read by <see cref="EvaluatorHealthCheck"/>.</summary>
internal sealed class FleetHeartbeat
{
    private long _startedTicks = -1;
    private long _lastTickTicks = -1;
    private long _lastEvaluationTicks = -1;

    /// <summary>When the loop started; null before.</summary>
    public DateTimeOffset? Started => Read(ref _startedTicks);

    /// <summary>When the loop last finished a round (flush, and evaluation when due), whether or not it failed.</summary>
    public DateTimeOffset? LastTick => Read(ref _lastTickTicks);

    /// <summary>When rollouts were last evaluated.</summary>
    public DateTimeOffset? LastEvaluation => Read(ref _lastEvaluationTicks);

    public void MarkStarted(DateTimeOffset at) => Interlocked.Exchange(ref _startedTicks, at.UtcTicks);

    public void MarkTick(DateTimeOffset at) => Interlocked.Exchange(ref _lastTickTicks, at.UtcTicks);

    public void MarkEvaluated(DateTimeOffset at) => Interlocked.Exchange(ref _lastEvaluationTicks, at.UtcTicks);

    private static DateTimeOffset? Read(ref long ticks) => Interlocked.Read(ref ticks) is var t && t >= 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;
}
