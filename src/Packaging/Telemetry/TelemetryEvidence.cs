namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Names and limits of the tensors in <see cref="PredictionRecord.Evidence"/> and <see cref="GroundTruthRecord.Truth"/>:
/// what a device keeps of a prediction so the server can compute the package's gate metrics online (top-k accuracy,
/// CER/WER, mAP), and the structured truth it is scored against. The truth names match a confidence case's
/// (<see cref="Packages.ConfidenceCase.Truth"/>), so one label source serves the gate and the fleet.
/// </summary>
public static class TelemetryEvidence
{
    /// <summary>The highest-scoring classes, best first: int64 <c>[K]</c>, K the largest top-k metric the package declares.</summary>
    public const string TopClasses = "top_classes";

    /// <summary>Text: the greedy CTC decoding of a sequence output (evidence) or the true text (truth); a one-element string tensor.</summary>
    public const string Text = "text";

    /// <summary>Detection boxes, float <c>[N, 4]</c> as x1, y1, x2, y2 (evidence and truth).</summary>
    public const string Boxes = "boxes";

    /// <summary>Detection scores, float <c>[N]</c> (evidence only).</summary>
    public const string Scores = "scores";

    /// <summary>Detection class ids, int64 <c>[N]</c> (evidence and truth).</summary>
    public const string Classes = "classes";

    /// <summary>Most top classes a prediction keeps.</summary>
    public const int MaxTopClasses = 100;

    /// <summary>Most detections a prediction keeps (the highest-scored), and most truth boxes a label may carry.</summary>
    public const int MaxDetections = 100;

    /// <summary>Longest text (UTF-16 code units) a prediction or a label may carry.</summary>
    public const int MaxTextLength = 1024;
}
