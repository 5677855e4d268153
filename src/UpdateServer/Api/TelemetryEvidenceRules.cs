using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.UpdateServer.Api;

/// <summary>
/// What ingest accepts as a prediction's evidence (<see cref="PredictionRecord.Evidence"/>) and a label's structured truth
/// (<see cref="GroundTruthRecord.Truth"/>): only the names, element types, shapes and limits of <see cref="TelemetryEvidence"/>.
/// A violation is a <see cref="FormatException"/> naming the tensor, which rejects the record's batch.
/// </summary>
internal static class TelemetryEvidenceRules
{
    /// <summary>The record's encoded evidence, checked; null when it carries none.</summary>
    /// <exception cref="FormatException">Evidence outside the rules.</exception>
    public static byte[]? Evidence(ReadOnlyMemory<byte> payload)
    {
        var bytes = TelemetryCodec.ReadEvidence(payload);
        if (bytes.IsEmpty)
        {
            return null;
        }

        var tensors = TelemetryCodec.DecodeTensors(bytes);
        foreach (var (name, tensor) in tensors)
        {
            switch (name)
            {
                case TelemetryEvidence.TopClasses:
                    Require(tensor.ElementType == EdgeElementType.Int64 && tensor.Rank == 1 && tensor.ElementCount is >= 1 and <= TelemetryEvidence.MaxTopClasses,
                        $"evidence '{name}' must be int64 [K] with K from 1 to {TelemetryEvidence.MaxTopClasses}, not {tensor}");
                    Require(!tensor.AsSpan<long>().ToArray().Any(c => c < 0), $"evidence '{name}' holds a negative class");
                    break;
                case TelemetryEvidence.Text:
                    Text("evidence", tensor);
                    break;
                case TelemetryEvidence.Boxes or TelemetryEvidence.Scores or TelemetryEvidence.Classes:
                    break;
                default:
                    throw new FormatException($"unknown evidence '{DeviceText.Printable(name)}'; evidence may hold {TelemetryEvidence.TopClasses}, {TelemetryEvidence.Text}, {TelemetryEvidence.Boxes}, {TelemetryEvidence.Scores} and {TelemetryEvidence.Classes}");
            }
        }

        Detections("evidence", tensors, scores: true);
        return bytes.ToArray();
    }

    /// <summary>The label's encoded structured truth, checked; null when it carries none. A plain label must be finite; with truth it may be NaN.</summary>
    /// <exception cref="FormatException">Truth outside the rules, or a label that is neither finite nor NaN beside truth.</exception>
    public static byte[]? Truth(GroundTruthRecord record, ReadOnlyMemory<byte> payload)
    {
        if (record.Truth is not { } truth)
        {
            return double.IsFinite(record.Label) ? null : throw new FormatException("the label must be a finite number (NaN only beside structured truth)");
        }

        if (!double.IsFinite(record.Label) && !double.IsNaN(record.Label))
        {
            throw new FormatException("the label must be a finite number, or NaN beside structured truth");
        }

        Require(truth.Count > 0, "structured truth holds no tensor");
        foreach (var (name, tensor) in truth)
        {
            switch (name)
            {
                case TelemetryEvidence.Text:
                    Text("truth", tensor);
                    break;
                case TelemetryEvidence.Boxes or TelemetryEvidence.Classes:
                    break;
                default:
                    throw new FormatException($"unknown truth '{DeviceText.Printable(name)}'; structured truth is {TelemetryEvidence.Text}, or {TelemetryEvidence.Boxes} with {TelemetryEvidence.Classes}");
            }
        }

        Detections("truth", truth, scores: false);
        return TruthBytes(payload);
    }

    private static void Text(string what, EdgeTensor tensor)
    {
        Require(tensor.ElementType == EdgeElementType.String && tensor.ElementCount == 1 && tensor.Rank == 1,
            $"{what} '{TelemetryEvidence.Text}' must be string [1], not {tensor}");
        var length = tensor.AsSpan<string>()[0].Length;
        Require(length <= TelemetryEvidence.MaxTextLength, $"{what} '{TelemetryEvidence.Text}' is {length} characters; at most {TelemetryEvidence.MaxTextLength} are accepted");
    }

    /// <summary>Boxes float [N, 4] with classes int64 [N] (and, for evidence, scores float [N]): all or none, N ≤ the limit, finite.</summary>
    private static void Detections(string what, IReadOnlyDictionary<string, EdgeTensor> tensors, bool scores)
    {
        var names = scores ? new[] { TelemetryEvidence.Boxes, TelemetryEvidence.Scores, TelemetryEvidence.Classes } : [TelemetryEvidence.Boxes, TelemetryEvidence.Classes];
        var present = names.Count(tensors.ContainsKey);
        if (present == 0)
        {
            return;
        }

        Require(present == names.Length, $"{what} detections need {string.Join(", ", names)} together");
        var boxes = tensors[TelemetryEvidence.Boxes];
        Require(boxes.ElementType == EdgeElementType.Float && boxes.Rank == 2 && boxes.Shape[1] == 4, $"{what} '{TelemetryEvidence.Boxes}' must be float [N, 4], not {boxes}");
        var n = boxes.Shape[0];
        Require(n <= TelemetryEvidence.MaxDetections, $"{what} holds {n} boxes; at most {TelemetryEvidence.MaxDetections} are accepted");
        Require(!boxes.AsSpan<float>().ToArray().Any(v => !float.IsFinite(v)), $"{what} '{TelemetryEvidence.Boxes}' holds a non-finite coordinate");
        var classes = tensors[TelemetryEvidence.Classes];
        Require(classes.ElementType == EdgeElementType.Int64 && classes.Rank == 1 && classes.Shape[0] == n, $"{what} '{TelemetryEvidence.Classes}' must be int64 [{n}], not {classes}");
        Require(!classes.AsSpan<long>().ToArray().Any(c => c is < 0 or > int.MaxValue), $"{what} '{TelemetryEvidence.Classes}' holds a class out of range");
        if (scores)
        {
            var s = tensors[TelemetryEvidence.Scores];
            Require(s.ElementType == EdgeElementType.Float && s.Rank == 1 && s.Shape[0] == n, $"{what} '{TelemetryEvidence.Scores}' must be float [{n}], not {s}");
            Require(!s.AsSpan<float>().ToArray().Any(v => !float.IsFinite(v)), $"{what} '{TelemetryEvidence.Scores}' holds a non-finite score");
        }
    }

    /// <summary>The 4th field of a ground-truth record (its truth map) as encoded.</summary>
    private static byte[] TruthBytes(ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePack.MessagePackReader(payload);
        reader.ReadArrayHeader();
        for (var i = 0; i < 3; i++)
        {
            reader.Skip();
        }

        var start = (int)reader.Consumed;
        reader.Skip();
        return payload[start..(int)reader.Consumed].ToArray();
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new FormatException(message);
        }
    }
}
