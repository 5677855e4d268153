using System.Globalization;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// A rollout's health gates: install success, device silence, firing alerts, error rate, latency p95 and the online
/// metric against the baseline, each read through <see cref="MonitoredFigures"/> (via <see cref="VersionHealthSummary"/>).
/// </summary>
internal static class RolloutGateCheck
{
    /// <summary>Null when every gate holds; otherwise why the rollout must stop.</summary>
    public static string? GateFailure(RolloutRecord r, RolloutStatus s)
    {
        var g = r.Gates;
        var allowed = (int)Math.Floor(((1 - g.MinInstallSuccessRate) * s.Members) + 1e-9);
        if (s.Failed + s.TimedOut > allowed)
        {
            return Invariant($"{s.Failed + s.TimedOut} of {s.Members} devices failed to install or stopped reporting ({s.Failed} failed, {s.TimedOut} silent past {g.DeviceTimeoutSeconds} s); the install gate (at least {g.MinInstallSuccessRate * 100:0.#}% must succeed) allows {(allowed == 0 ? "none" : allowed.ToString(CultureInfo.InvariantCulture))}");
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

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
