using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>What the validation gate found for one package.</summary>
public sealed class GateReport
{
    internal GateReport(string name, string version, bool passed, string? reason, int endToEndCases, int endToEndFailures, ConfidenceMetric metric, double metricValue, double min, double max, long loadBytes, long peakBytes, IReadOnlyList<GateMetricResult> metrics, IReadOnlyList<GateLatencyResult> latencies, TimeSpan duration)
    {
        Name = name;
        Version = version;
        Passed = passed;
        Reason = reason;
        EndToEndCases = endToEndCases;
        EndToEndFailures = endToEndFailures;
        Metric = metric;
        MetricValue = metricValue;
        MetricMin = min;
        MetricMax = max;
        LoadBytes = loadBytes;
        PeakBytes = peakBytes;
        Metrics = metrics;
        Latencies = latencies;
        Duration = duration;
    }

    /// <summary>Model name.</summary>
    public string Name { get; }

    /// <summary>Version gated.</summary>
    public string Version { get; }

    /// <summary>True when every end-to-end case matched, the metric was in range and the memory budget held.</summary>
    public bool Passed { get; }

    /// <summary>Why the gate failed; null when it passed.</summary>
    public string? Reason { get; }

    /// <summary>End-to-end cases run.</summary>
    public int EndToEndCases { get; }

    /// <summary>End-to-end cases with an output outside tolerance.</summary>
    public int EndToEndFailures { get; }

    /// <summary>The confidence metric.</summary>
    public ConfidenceMetric Metric { get; }

    /// <summary>Its value on the confidence set (NaN when not reached).</summary>
    public double MetricValue { get; }

    /// <summary>Lowest acceptable value.</summary>
    public double MetricMin { get; }

    /// <summary>Highest acceptable value.</summary>
    public double MetricMax { get; }

    /// <summary>Memory attributed to the model: the larger of <see cref="LoadBytes"/> and <see cref="PeakBytes"/>.</summary>
    public long MemoryBytes => Math.Max(LoadBytes, PeakBytes);

    /// <summary>Memory to load the model: the larger of the manifest's figure and the measured resident growth on load.</summary>
    public long LoadBytes { get; }

    /// <summary>
    /// Peak memory while the gate loaded the model and ran its end-to-end and confidence sets (and latency timings):
    /// the highest resident growth measured, at least <see cref="LoadBytes"/>.
    /// </summary>
    public long PeakBytes { get; }

    /// <summary>
    /// Every metric gated: the confidence metric first, then the manifest's further metrics, then the model card's fairness
    /// ratios (<c>fnr_ratio@group</c>: the group's rate over the reference group's, see <see cref="FairnessSpec"/>).
    /// </summary>
    public IReadOnlyList<GateMetricResult> Metrics { get; }

    /// <summary>The latency budgets timed on this device (empty when neither the manifest nor the store states one).</summary>
    public IReadOnlyList<GateLatencyResult> Latencies { get; }

    /// <summary>How long the gate took.</summary>
    public TimeSpan Duration { get; }

    /// <inheritdoc/>
    public override string ToString() => Passed
        ? $"{Name} {Version} passed: {EndToEndCases} end-to-end cases matched, {Metric} {MetricValue:G4} in [{MetricMin:G4}, {MetricMax:G4}]"
        : $"{Name} {Version} failed: {Reason}";
}
