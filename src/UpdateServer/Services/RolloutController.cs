using System.Globalization;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.UpdateServer.Services;

/// <summary>Where a rollout stands: its members' install outcomes and the health of its version and baseline.</summary>
internal sealed record RolloutStatus(
    int Members,
    int Succeeded,
    int Failed,
    int TimedOut,
    int Pending,
    VersionHealthSummary Health,
    VersionHealthSummary? Baseline,
    IReadOnlyList<(string Version, long Successes, long Failures)> Arms,
    IReadOnlyList<AlertRecord> FiringAlerts);

/// <summary>One version's health since a point in time, with its online metric (accuracy or MAE).</summary>
internal sealed record VersionHealthSummary(string Version, bool Shadow, HealthTotals Totals, bool HigherIsBetter, string MetricName)
{
    public double ErrorRate => Totals.Requests == 0 ? 0 : (double)Totals.Errors / Totals.Requests;

    public double LatencyP95Ms => LatencyMs(0.95);

    public double LatencyMs(double quantile) => LatencyHistogram.QuantileMillis(Totals.LatencyBuckets, quantile);

    public double OnlineMetric => Services.OnlineMetric.Of(Totals.GroundTruth, Totals.Correct, Totals.AbsErrorSum, HigherIsBetter);
}

/// <summary>
/// Moves rollouts along: evaluates each active rollout's health gates (install success, device-reported gate results,
/// silent devices, error rate, latency p95, online metric against the baseline), advances staged rollouts stage by
/// stage, completes them, re-weights bandits, and pauses or rolls back a rollout the moment a gate fails.
/// </summary>
internal sealed class RolloutController(IUpdateStore store, RolloutPlanner planner, PackageFacts facts, AlertEvaluator alerts, TimeProvider time, ILogger<RolloutController> logger)
{
    /// <summary>Exploration floor: every bandit arm keeps at least this share before normalisation.</summary>
    public const double BanditFloor = 0.02;

    private readonly SemaphoreSlim _evaluating = new(1, 1);

