namespace EdgeDeploy.Runtime.Packages;

/// <summary>The end-to-end test set.</summary>
public sealed class EndToEndSpec
{
    /// <summary>Path of the MessagePack test set in the package.</summary>
    public string Path { get; init; } = "tests/e2e.msgpack";

    /// <summary>Cases in the set.</summary>
    public int Count { get; init; }

    /// <summary>Allowed absolute difference per element.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-4;

    /// <summary>Allowed difference relative to the expected value.</summary>
    public double RelativeTolerance { get; init; } = 1e-4;

    /// <summary>Tolerances for single outputs, replacing the set-wide ones for them; null: none.</summary>
    public IReadOnlyList<OutputTolerance>? Outputs { get; init; }
}
