
namespace EdgeDeploy.Runtime.Packages;

/// <summary>One end-to-end case: inputs and the outputs the model must reproduce within tolerance.</summary>
/// <param name="Inputs">Named input tensors.</param>
/// <param name="ExpectedOutputs">Named expected tensor outputs (a subset of the model's outputs is fine).</param>
public sealed record EndToEndCase(IReadOnlyDictionary<string, EdgeTensor> Inputs, IReadOnlyDictionary<string, EdgeTensor> ExpectedOutputs)
{
    private static readonly IReadOnlyDictionary<string, EdgeValue> NoValues = new Dictionary<string, EdgeValue>(StringComparer.Ordinal);

    /// <summary>
    /// Named expected outputs that are not tensors: sequences (a ZipMap's probabilities), maps and optional values.
    /// Compared item by item, floating-point elements within the set's tolerances. Empty by default.
    /// </summary>
    public IReadOnlyDictionary<string, EdgeValue> ExpectedValues { get; init; } = NoValues;
}
