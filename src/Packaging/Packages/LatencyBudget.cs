namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// A p95 latency budget for one input shape: the device's gate times the model on its own hardware with an input of
/// this shape and refuses the package when the measured p95 is over the budget.
/// </summary>
public sealed class LatencyBudget
{
    /// <summary>The input given <see cref="Shape"/>; null: the model's first input. Other inputs come from the first end-to-end case.</summary>
    public string? Input { get; init; }

    /// <summary>The input's shape; null: the end-to-end cases' own inputs are timed.</summary>
    public IReadOnlyList<long>? Shape { get; init; }

    /// <summary>Highest acceptable 95th-percentile latency of one prediction, in milliseconds.</summary>
    public double P95Milliseconds { get; init; }

    /// <summary>Timed runs (after two warm-up runs). Default 20.</summary>
    public int Runs { get; init; } = 20;
}
