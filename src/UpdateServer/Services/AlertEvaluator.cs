using System.Globalization;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.UpdateServer.Services;

/// <summary>
/// Evaluates alert rules on the controller's tick: each rule's metric over its trailing window, per version it covers.
/// A breach with enough samples opens one alert per (rule, version); the value back within the threshold resolves it.
/// </summary>
internal sealed class AlertEvaluator(IUpdateStore store, ITelemetryStore telemetry, PackageFacts facts, TimeProvider time, ILogger<AlertEvaluator> logger)
{
    public static readonly string[] Metrics =
        ["error_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "online_metric", "missing_fraction", "psi", "ks", "jensen_shannon", "slice_metric"];

    /// <summary>Metrics that need <c>feature</c>: a feature or output for the drift scores, a model-card slice for slice_metric.</summary>
    public static readonly string[] FeatureMetrics = ["psi", "ks", "jensen_shannon", "slice_metric"];

    public async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var open = await store.ListAlertsAsync(includeResolved: false, cancellationToken).ConfigureAwait(false);
        var live = await store.ListLiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var rule in await store.ListAlertRulesAsync(cancellationToken).ConfigureAwait(false))
        {
            var versions = rule.Version.Length > 0
                ? [rule.Version]
                : live.Where(r => r.Model == rule.Model).SelectMany(r => r.Arms.Select(a => a.Version).Append(r.Version)).Distinct(StringComparer.Ordinal).ToList();
            foreach (var version in versions)
            {
                var (value, samples) = await MeasureAsync(rule, version, now - (rule.WindowSeconds * 1000L), now + 1, cancellationToken).ConfigureAwait(false);
                var existing = open.FirstOrDefault(a => a.RuleId == rule.Id && a.Version == version);
                if (samples < rule.MinSamples || double.IsNaN(value))
                {
                    continue; // not enough evidence either way: keep the current state
                }

                var breached = rule.Below ? value < rule.Threshold : value > rule.Threshold;
                if (breached && existing is null)
                {
                    var message = string.Create(CultureInfo.InvariantCulture,
                        $"{rule.Metric}{(rule.Feature.Length > 0 ? $"({rule.Feature})" : string.Empty)} of {rule.Model} {version} is {value:G4} over the last {rule.WindowSeconds} s ({samples} samples), {(rule.Below ? "below" : "above")} {rule.Threshold:G4}");
                    await store.AddAlertAsync(new AlertRecord("al-" + Guid.CreateVersion7().ToString("N"), rule.Id, rule.Model, version, rule.Metric, value, rule.Threshold, now, null, message), cancellationToken).ConfigureAwait(false);
                    ServerLog.AlertOpened(logger, rule.Id, rule.Model, version, message);
                }
                else if (!breached && existing is not null)
                {
                    await store.ResolveAlertAsync(existing.Id, now, cancellationToken).ConfigureAwait(false);
                    ServerLog.AlertResolved(logger, existing.Id, rule.Model, version);
                }
            }
        }
    }

    /// <summary>The rule's metric for a version over [from, to), and how many samples it rests on.</summary>
    private async Task<(double Value, long Samples)> MeasureAsync(AlertRuleRecord rule, string version, long from, long to, CancellationToken cancellationToken)
    {
        switch (rule.Metric)
        {
            case "error_rate" or "latency_p50_ms" or "latency_p95_ms" or "latency_p99_ms" or "online_metric":
                // The same figures the rollout gates judge (VersionHealthSummary), over the rule's window.
                var (higherIsBetter, name) = await facts.MetricKindAsync(rule.Model, version, cancellationToken).ConfigureAwait(false);
                var h = new VersionHealthSummary(version, false, await store.SumHealthAsync(rule.Model, version, false, from, to, cancellationToken).ConfigureAwait(false), higherIsBetter, name);
                var served = h.Totals.Requests - h.Totals.Errors;
                return rule.Metric switch
                {
                    "online_metric" => (h.OnlineMetric, h.Totals.GroundTruth),
                    "error_rate" => (h.ErrorRate, h.Totals.Requests),
                    "latency_p50_ms" => (h.LatencyMs(0.50), served),
                    "latency_p95_ms" => (h.LatencyP95Ms, served),
                    _ => (h.LatencyMs(0.99), served),
                };
            case "missing_fraction":
                var s = telemetry.Summarize(rule.Model, version, from, to);
                return (s.MissingFraction, s.Requests);
            case "slice_metric":
                // Labelled predictions that devices tagged with the named model-card slice (its index in this version's card).
                var slices = (await facts.ManifestAsync(rule.Model, version, cancellationToken).ConfigureAwait(false))?.ModelCard.Slices;
                var index = slices?.Select(x => x.Name).ToList().IndexOf(rule.Feature) ?? -1;
                if (index < 0 || telemetry.Summarize(rule.Model, version, from, to).Slices.GetValueOrDefault(index) is not { } outcomes)
                {
                    return (double.NaN, 0);
                }

                var (better, _) = await facts.MetricKindAsync(rule.Model, version, cancellationToken).ConfigureAwait(false);
                return (OnlineMetric.Of(outcomes.GroundTruth, outcomes.Correct, outcomes.AbsErrorSum, better), outcomes.GroundTruth);
            default: // psi, ks, jensen_shannon
                var reference = (await facts.ManifestAsync(rule.Model, version, cancellationToken).ConfigureAwait(false))?.DriftReference;
                var distribution = reference?.Features.Concat(reference.Outputs).FirstOrDefault(f => f.Name == rule.Feature);
                var counts = await store.SumDriftAsync(rule.Model, version, from, cancellationToken).ConfigureAwait(false);
                if (distribution is null || !counts.TryGetValue(rule.Feature, out var c))
                {
                    return (double.NaN, 0);
                }

                var score = DriftScoring.Score(distribution, c.Counts, c.Missing);
                return (rule.Metric switch { "ks" => score.Ks, "jensen_shannon" => score.JensenShannon, _ => score.Psi }, score.Observed);
        }
    }
}
