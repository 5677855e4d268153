namespace EdgeDeploy.Runtime.Packages;

/// <summary>One condition of a slice predicate: a numeric feature within [<see cref="Min"/>, <see cref="Max"/>).</summary>
public sealed class SliceCondition
{
    /// <summary>A numeric feature of the manifest's feature list.</summary>
    public required string Feature { get; init; }

    /// <summary>Inclusive lower bound; null for none.</summary>
    public double? Min { get; init; }

    /// <summary>Exclusive upper bound; null for none.</summary>
    public double? Max { get; init; }
}
