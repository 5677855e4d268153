namespace EdgeDeploy.Runtime.Packages;

/// <summary>Versions that must travel together.</summary>
public sealed class VersionSync
{
    /// <summary>Training data version.</summary>
    public required string TrainingData { get; init; }

    /// <summary>Feature extractor version the inputs must come from.</summary>
    public required string FeatureExtractor { get; init; }

    /// <summary>Model (training code) version.</summary>
    public required string Model { get; init; }
}
