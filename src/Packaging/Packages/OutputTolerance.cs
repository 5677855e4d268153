namespace EdgeDeploy.Runtime.Packages;

/// <summary>End-to-end tolerances for one output, replacing the set-wide ones for it.</summary>
public sealed class OutputTolerance
{
    /// <summary>The output.</summary>
    public required string Output { get; init; }

    /// <summary>Allowed absolute difference per element.</summary>
    public double AbsoluteTolerance { get; init; }

    /// <summary>Allowed difference relative to the expected value.</summary>
    public double RelativeTolerance { get; init; }
}
