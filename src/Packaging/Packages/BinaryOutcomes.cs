namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// One group's predictions against the <see cref="FairnessSpec.PositiveClass"/>: the counts every fairness rate is
/// computed from, on the device (confidence set) and on the server (labelled telemetry) alike.
/// </summary>
/// <param name="TruePositives">Predicted positive, truly positive.</param>
/// <param name="FalsePositives">Predicted positive, truly negative.</param>
/// <param name="TrueNegatives">Predicted negative, truly negative.</param>
/// <param name="FalseNegatives">Predicted negative, truly positive.</param>
public readonly record struct BinaryOutcomes(long TruePositives, long FalsePositives, long TrueNegatives, long FalseNegatives)
{
    /// <summary>Labelled cases.</summary>
    public long Count => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    /// <summary>The cases a rate is a share of: all (positive rate), the negatives (FPR) or the positives (FNR).</summary>
    public long Denominator(FairnessMetric metric) => metric switch
    {
        FairnessMetric.FalsePositiveRate => FalsePositives + TrueNegatives,
        FairnessMetric.FalseNegativeRate => TruePositives + FalseNegatives,
        _ => Count,
    };

    /// <summary>The rate; NaN when its denominator is 0.</summary>
    public double Rate(FairnessMetric metric)
    {
        var denominator = Denominator(metric);
        return denominator == 0 ? double.NaN : metric switch
        {
            FairnessMetric.FalsePositiveRate => (double)FalsePositives / denominator,
            FairnessMetric.FalseNegativeRate => (double)FalseNegatives / denominator,
            _ => (double)(TruePositives + FalsePositives) / denominator,
        };
    }

    /// <summary>Adds one labelled case.</summary>
    public BinaryOutcomes Add(bool predictedPositive, bool actuallyPositive) => (predictedPositive, actuallyPositive) switch
    {
        (true, true) => this with { TruePositives = TruePositives + 1 },
        (true, false) => this with { FalsePositives = FalsePositives + 1 },
        (false, false) => this with { TrueNegatives = TrueNegatives + 1 },
        _ => this with { FalseNegatives = FalseNegatives + 1 },
    };

    /// <summary>
    /// The disparity group rate / reference rate: 1 when both rates are 0; NaN when either rate is unknown or only the
    /// reference's is 0 (no finite ratio: <see cref="Judge"/> counts that as outside any range).
    /// </summary>
    public static double Ratio(double group, double reference) =>
        double.IsNaN(group) || double.IsNaN(reference) ? double.NaN
        : reference == 0 ? (group == 0 ? 1 : double.NaN)
        : group / reference;

    /// <summary>
    /// Judges one group against the reference on one metric: the ratio, whether both have enough cases
    /// (<see cref="FairnessSpec.MinGroupSize"/>, in total and in the rate's denominator) and whether it is in range.
    /// </summary>
    public static (double Ratio, bool Judged, bool Passed) Judge(FairnessSpec spec, FairnessMetric metric, BinaryOutcomes group, BinaryOutcomes reference)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var enough = group.Count >= spec.MinGroupSize && reference.Count >= spec.MinGroupSize
            && group.Denominator(metric) >= spec.MinGroupSize && reference.Denominator(metric) >= spec.MinGroupSize;
        var g = group.Rate(metric);
        var r = reference.Rate(metric);
        var ratio = Ratio(g, r);
        var undefined = double.IsNaN(ratio) && !double.IsNaN(g) && !double.IsNaN(r); // the reference's rate is 0, the group's is not
        return (ratio, enough, !enough || (!undefined && ratio >= spec.Min && ratio <= spec.Max));
    }
}
