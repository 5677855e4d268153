namespace EdgeDeploy.Runtime.Packages;

/// <summary>Metrics on one slice of the evaluation data.</summary>
public sealed class SliceMetrics
{
    /// <summary>Slice name, e.g. "petal_length&lt;2.5".</summary>
    public required string Name { get; init; }

    /// <summary>How the slice is defined.</summary>
    public string? Definition { get; init; }

    /// <summary>Examples in the slice.</summary>
    public int Count { get; init; }

    /// <summary>Metric values.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The slice as a machine-readable predicate: a row belongs to it when every condition holds. Devices tag each
    /// prediction with the slices its input falls in, so the server can track the online metric per slice. Null: the
    /// slice is documentation only.
    /// </summary>
    public IReadOnlyList<SliceCondition>? Where { get; init; }
}
