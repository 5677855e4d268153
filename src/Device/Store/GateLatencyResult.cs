namespace EdgeDeploy.Runtime.Store;

/// <summary>The gate's timing of one latency budget on this device.</summary>
/// <param name="Input">The input whose shape was set ("(end-to-end inputs)" when the end-to-end cases were timed).</param>
/// <param name="Shape">The shape timed, e.g. "1x3x48x320" (empty for end-to-end inputs).</param>
/// <param name="P95Milliseconds">Measured 95th-percentile latency of one prediction.</param>
/// <param name="BudgetMilliseconds">The budget it is held to.</param>
/// <param name="Runs">Timed runs.</param>
/// <param name="Passed">Whether the p95 is within the budget.</param>
public sealed record GateLatencyResult(string Input, string Shape, double P95Milliseconds, double BudgetMilliseconds, int Runs, bool Passed);
