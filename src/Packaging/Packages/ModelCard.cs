namespace EdgeDeploy.Runtime.Packages;

/// <summary>The model card.</summary>
public sealed class ModelCard
{
    /// <summary>What the model does.</summary>
    public required string Purpose { get; init; }

    /// <summary>Where and by whom it is meant to be used.</summary>
    public required string IntendedUse { get; init; }

    /// <summary>Where the model and its data come from.</summary>
    public required string Provenance { get; init; }

    /// <summary>Known limitations and out-of-scope uses.</summary>
    public IReadOnlyList<string> Limitations { get; init; } = [];

    /// <summary>Evaluation metrics overall.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Evaluation metrics per named slice of the data.</summary>
    public IReadOnlyList<SliceMetrics> Slices { get; init; } = [];

    /// <summary>Fairness groups, the rates compared and the acceptable disparity; null: none stated.</summary>
    public FairnessSpec? Fairness { get; init; }

    /// <summary>The privacy policy for raw inputs; null forbids recording them (see <see cref="ModelPrivacy"/>).</summary>
    public ModelPrivacy? Privacy { get; init; }

    /// <summary>Whether devices may record raw inputs of this model: the card allows it and states a purpose.</summary>
    /// <returns>False when the card forbids it or states no privacy policy.</returns>
    public bool AllowsRawInputs() => Privacy is { RawInputs: RawInputPolicy.Allowed, Purpose.Length: > 0 };
}
