namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>The true label of an earlier prediction.</summary>
/// <param name="PredictionId">The prediction.</param>
/// <param name="Label">Ground truth: a class index or regression target; NaN when the truth is structured (<see cref="Truth"/>).</param>
/// <param name="TimestampMs">Unix time in milliseconds.</param>
public sealed record GroundTruthRecord(Guid PredictionId, double Label, long TimestampMs)
{
    /// <summary>
    /// Structured ground truth, named as in a confidence case (<see cref="TelemetryEvidence"/>): <c>text</c> (a one-element
    /// string tensor, for CER/WER), <c>boxes</c> (<c>[M, 4]</c>) and <c>classes</c> (<c>[M]</c>, for mAP); null for a plain label.
    /// </summary>
    public IReadOnlyDictionary<string, EdgeTensor>? Truth { get; init; }
}
