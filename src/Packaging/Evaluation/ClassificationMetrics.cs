namespace EdgeDeploy.Runtime.Evaluation;

/// <summary>Top-k accuracy and per-class recall and precision.</summary>
public static class ClassificationMetrics
{
    /// <summary>A row's class scores as doubles (float or double outputs; one row).</summary>
    public static double[] Scores(EdgeTensor output) => output.ElementType switch
    {
        EdgeElementType.Float => [.. output.AsSpan<float>().ToArray().Select(v => (double)v)],
        EdgeElementType.Double => output.ToArray<double>(),
        _ => throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Top-k accuracy needs class scores (float or double), not a {output.ElementType} output."),
    };

    /// <summary>
    /// The <paramref name="k"/> highest-scoring classes, best first (ties broken by the lower class index, as
    /// <see cref="TopKAccuracy"/> breaks them): what a device records so the server can compute top-k accuracy online.
    /// </summary>
    public static long[] TopClasses(ReadOnlySpan<double> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var copy = scores.ToArray();
        Array.Sort(order, (a, b) => copy[b].CompareTo(copy[a]) is var byScore and not 0 ? byScore : a.CompareTo(b));
        return [.. order.Take(k).Select(c => (long)c)];
    }

    /// <summary>Fraction of rows whose label is among the k highest scores (ties broken by the lower class index).</summary>
    public static double TopKAccuracy(IReadOnlyList<double[]> scores, IReadOnlyList<double> labels, int k)
    {
        var hits = 0;
        for (var i = 0; i < scores.Count; i++)
        {
            var label = (int)labels[i];
            var s = scores[i];
            if (label < 0 || label >= s.Length)
            {
                continue;
            }

            // The label is in the top k when fewer than k classes rank above it.
            var above = 0;
            for (var c = 0; c < s.Length; c++)
            {
                if (s[c] > s[label] || (s[c] == s[label] && c < label))
                {
                    above++;
                }
            }

            if (above < k)
            {
                hits++;
            }
        }

        return hits / (double)scores.Count;
    }

    /// <summary>Recall per class: of the rows labelled c, the fraction predicted c. Classes: given, or every label seen.</summary>
    public static SortedDictionary<int, double> PerClassRecall(int[] predicted, int[] actual, IReadOnlyList<int>? classes)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var c in classes ?? [.. actual.Distinct()])
        {
            var support = actual.Count(a => a == c);
            result[c] = support == 0 ? double.NaN : Enumerable.Range(0, actual.Length).Count(i => actual[i] == c && predicted[i] == c) / (double)support;
        }

        return result;
    }

    /// <summary>Precision per class: of the rows predicted c, the fraction labelled c (0 when c is never predicted but occurs).</summary>
    public static SortedDictionary<int, double> PerClassPrecision(int[] predicted, int[] actual, IReadOnlyList<int>? classes)
    {
        var result = new SortedDictionary<int, double>();
        foreach (var c in classes ?? [.. actual.Concat(predicted).Distinct()])
        {
            var predictedCount = predicted.Count(p => p == c);
            result[c] = predictedCount == 0
                ? (actual.Contains(c) ? 0 : double.NaN)
                : Enumerable.Range(0, actual.Length).Count(i => actual[i] == c && predicted[i] == c) / (double)predictedCount;
        }

        return result;
    }
}
