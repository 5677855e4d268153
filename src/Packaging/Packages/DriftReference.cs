namespace EdgeDeploy.Runtime.Packages;

/// <summary>Binned training distributions.</summary>
public sealed class DriftReference
{
    /// <summary>Rows the reference was computed from.</summary>
    public int SampleCount { get; init; }

    /// <summary>Per input feature.</summary>
    public IReadOnlyList<BinnedDistribution> Features { get; init; } = [];

    /// <summary>Per model output.</summary>
    public IReadOnlyList<BinnedDistribution> Outputs { get; init; } = [];
}
