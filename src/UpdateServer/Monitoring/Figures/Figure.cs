using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Monitoring.Figures;

/// <summary>
/// One monitored figure: its name (an alert rule's metric), where its evidence comes from, its value and how many
/// samples that value rests on. Defined once in <see cref="MonitoredFigures"/>; gates, alerts and the monitoring RPCs read it there.
/// </summary>
internal sealed record Figure(string Name, FigureSource Source, Func<FigureInput, double> Value, Func<FigureInput, long> Samples)
{
    /// <summary>Whether an alert rule on it names a feature or output (drift) or a model-card slice.</summary>
    public bool NeedsFeature => Source is FigureSource.Drift or FigureSource.Slice;

    /// <summary>Whether a rule may name a model-card slice (class and evidence figures) or fairness group (fairness figures), or none for all.</summary>
    public bool TakesFeature => Source is FigureSource.Classes or FigureSource.Fairness or FigureSource.Evidence;

    /// <summary>What an alert message adds about the value: the class or group and rates behind it; null for nothing.</summary>
    public Func<FigureInput, string?>? Detail { get; init; }

    public double Of(HealthTotals health, bool higherIsBetter = true) => Value(new FigureInput(higherIsBetter) { Health = health });

    public double Of(VersionWindowSummary telemetry, bool higherIsBetter) => Value(new FigureInput(higherIsBetter) { Telemetry = telemetry });

    public double Of(DriftScore drift) => Value(new FigureInput(true) { Drift = drift });

    public double Of(SliceOutcomes slice, bool higherIsBetter) => Value(new FigureInput(higherIsBetter) { Slice = slice });

    public double Of(ConfusionCounts classes) => Value(new FigureInput(true) { Classes = classes });
}
