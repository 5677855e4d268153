namespace EdgeDeploy.Runtime.Store;

/// <summary>Compares outputs of any kind (sequences, maps, absent optional values) item by item, tensors within tolerance.</summary>
internal static class ValueComparison
{
    /// <summary>Null when <paramref name="actual"/> matches <paramref name="expected"/>; otherwise what differs first.</summary>
    public static string? Difference(string path, EdgeValue expected, EdgeValue actual, double absolute, double relative)
    {
        if (expected.Kind != actual.Kind)
        {
            return $"output '{path}' is {actual}, expected {expected}";
        }

        switch (expected.Kind)
        {
            case EdgeValueKind.Tensor:
                return Tensors(path, expected.Tensor, actual.Tensor, absolute, relative);
            case EdgeValueKind.Sequence:
                if (expected.Count != actual.Count)
                {
                    return $"output '{path}' has {actual.Count} items, expected {expected.Count}";
                }

                for (var i = 0; i < expected.Count; i++)
                {
                    var problem = Difference($"{path}[{i}]", expected.Items[i], actual.Items[i], absolute, relative);
                    if (problem is not null)
                    {
                        return problem;
                    }
                }

                return null;
            case EdgeValueKind.Map:
                return Tensors($"{path}.keys", expected.Keys, actual.Keys, 0, 0)
                    ?? Tensors($"{path}.values", expected.MapValues, actual.MapValues, absolute, relative);
            default:
                return null;
        }
    }

    private static string? Tensors(string path, EdgeTensor expected, EdgeTensor actual, double absolute, double relative)
    {
        if (actual.ElementType != expected.ElementType || !actual.Shape.SequenceEqual(expected.Shape))
        {
            return $"output '{path}' is {actual}, expected {expected}";
        }

        for (var i = 0; i < expected.ElementCount; i++)
        {
            if (!ModelGate.ElementMatches(expected, actual, i, absolute, relative, out var e, out var a))
            {
                return $"output '{path}'[{i}] is {a}, expected {e} (tolerance abs {absolute}, rel {relative})";
            }
        }

        return null;
    }
}
