namespace EdgeDeploy.Runtime.Packages;

/// <summary>One tensor: name, element type (as <see cref="EdgeElementType"/>) and shape (-1 dynamic).</summary>
public sealed class TensorSpec
{
    /// <summary>Name in the graph.</summary>
    public required string Name { get; init; }

    /// <summary>Element type.</summary>
    public required EdgeElementType ElementType { get; init; }

    /// <summary>Dimensions; -1 for dynamic.</summary>
    public required IReadOnlyList<long> Shape { get; init; }
}
