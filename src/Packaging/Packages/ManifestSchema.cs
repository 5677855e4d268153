namespace EdgeDeploy.Runtime.Packages;

/// <summary>Model inputs and outputs.</summary>
public sealed class ManifestSchema
{
    /// <summary>Inputs in graph order.</summary>
    public required IReadOnlyList<TensorSpec> Inputs { get; init; }

    /// <summary>Outputs in graph order.</summary>
    public required IReadOnlyList<TensorSpec> Outputs { get; init; }
}
