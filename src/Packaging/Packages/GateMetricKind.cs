namespace EdgeDeploy.Runtime.Packages;

/// <summary>Metrics a <see cref="MetricSpec"/> can gate on, computed on the device from the confidence set.</summary>
public enum GateMetricKind
{
    /// <summary>Fraction of rows whose argmax (or label output) equals the label.</summary>
    Accuracy = 0,

    /// <summary>Area under the ROC curve of the positive class score.</summary>
    Auc = 1,

    /// <summary>F1 of the positive class (binary) or macro F1 (multi-class).</summary>
    F1 = 2,

    /// <summary>Mean absolute error.</summary>
    Mae = 3,

    /// <summary>Root mean squared error.</summary>
    Rmse = 4,

    /// <summary>Fraction of rows whose label is among the <see cref="MetricSpec.K"/> highest scores.</summary>
    TopKAccuracy = 5,

    /// <summary>Recall of each class (the gated value is the lowest one): a model cannot trade a class away.</summary>
    ClassRecall = 6,

    /// <summary>Precision of each class (the gated value is the lowest one).</summary>
    ClassPrecision = 7,

    /// <summary>Character error rate of greedy CTC decoding against the truth text (edit distance / truth length, over the set).</summary>
    CharacterErrorRate = 8,

    /// <summary>Word error rate of greedy CTC decoding against the truth text (word edit distance / truth words, over the set).</summary>
    WordErrorRate = 9,

    /// <summary>Mean over classes of the average precision of detections at <see cref="DetectionLayout.IouThreshold"/>.</summary>
    MeanAveragePrecision = 10,
}
