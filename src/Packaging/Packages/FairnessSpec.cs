namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// What the model card commits to about bias (in the spirit of Aequitas): groups of a sensitive attribute, each a
/// model-card slice with a predicate (<see cref="SliceMetrics.Where"/>), are compared with a reference group on the
/// <see cref="Metrics"/>; each ratio group rate / reference rate must lie in [<see cref="Min"/>, <see cref="Max"/>].
/// The device gate computes the ratios on the confidence set and the server online from ground truth, per group, with
/// the same slice predicates the devices tag predictions with. A group is therefore identified by the model's own
/// inputs (e.g. a <c>group</c> column of a tabular model); an attribute the model does not take as input cannot be
/// sliced on.
/// </summary>
public sealed class FairnessSpec
{
    /// <summary>The reference group: a model-card slice name.</summary>
    public required string Reference { get; init; }

    /// <summary>The groups compared with the reference: model-card slice names.</summary>
    public required IReadOnlyList<string> Groups { get; init; }

    /// <summary>The rates compared; by default all three.</summary>
    public IReadOnlyList<FairnessMetric> Metrics { get; init; } = [FairnessMetric.PositiveRate, FairnessMetric.FalsePositiveRate, FairnessMetric.FalseNegativeRate];

    /// <summary>The output holding class scores or a label; null: the confidence metric's output.</summary>
    public string? Output { get; init; }

    /// <summary>The favourable (positive) class; default 1.</summary>
    public int PositiveClass { get; init; } = 1;

    /// <summary>Lowest acceptable ratio (inclusive); default 0.8 (the four-fifths rule).</summary>
    public double Min { get; init; } = 0.8;

    /// <summary>Highest acceptable ratio (inclusive); default 1.25.</summary>
    public double Max { get; init; } = 1.25;

    /// <summary>
    /// Fewest cases a group (and the reference) needs before its ratio is judged, and fewest cases in the ratio's
    /// denominator (actual negatives for the false positive rate, actual positives for the false negative rate); smaller
    /// groups are reported, not judged. Default 30.
    /// </summary>
    public int MinGroupSize { get; init; } = 30;

    /// <summary>The short name of a metric's ratio: <c>positive_rate_ratio</c>, <c>fpr_ratio</c> or <c>fnr_ratio</c>.</summary>
    public static string RatioName(FairnessMetric metric) => metric switch
    {
        FairnessMetric.PositiveRate => "positive_rate_ratio",
        FairnessMetric.FalsePositiveRate => "fpr_ratio",
        FairnessMetric.FalseNegativeRate => "fnr_ratio",
        _ => metric.ToString().ToLowerInvariant(),
    };
}
