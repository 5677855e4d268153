using System.Text.Json;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Serving.Rest;

/// <summary>
/// The REST ground-truth body: exactly one of a finite <c>label</c>, a <c>text</c>, or <c>boxes</c> with
/// <c>classes</c>. Limits (text length, box count) are the store's, checked when it records the truth.
/// </summary>
internal sealed class GroundTruthBody
{
    private const string Usage = "The body must be one of {\"label\": <finite number>}, {\"text\": \"...\"} or {\"boxes\": [[x1, y1, x2, y2], ...], \"classes\": [<int>, ...]}";

    private GroundTruthBody()
    {
    }

    public double Label { get; private init; } = double.NaN;

    public string? Text { get; private init; }

    /// <summary>Float <c>[M, 4]</c>.</summary>
    public EdgeTensor? Boxes { get; private init; }

    /// <summary>Int64 <c>[M]</c>, present with <see cref="Boxes"/>.</summary>
    public EdgeTensor? Classes { get; private init; }

    /// <exception cref="EdgeException">
    /// <see cref="EdgeErrorCode.InvalidArgument"/> when the body gives none or more than one kind of truth (or boxes
    /// without classes); <see cref="EdgeErrorCode.InvalidJson"/> when a field has the wrong JSON type.
    /// </exception>
    public static GroundTruthBody Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, Usage + ".");
        }

        var hasLabel = root.TryGetProperty("label", out var label);
        var hasText = root.TryGetProperty("text", out var text);
        var hasBoxes = root.TryGetProperty("boxes", out var boxes);
        var hasClasses = root.TryGetProperty("classes", out var classes);
        var kinds = (hasLabel ? 1 : 0) + (hasText ? 1 : 0) + (hasBoxes || hasClasses ? 1 : 0);
        if (kinds != 1)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"{Usage}: {(kinds == 0 ? "it gives none" : "it gives more than one")}.");
        }

        if (hasLabel)
        {
            return label.ValueKind == JsonValueKind.Number && label.TryGetDouble(out var v) && double.IsFinite(v)
                ? new GroundTruthBody { Label = v }
                : throw new EdgeException(EdgeErrorCode.InvalidJson, "\"label\" must be a finite number.");
        }

        if (hasText)
        {
            return text.ValueKind == JsonValueKind.String
                ? new GroundTruthBody { Text = text.GetString()! }
                : throw new EdgeException(EdgeErrorCode.InvalidJson, "\"text\" must be a string.");
        }

        if (!hasBoxes || !hasClasses)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "\"boxes\" and \"classes\" go together: one class per box.");
        }

        return new GroundTruthBody { Boxes = ReadBoxes(boxes), Classes = ReadClasses(classes) };
    }

    private static EdgeTensor ReadBoxes(JsonElement boxes)
    {
        if (boxes.ValueKind != JsonValueKind.Array)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, "\"boxes\" must be an array of [x1, y1, x2, y2] arrays.");
        }

        var values = new List<float>();
        foreach (var box in boxes.EnumerateArray())
        {
            if (box.ValueKind != JsonValueKind.Array || box.GetArrayLength() != 4)
            {
                throw new EdgeException(EdgeErrorCode.InvalidJson, "Each box must be an array of 4 numbers [x1, y1, x2, y2].");
            }

            foreach (var v in box.EnumerateArray())
            {
                values.Add(v.ValueKind == JsonValueKind.Number && v.TryGetSingle(out var f) && float.IsFinite(f)
                    ? f
                    : throw new EdgeException(EdgeErrorCode.InvalidJson, "Box coordinates must be finite numbers."));
            }
        }

        return EdgeTensor.Create(values.ToArray(), [values.Count / 4, 4]);
    }

    private static EdgeTensor ReadClasses(JsonElement classes)
    {
        if (classes.ValueKind != JsonValueKind.Array)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, "\"classes\" must be an array of integers.");
        }

        var values = new List<long>();
        foreach (var c in classes.EnumerateArray())
        {
            values.Add(c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var v)
                ? v
                : throw new EdgeException(EdgeErrorCode.InvalidJson, "\"classes\" must be an array of integers."));
        }

        return EdgeTensor.Create(values.ToArray(), [values.Count]);
    }
}
