namespace EdgeDeploy.Runtime.Packages;

/// <summary>One input feature.</summary>
public sealed class FeatureSpec
{
    /// <summary>Feature name.</summary>
    public required string Name { get; init; }

    /// <summary>Numeric or categorical.</summary>
    public FeatureKind Kind { get; init; }

    /// <summary>Smallest allowed value (numeric).</summary>
    public double? Min { get; init; }

    /// <summary>Largest allowed value (numeric).</summary>
    public double? Max { get; init; }

    /// <summary>Allowed categories (categorical).</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Missing-value policy.</summary>
    public MissingValuePolicy Missing { get; init; }

    /// <summary>Value used when <see cref="Missing"/> is <see cref="MissingValuePolicy.Impute"/>.</summary>
    public double? ImputeValue { get; init; }
}
