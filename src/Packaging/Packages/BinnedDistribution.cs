namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// A distribution as bins. Numeric: <see cref="BinEdges"/> has one more entry than <see cref="Fractions"/>, the outer
/// bins are open-ended. Categorical: <see cref="Categories"/> parallels <see cref="Fractions"/>.
/// </summary>
public sealed class BinnedDistribution
{
    /// <summary>Feature or output name.</summary>
    public required string Name { get; init; }

    /// <summary>Numeric or categorical.</summary>
    public FeatureKind Kind { get; init; }

    /// <summary>Bin edges (numeric).</summary>
    public IReadOnlyList<double>? BinEdges { get; init; }

    /// <summary>Categories (categorical).</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Fraction of the sample in each bin; sums to 1.</summary>
    public required IReadOnlyList<double> Fractions { get; init; }

    /// <summary>Fraction of the sample where the value was missing.</summary>
    public double MissingFraction { get; init; }
}
