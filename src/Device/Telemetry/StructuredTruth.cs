using EdgeDeploy.Runtime.Evaluation;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Structured ground truth as <see cref="GroundTruthRecord.Truth"/> carries it, checked against the limits the server
/// holds it to (<see cref="TelemetryEvidence"/>), so a label the server would refuse is refused on the caller's path.
/// </summary>
internal static class StructuredTruth
{
    /// <summary>The true text: a one-element string tensor <c>text</c>.</summary>
    public static IReadOnlyDictionary<string, EdgeTensor> Text(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > TelemetryEvidence.MaxTextLength)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The true text has {text.Length} characters; at most {TelemetryEvidence.MaxTextLength} are recorded.");
        }

        return new Dictionary<string, EdgeTensor>(StringComparer.Ordinal) { [TelemetryEvidence.Text] = EdgeTensor.Create([text], [1]) };
    }

    /// <summary>The true boxes as float <c>[M, 4]</c> and their classes as int64 <c>[M]</c>, from any numeric tensors of those shapes.</summary>
    public static IReadOnlyDictionary<string, EdgeTensor> Detections(EdgeTensor boxes, EdgeTensor classes)
    {
        ArgumentNullException.ThrowIfNull(boxes);
        ArgumentNullException.ThrowIfNull(classes);
        if (boxes.Rank != 2 || classes.Rank != 1)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"True boxes must be [M, 4] with classes [M], not {boxes} and {classes}.");
        }

        for (var i = 0; i < classes.ElementCount; i++)
        {
            // The server's range (TelemetryEvidenceRules), on the raw values: reading them as int below would clamp a
            // larger id instead of refusing it. NaN compares false and is refused too.
            var id = classes.ValueAt(i);
            if (!(id >= 0 && id <= int.MaxValue))
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"True box {i} has class {id}; classes are 0 to {int.MaxValue}.");
            }
        }

        var read = DetectionMetrics.ReadDetections(boxes, null, classes);
        if (read.Count > TelemetryEvidence.MaxDetections)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The truth has {read.Count} boxes; at most {TelemetryEvidence.MaxDetections} are recorded.");
        }

        var b = new float[read.Count * 4];
        var c = new long[read.Count];
        for (var i = 0; i < read.Count; i++)
        {
            var box = read[i];
            if (!double.IsFinite(box.X1) || !double.IsFinite(box.Y1) || !double.IsFinite(box.X2) || !double.IsFinite(box.Y2))
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"True box {i} has a non-finite coordinate.");
            }

            (b[4 * i], b[(4 * i) + 1], b[(4 * i) + 2], b[(4 * i) + 3]) = ((float)box.X1, (float)box.Y1, (float)box.X2, (float)box.Y2);
            c[i] = box.Class;
        }

        return new Dictionary<string, EdgeTensor>(StringComparer.Ordinal)
        {
            [TelemetryEvidence.Boxes] = EdgeTensor.Create(b, [read.Count, 4]),
            [TelemetryEvidence.Classes] = EdgeTensor.Create(c, [read.Count]),
        };
    }
}
