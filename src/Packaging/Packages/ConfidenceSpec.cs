namespace EdgeDeploy.Runtime.Packages;

/// <summary>The confidence test set and its acceptance range.</summary>
public sealed class ConfidenceSpec
{
    /// <summary>Path of the MessagePack test set in the package.</summary>
    public string Path { get; init; } = "tests/confidence.msgpack";

    /// <summary>Cases in the set.</summary>
    public int Count { get; init; }

    /// <summary>Metric to compute.</summary>
    public ConfidenceMetric Metric { get; init; }

    /// <summary>Model output the metric reads.</summary>
    public required string Output { get; init; }

    /// <summary>Class whose score AUC/F1 use; default 1.</summary>
    public int PositiveClass { get; init; } = 1;

    /// <summary>Lowest acceptable value (inclusive).</summary>
    public double Min { get; init; }

    /// <summary>Highest acceptable value (inclusive).</summary>
    public double Max { get; init; }
}
