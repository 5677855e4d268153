namespace EdgeDeploy.Runtime.Store;

/// <summary>One gated metric's value on the confidence set.</summary>
/// <param name="Name">Display name, e.g. "top3_accuracy", "min_class_recall", "cer", "map@0.5".</param>
/// <param name="Value">The value (for per-class metrics the lowest class's; NaN when it could not be computed).</param>
/// <param name="Min">Lowest acceptable value.</param>
/// <param name="Max">Highest acceptable value.</param>
/// <param name="Passed">Whether the value is inside [Min, Max].</param>
/// <param name="Cases">Confidence cases it was computed on (fewer than the set when it is restricted to a slice).</param>
/// <param name="Detail">Per-class values, or a first decoded sequence; null when there is nothing to add.</param>
public sealed record GateMetricResult(string Name, double Value, double Min, double Max, bool Passed, int Cases, string? Detail);
