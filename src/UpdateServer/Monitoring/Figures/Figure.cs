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

    public double Of(HealthTotals health, bool higherIsBetter = true) => Value(new FigureInput(higherIsBetter) { Health = health });

    public double Of(VersionWindowSummary telemetry, bool higherIsBetter) => Value(new FigureInput(higherIsBetter) { Telemetry = telemetry });

    public double Of(DriftScore drift) => Value(new FigureInput(true) { Drift = drift });

    public double Of(SliceOutcomes slice, bool higherIsBetter) => Value(new FigureInput(higherIsBetter) { Slice = slice });
}
