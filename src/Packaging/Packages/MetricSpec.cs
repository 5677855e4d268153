namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// One gated metric over the confidence set, with its own acceptable range. A package may state several
/// (<see cref="GateSpec.Metrics"/>); each must hold.
/// </summary>
public sealed class MetricSpec
{
    /// <summary>What to compute.</summary>
    public GateMetricKind Kind { get; init; }

    /// <summary>
    /// The model output read: class scores or labels for classification metrics, per-step scores <c>[1, T, C]</c> or
    /// <c>[T, C]</c> for CER/WER. Detectors name their outputs in <see cref="Detection"/> instead (this may then be empty).
    /// </summary>
    public string Output { get; init; } = string.Empty;

    /// <summary>How many top scores count for <see cref="GateMetricKind.TopKAccuracy"/>; null elsewhere.</summary>
    public int? K { get; init; }

    /// <summary>Class whose score AUC/F1 use; null: 1.</summary>
    public int? PositiveClass { get; init; }

    /// <summary>
    /// Per-class metrics: the classes held to the range (every one must be inside it); null: every class that occurs in
    /// the labels (recall) or the predictions and labels (precision).
    /// </summary>
    public IReadOnlyList<int>? Classes { get; init; }

    /// <summary>A model-card slice name: the metric is computed on the confidence cases inside that slice only; null: all cases.</summary>
    public string? Slice { get; init; }

    /// <summary>Greedy CTC decoding for CER/WER.</summary>
    public CtcDecoding? Ctc { get; init; }

    /// <summary>The detector's output layout for mAP.</summary>
    public DetectionLayout? Detection { get; init; }

    /// <summary>Lowest acceptable value (inclusive).</summary>
    public double Min { get; init; }

    /// <summary>Highest acceptable value (inclusive).</summary>
    public double Max { get; init; }

    /// <summary>A short display name, e.g. "top3_accuracy", "min_class_recall@night", "cer".</summary>
    public string DisplayName() =>
        (Kind switch
        {
            GateMetricKind.TopKAccuracy => $"top{K ?? 1}_accuracy",
            GateMetricKind.ClassRecall => "min_class_recall",
            GateMetricKind.ClassPrecision => "min_class_precision",
            GateMetricKind.CharacterErrorRate => "cer",
            GateMetricKind.WordErrorRate => "wer",
            GateMetricKind.MeanAveragePrecision => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"map@{Detection?.IouThreshold ?? 0.5:0.##}"),
            _ => Kind.ToString().ToLowerInvariant(),
        })
        + (Slice is null ? string.Empty : "@" + Slice);
}
