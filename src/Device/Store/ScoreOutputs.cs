namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The tensor the confidence metrics read for an output. A tensor output is used as it is; a scikit-learn ZipMap output
/// (a sequence with one map per row, class label to probability) becomes a float tensor [rows, classes], each row's
/// probabilities in class order: by key for int64 labels 0..K-1, otherwise in the map's own order (ONNX Runtime returns
/// string keys sorted, the order scikit-learn gives <c>classes_</c>, so a label is the index of its class name). The metric code then reads it like any probability tensor.
/// </summary>
internal static class ScoreOutputs
{
    public static EdgeTensor Of(Prediction prediction, string output) =>
        TryOf(prediction, output, out var tensor) ? tensor
        : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"A confidence metric cannot read output '{output}' ({prediction.GetValue(output)}): it needs a tensor or a sequence of class-probability maps.") { TensorName = output };

    /// <summary>As <see cref="Of"/>, false for an output no metric can read (a sequence of tensors, an absent optional).</summary>
    public static bool TryOf(Prediction prediction, string output, out EdgeTensor tensor)
    {
        var value = prediction.GetValue(output);
        switch (value.Kind)
        {
            case EdgeValueKind.Tensor:
                tensor = value.Tensor;
                return true;
            case EdgeValueKind.Sequence when value.Count > 0 && value.Items.All(i => i.Kind == EdgeValueKind.Map):
                tensor = FromMaps(value.Items, output);
                return true;
            case EdgeValueKind.Map:
                tensor = FromMaps([value], output);
                return true;
            default:
                tensor = null!;
                return false;
        }
    }

    private static EdgeTensor FromMaps(IReadOnlyList<EdgeValue> rows, string output)
    {
        var classes = rows[0].Count;
        var scores = new float[rows.Count * classes];
        for (var r = 0; r < rows.Count; r++)
        {
            var map = rows[r];
            if (map.Count != classes)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Output '{output}' row {r} has {map.Count} classes; row 0 has {classes}.") { TensorName = output };
            }

            var values = ToFloats(map.MapValues, output);
            for (var k = 0; k < classes; k++)
            {
                scores[(r * classes) + Column(map.Keys, k, classes)] = values[k];
            }
        }

        return EdgeTensor.Create(scores, [rows.Count, classes]);
    }

    /// <summary>An int64 label 0..K-1 is its own column; any other key keeps its position.</summary>
    private static int Column(EdgeTensor keys, int index, int classes)
    {
        if (keys.ElementType == EdgeElementType.Int64)
        {
            var labels = keys.AsSpan<long>();
            var allInRange = true;
            foreach (var label in labels)
            {
                allInRange &= label >= 0 && label < classes;
            }

            if (allInRange)
            {
                return (int)labels[index];
            }
        }

        return index;
    }

    private static float[] ToFloats(EdgeTensor values, string output) => values.ElementType switch
    {
        EdgeElementType.Float => values.ToArray<float>(),
        EdgeElementType.Double => [.. values.AsSpan<double>().ToArray().Select(v => (float)v)],
        _ => throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Output '{output}' maps classes to {values.ElementType} values; a confidence metric needs probabilities.") { TensorName = output },
    };
}
