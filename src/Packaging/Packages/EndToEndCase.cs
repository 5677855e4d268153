
namespace EdgeDeploy.Runtime.Packages;

/// <summary>One end-to-end case: inputs and the outputs the model must reproduce within tolerance.</summary>
/// <param name="Inputs">Named input tensors.</param>
/// <param name="ExpectedOutputs">Named expected outputs (a subset of the model's outputs is fine).</param>
public sealed record EndToEndCase(IReadOnlyDictionary<string, EdgeTensor> Inputs, IReadOnlyDictionary<string, EdgeTensor> ExpectedOutputs);
