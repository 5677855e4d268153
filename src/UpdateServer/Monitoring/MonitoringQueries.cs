using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>
/// The monitoring reads operators make: a version's stats per window, its model-card slices, its drift. One definition per
/// figure: requests, errors, latency and the online metric come from device health reports through
/// <see cref="MonitoredFigures"/> (as rollout gates and alert rules read them); drift counts arrive with the same reports
/// and are judged by <see cref="DriftAssessment"/>; slices, missing inputs and the prediction mix come from telemetry
/// records. Every query covers [from, until) of the time the server received the evidence.
/// </summary>
internal sealed class MonitoringQueries(IUpdateStore store, ITelemetryStore telemetry, PackageFacts facts, FigureReader figures, TimeProvider time)
{
    /// <summary>
    /// The card's fairness groups (null when it states none) and the version's labelled predictions by class over
    /// [from, to) (to 0: now; at most the range the other views allow), read through the same <see cref="FigureReader"/> evidence as the fairness and class alert rules.
    /// </summary>
    /// <exception cref="RejectedException">An unpublished version or an empty range.</exception>
    public async Task<(ModelCard Card, FairnessEvidence? Fairness, ConfusionCounts Classes)> FairnessAsync(string model, string version, long fromUnixMs, long toUnixMs, CancellationToken cancellationToken)
    {
        var manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"{model} {version} is not published.");
        var (from, until) = Windows(fromUnixMs, toUnixMs, 0)[0];
        var fairness = await figures.FairnessAsync(model, version, string.Empty, from, until, cancellationToken).ConfigureAwait(false);
        return (manifest.ModelCard, fairness, telemetry.Summarize(model, version, from, until).Confusion);
    }

    /// <summary>Telemetry and reported health of a version per window of [from, to).</summary>
    /// <exception cref="RejectedException">An empty or over-long time range.</exception>
    public async Task<IReadOnlyList<StatsWindow>> VersionStatsAsync(string model, string version, long fromUnixMs, long toUnixMs, int windowSeconds, CancellationToken cancellationToken)
    {
        var manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"{model} {version} is not published.");
        var (higherIsBetter, metric) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        var topK = EvidenceFigures.TopK(manifest);
        var map = EvidenceFigures.DeclaresMap(manifest);
        var result = new List<StatsWindow>();
        foreach (var (from, until) in Windows(fromUnixMs, toUnixMs, windowSeconds))
        {
            var s = telemetry.Summarize(model, version, from, until);
            var health = new VersionHealthSummary(version, false, await store.SumHealthAsync(model, version, false, from, until, cancellationToken).ConfigureAwait(false), higherIsBetter, metric);
            result.Add(new StatsWindow(from, until, s, health)
            {
                TopK = topK,
                Detections = map ? await figures.DetectionsAsync(model, version, from, until, cancellationToken).ConfigureAwait(false) : null,
            });
        }

        return result;
    }

    /// <summary>Served outcomes per model-card slice of a version, per window of [from, to) and in total.</summary>
    /// <exception cref="RejectedException">An empty or over-long time range, or an unpublished version.</exception>
    public async Task<(IReadOnlyList<(long From, long Until)> Windows, bool HigherIsBetter, string MetricName, IReadOnlyList<SliceStats> Slices, SliceOutcomes All)> SlicesAsync(
        string model, string version, long fromUnixMs, long toUnixMs, int windowSeconds, CancellationToken cancellationToken)
    {
        var windows = Windows(fromUnixMs, toUnixMs, windowSeconds);
        var manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"{model} {version} is not published.");
        var (higherIsBetter, metric) = await facts.MetricKindAsync(model, version, cancellationToken).ConfigureAwait(false);
        var whole = telemetry.Summarize(model, version, windows[0].From, windows[^1].Until);
        var all = new SliceOutcomes(whole.Requests, whole.GroundTruth, whole.Correct, whole.AbsErrorSum);
        var summaries = windows.Count == 1 ? [whole.Slices] : windows.Select(w => telemetry.Summarize(model, version, w.From, w.Until).Slices).ToList();
        var slices = new List<SliceStats>();
        for (var i = 0; i < manifest.ModelCard.Slices.Count; i++)
        {
            var perWindow = new List<SliceOutcomes>();
            var total = new SliceOutcomes(0, 0, 0, 0);
            foreach (var summary in summaries)
            {
                var o = summary.GetValueOrDefault(i) ?? new SliceOutcomes(0, 0, 0, 0);
                perWindow.Add(o);
                total = new SliceOutcomes(total.Requests + o.Requests, total.GroundTruth + o.GroundTruth, total.Correct + o.Correct, total.AbsErrorSum + o.AbsErrorSum);
            }

            slices.Add(new SliceStats(manifest.ModelCard.Slices[i], perWindow, total));
        }

        return (windows, higherIsBetter, metric, slices, all);
    }

    /// <summary>Every feature's and output's drift over [since, until) (until 0: now), scored against the version's drift reference and judged by <see cref="DriftAssessment"/>.</summary>
    /// <exception cref="RejectedException">An unpublished version, or one packaged without a drift reference.</exception>
    public async Task<(IReadOnlyList<FeatureDriftScore> Features, long Until)> DriftAsync(string model, string version, long sinceUnixMs, long untilUnixMs, CancellationToken cancellationToken)
    {
        var until = untilUnixMs == 0 ? time.GetUtcNow().ToUnixTimeMilliseconds() + 1 : untilUnixMs;
        var manifest = await facts.ManifestAsync(model, version, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"{model} {version} is not published.");
        var reference = manifest.DriftReference
            ?? throw new RejectedException(Rejection.FailedPrecondition, $"{model} {version} was packaged without a drift reference.");
        var counts = await store.SumDriftAsync(model, version, sinceUnixMs, until, cancellationToken).ConfigureAwait(false);
        var result = new List<FeatureDriftScore>();
        foreach (var (distribution, isOutput) in reference.Features.Select(f => (f, false)).Concat(reference.Outputs.Select(o => (o, true))))
        {
            var bins = distribution.Fractions.Count + (distribution.Kind == FeatureKind.Categorical ? 1 : 0);
            var (observed, missing) = counts.TryGetValue(distribution.Name, out var c) && c.Counts.Length == bins ? c : (new long[bins], 0L);
            result.Add(DriftAssessment.Assess(distribution, reference.SampleCount, observed, missing, isOutput));
        }

        return (result, until);
    }

    /// <summary>The query's time windows: [from, to) cut into window_seconds steps (one window when 0), to defaulting to now.</summary>
    private List<(long From, long Until)> Windows(long fromUnixMs, long toUnixMs, int windowSeconds)
    {
        var to = toUnixMs == 0 ? time.GetUtcNow().ToUnixTimeMilliseconds() : toUnixMs;
        if (fromUnixMs < 0 || to <= fromUnixMs || windowSeconds < 0)
        {
            throw RejectedException.Invalid("the time range must be non-empty (from < to) and window_seconds non-negative.");
        }

        var step = windowSeconds == 0 ? to - fromUnixMs : windowSeconds * 1000L;
        if ((to - fromUnixMs) / step > 1000)
        {
            throw RejectedException.Invalid("at most 1,000 windows per query; widen window_seconds.");
        }

        var windows = new List<(long, long)>();
        for (var from = fromUnixMs; from < to; from += step)
        {
            windows.Add((from, Math.Min(from + step, to)));
        }

        return windows;
    }
}