    /// <summary>Evaluates every active rollout once.</summary>
    public async Task EvaluateAllAsync(CancellationToken cancellationToken)
    {
        await _evaluating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await alerts.EvaluateAsync(cancellationToken).ConfigureAwait(false); // first, so gates see this tick's alerts
            foreach (var rollout in await store.ListRolloutsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                if (rollout.State == "active")
                {
                    await EvaluateAsync(rollout, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _evaluating.Release();
        }

        planner.Invalidate(); // also picks up rollouts another server instance changed
    }

    public async Task<RolloutStatus> StatusAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var timeoutMs = r.Gates.DeviceTimeoutSeconds * 1000L;
        var reports = await store.GetLatestInstallReportsAsync(r.Id, cancellationToken).ConfigureAwait(false);
        int succeeded = 0, failed = 0, timedOut = 0, pending = 0;
        var members = await planner.MembersAsync(r, cancellationToken).ConfigureAwait(false);
        foreach (var device in members)
        {
            if (!reports.TryGetValue(device.Record.DeviceId, out var report))
            {
                // No answer yet: pending within the timeout, failed after it.
                if (now - r.StageStartedUnixMs > timeoutMs)
                {
                    timedOut++;
                }
                else
                {
                    pending++;
                }
            }
            else if (!report.Success)
            {
                failed++;
            }
            else if (r.State != "completed" && now - device.LastSeenUnixMs > timeoutMs)
            {
                timedOut++; // installed, then went silent
            }
            else
            {
                succeeded++;
            }
        }

        var shadow = (RolloutStrategy)r.Strategy == RolloutStrategy.Shadow;
        var health = await SummaryAsync(r.Model, r.Version, shadow, r.StageStartedUnixMs, cancellationToken).ConfigureAwait(false);
        var baseline = r.BaselineVersion.Length == 0 ? null : await SummaryAsync(r.Model, r.BaselineVersion, false, r.StageStartedUnixMs, cancellationToken).ConfigureAwait(false);
        var arms = new List<(string, long, long)>();
        foreach (var arm in r.Arms)
        {
            var t = await store.SumHealthAsync(r.Model, arm.Version, false, r.CreatedUnixMs, long.MaxValue, cancellationToken).ConfigureAwait(false);
            arms.Add((arm.Version, t.Correct, t.GroundTruth - t.Correct));
        }

        var firing = (await store.ListAlertsAsync(includeResolved: false, cancellationToken).ConfigureAwait(false))
            .Where(a => a.Model == r.Model && (a.Version == r.Version || r.Arms.Any(arm => arm.Version == a.Version))).ToList();
        return new RolloutStatus(members.Count, succeeded, failed, timedOut, pending, health, baseline, arms, firing);
    }

    /// <summary>Null when every gate holds; otherwise why the rollout must stop.</summary>
    public static string? GateFailure(RolloutRecord r, RolloutStatus s)
    {
        var g = r.Gates;
        var allowed = (int)Math.Floor(((1 - g.MinInstallSuccessRate) * s.Members) + 1e-9);
        if (s.Failed + s.TimedOut > allowed)
        {
            return $"{s.Failed + s.TimedOut} of {s.Members} devices failed to install or stopped reporting ({s.Failed} failed, {s.TimedOut} silent past {g.DeviceTimeoutSeconds} s); at most {allowed} may";
        }

        if (g.FailOnAlerts && s.FiringAlerts.FirstOrDefault() is { } alert)
        {
            return $"alert {alert.Id} is firing: {alert.Message}";
        }

        var h = s.Health;
        if (h.Totals.Requests >= g.MinRequests && h.ErrorRate > g.MaxErrorRate)
        {
            return Invariant($"error rate {h.ErrorRate * 100:F2}% over {h.Totals.Requests} predictions exceeds {g.MaxErrorRate * 100:F2}%");
        }

        if (g.MaxLatencyP95Ms is { } maxLatency && h.Totals.Requests >= g.MinRequests && h.LatencyP95Ms > maxLatency)
        {
            return Invariant($"latency p95 {h.LatencyP95Ms:F3} ms exceeds {maxLatency:F3} ms");
        }

        if (MetricRegression(r, s) is { } regression && regression > g.MaxMetricRegression)
        {
            return Invariant($"online {h.MetricName} {h.OnlineMetric:F4} on {h.Totals.GroundTruth} labels is {regression:F4} worse than {s.Baseline!.Version}'s {s.Baseline.OnlineMetric:F4}; at most {g.MaxMetricRegression:F4} allowed");
        }

        return null;
    }

    /// <summary>How much worse the new version's online metric is than the baseline's; null until both have enough labels.</summary>
    public static double? MetricRegression(RolloutRecord r, RolloutStatus s)
    {
        if (r.Gates.MaxMetricRegression is null || s.Baseline is not { } b || s.Health.Totals.GroundTruth < r.Gates.MinGroundTruth || b.Totals.GroundTruth < r.Gates.MinGroundTruth)
        {
            return null;
        }

        return s.Health.HigherIsBetter ? b.OnlineMetric - s.Health.OnlineMetric : s.Health.OnlineMetric - b.OnlineMetric;
    }

    /// <summary>Applies an operator action; returns the updated rollout.</summary>
    public async Task<RolloutRecord> ApplyAsync(RolloutRecord r, string action, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var strategy = (RolloutStrategy)r.Strategy;
        var updated = action switch
        {
            "pause" => r with { State = "paused", StateReason = Reason("paused by operator", reason) },
            "resume" => r with { State = "active", StateReason = Reason("resumed by operator", reason), StageStartedUnixMs = now },
            "rollback" => r with { State = "rolled_back", StateReason = Reason("rolled back by operator", reason) },
            "promote" when strategy == RolloutStrategy.BlueGreen => r with { CurrentStage = 1, StageStartedUnixMs = now, StateReason = Reason("switched to green by operator", reason) },
            "promote" when strategy == RolloutStrategy.Bandit => r with
            {
                State = "completed",
                Arms = [new ArmRecord(r.Arms.MaxBy(a => a.Weight)!.Version, 1)],
                StateReason = Reason($"promoted best arm {r.Arms.MaxBy(a => a.Weight)!.Version} by operator", reason),
            },
            "promote" when strategy == RolloutStrategy.Shadow => r with { State = "completed", StateReason = Reason("shadow evaluation ended by operator", reason) },
            "promote" => r with { CurrentStage = r.Stages.Count - 1, StageStartedUnixMs = now, StateReason = Reason("promoted to the last stage by operator", reason) },
            _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown rollout action."),
        };
        await SaveAsync(updated, cancellationToken).ConfigureAwait(false);
        ServerLog.RolloutChanged(logger, r.Id, r.Model, r.Version, updated.State, updated.CurrentStage, updated.StateReason);
        return updated;
    }

    private async Task EvaluateAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(r, cancellationToken).ConfigureAwait(false);
        if (GateFailure(r, status) is { } failure)
        {
            var stopped = r with
            {
                State = r.OnFailure == (int)FailureAction.Pause ? "paused" : "rolled_back",
                StateReason = "health gate failed: " + failure,
            };
            await SaveAsync(stopped, cancellationToken).ConfigureAwait(false);
            ServerLog.RolloutGateFailed(logger, r.Id, r.Model, r.Version, stopped.State, failure);
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var strategy = (RolloutStrategy)r.Strategy;
        if (strategy == RolloutStrategy.Bandit)
        {
            var weights = ThompsonSampler.Weights([.. status.Arms.Select(a => (a.Successes, a.Failures))], BanditFloor, StableSeed(r.Id, status.Arms));
            var arms = r.Arms.Select((a, i) => new ArmRecord(a.Version, Math.Round(weights[i], 4))).ToList();
            if (!arms.SequenceEqual(r.Arms))
            {
                await SaveAsync(r with { Arms = arms, StateReason = "weights from " + string.Join(", ", status.Arms.Select(a => $"{a.Version} {a.Successes}/{a.Successes + a.Failures}")) }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // Canary and shadow hold where they are until an operator promotes; blue/green waits for its switch.
        var waitsForOperator = strategy == RolloutStrategy.Shadow
            || (strategy is RolloutStrategy.BlueGreen or RolloutStrategy.Canary && r.CurrentStage == 0 && (strategy == RolloutStrategy.BlueGreen || r.Stages.Count > 1));
        var waitingFor = status.Members == 0 ? "devices: none is targeted yet"
            : status.Pending > 0 ? $"{status.Pending} of {status.Members} devices to report"
            : now - r.StageStartedUnixMs < r.Gates.StageMinSeconds * 1000L ? $"the stage's minimum {r.Gates.StageMinSeconds} s"
            : r.Gates.MaxMetricRegression is not null && r.BaselineVersion.Length > 0 && MetricRegression(r, status) is null ? $"{r.Gates.MinGroundTruth} ground-truth labels for both versions"
            : null;
        if (waitingFor is not null || waitsForOperator)
        {
            var reason = waitingFor is not null ? "waiting for " + waitingFor : strategy == RolloutStrategy.BlueGreen ? "green installed on every device; ready to switch" : "healthy; holding until promoted";
            if (reason != r.StateReason)
            {
                await SaveAsync(r with { StateReason = reason }, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var next = r.CurrentStage + 1 < r.Stages.Count && strategy != RolloutStrategy.BlueGreen
            ? r with { CurrentStage = r.CurrentStage + 1, StageStartedUnixMs = now, StateReason = Invariant($"stage {r.CurrentStage + 1} passed its gates; advanced to {r.Stages[r.CurrentStage + 1]}%") }
            : r with { State = "completed", StateReason = "every stage passed its gates" };
        await SaveAsync(next, cancellationToken).ConfigureAwait(false);
        ServerLog.RolloutChanged(logger, r.Id, r.Model, r.Version, next.State, next.CurrentStage, next.StateReason);
    }

    private async Task<VersionHealthSummary> SummaryAsync(string model, string version, bool shadow, long since, CancellationToken cancellationToken)
    {
        var (higherIsBetter, name) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        return new VersionHealthSummary(version, shadow, await store.SumHealthAsync(model, version, shadow, since, long.MaxValue, cancellationToken).ConfigureAwait(false), higherIsBetter, name);
    }

    private async Task SaveAsync(RolloutRecord r, CancellationToken cancellationToken)
    {
        await store.UpdateRolloutProgressAsync(r, cancellationToken).ConfigureAwait(false);
        planner.Invalidate();
    }

    /// <summary>The same rollout and evidence give the same seed in any process (string.GetHashCode is per-process).</summary>
    private static int StableSeed(string id, IEnumerable<(string Version, long Successes, long Failures)> arms)
    {
        var text = id + string.Concat(arms.Select(a => $"|{a.Version}:{a.Successes}:{a.Failures}"));
        return BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    private static string Reason(string what, string why) => why.Length == 0 ? what : $"{what}: {why}";

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
