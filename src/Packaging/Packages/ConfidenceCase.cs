namespace EdgeDeploy.Runtime.Packages;

/// <summary>One confidence case: inputs and the true label (class index or regression target).</summary>
/// <param name="Inputs">Named input tensors.</param>
/// <param name="Label">Ground truth.</param>
public sealed record ConfidenceCase(IReadOnlyDictionary<string, EdgeTensor> Inputs, double Label);
