namespace EdgeDeploy.Runtime.Packages;

/// <summary>Metrics the confidence gate can compute.</summary>
public enum ConfidenceMetric
{
    /// <summary>Fraction of correct labels (argmax for score outputs).</summary>
    Accuracy = 0,

    /// <summary>Area under the ROC curve of the positive class score.</summary>
    Auc = 1,

    /// <summary>F1 of the positive class (binary) or macro F1 (multi-class).</summary>
    F1 = 2,

    /// <summary>Mean absolute error.</summary>
    Mae = 3,

    /// <summary>Root mean squared error.</summary>
    Rmse = 4,
}
