namespace EdgeDeploy.Runtime.Packages;

/// <summary>One confidence case: inputs and the true label (class index or regression target).</summary>
/// <param name="Inputs">Named input tensors.</param>
/// <param name="Label">Ground truth.</param>
public sealed record ConfidenceCase(IReadOnlyDictionary<string, EdgeTensor> Inputs, double Label)
{
    /// <summary>
    /// Structured ground truth, for metrics a single number cannot describe: <c>text</c> (a string tensor of one
    /// element, for CER/WER), <c>boxes</c> (<c>[M, 4]</c> float, x1 y1 x2 y2) and <c>classes</c> (<c>[M]</c> int64, for mAP).
    /// Null for plain labels.
    /// </summary>
    public IReadOnlyDictionary<string, EdgeTensor>? Truth { get; init; }
}
