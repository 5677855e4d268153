using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Concatenates requests along the first dimension and splits results back.</summary>
internal static class Batching
{
    public static EdgeTensor Concatenate(IReadOnlyList<IReadOnlyDictionary<string, EdgeTensor>> requests, string name, long totalRows)
    {
        var first = requests[0][name];
        var shape = first.Shape.ToArray();
        shape[0] = totalRows;
        var count = checked((int)Shapes.ElementCount(shape));
        var array = ElementTypes.NewArray(first.ElementType, count, name);
        var offset = 0;
        foreach (var request in requests)
        {
            var part = request[name].Data;
            Array.Copy(part, 0, array, offset, part.Length);
            offset += part.Length;
        }

        return EdgeTensor.Wrap(array, shape, first.ElementType);
    }

    public static EdgeTensor[] Split(EdgeTensor combined, string name, long[] rows, long totalRows)
    {
        if (combined.Rank == 0 || combined.Shape[0] != totalRows)
        {
            throw new EdgeException(EdgeErrorCode.InferenceFailed, $"Output '{name}' has shape {Shapes.Format(combined.Shape)}, which does not follow the batch of {totalRows} rows; run the requests one by one.") { TensorName = name };
        }

        var rowSize = totalRows == 0 ? 0 : combined.ElementCount / totalRows;
        var parts = new EdgeTensor[rows.Length];
        long offset = 0;
        for (var r = 0; r < rows.Length; r++)
        {
            var shape = combined.Shape.ToArray();
            shape[0] = rows[r];
            var count = checked((int)(rows[r] * rowSize));
            var array = ElementTypes.NewArray(combined.ElementType, count, name);
            Array.Copy(combined.Data, offset, array, 0, count);
            offset += count;
            parts[r] = EdgeTensor.Wrap(array, shape, combined.ElementType);
        }

        return parts;
    }
}
