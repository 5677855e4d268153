using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>The confidence metrics, computed from model outputs and true labels.</summary>
internal static class Metrics
{
    /// <summary>What one output says about one example: a predicted class and/or a score or value.</summary>
    public readonly record struct Reading(int PredictedClass, double Score, double Value);

    /// <summary>
    /// Reads an output row: an integer label; one float (a regression value or a binary score); or K scores
    /// (class = argmax, score = the positive class's score).
    /// </summary>
    public static Reading Read(EdgeTensor output, int positiveClass)
    {
        switch (output.ElementType)
        {
            case EdgeElementType.Int64:
                var l = output.AsSpan<long>()[0];
                return new Reading((int)l, l == positiveClass ? 1 : 0, l);
            case EdgeElementType.Int32:
                var n = output.AsSpan<int>()[0];
                return new Reading(n, n == positiveClass ? 1 : 0, n);
            case EdgeElementType.Float:
            case EdgeElementType.Double:
                var values = output.ElementType == EdgeElementType.Float
                    ? output.AsSpan<float>().ToArray().Select(v => (double)v).ToArray()
                    : output.ToArray<double>();
                if (values.Length == 1)
                {
                    return new Reading(values[0] >= 0.5 ? 1 : 0, values[0], values[0]);
                }

                var best = 0;
                for (var k = 1; k < values.Length; k++)
                {
                    if (values[k] > values[best])
                    {
                        best = k;
                    }
                }

                return new Reading(best, positiveClass < values.Length ? values[positiveClass] : 0, best);
            default:
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"A confidence metric cannot read a {output.ElementType} output.");
        }
    }

    public static double Compute(ConfidenceMetric metric, IReadOnlyList<Reading> readings, IReadOnlyList<double> labels, int positiveClass) => metric switch
    {
        ConfidenceMetric.Accuracy => readings.Zip(labels).Count(p => p.First.PredictedClass == (int)p.Second) / (double)readings.Count,
        ConfidenceMetric.Mae => readings.Zip(labels).Average(p => Math.Abs(p.First.Value - p.Second)),
        ConfidenceMetric.Rmse => Math.Sqrt(readings.Zip(labels).Average(p => (p.First.Value - p.Second) * (p.First.Value - p.Second))),
        ConfidenceMetric.Auc => Auc(readings.Select(r => r.Score).ToArray(), labels.Select(l => (int)l == positiveClass).ToArray()),
        ConfidenceMetric.F1 => F1(readings.Select(r => r.PredictedClass).ToArray(), labels.Select(l => (int)l).ToArray(), positiveClass),
        _ => throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Unknown metric {metric}."),
    };

    /// <summary>ROC AUC by the rank-sum (Mann-Whitney) formula, ties counted as half.</summary>
    public static double Auc(double[] scores, bool[] positive)
    {
        var order = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ToArray();
        var ranks = new double[scores.Length];
        for (var i = 0; i < order.Length;)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            var rank = (i + j) / 2.0 + 1;
            for (var k = i; k <= j; k++)
            {
                ranks[order[k]] = rank;
            }

            i = j + 1;
        }

        double positives = positive.Count(p => p), negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var rankSum = Enumerable.Range(0, ranks.Length).Where(i => positive[i]).Sum(i => ranks[i]);
        return (rankSum - (positives * (positives + 1) / 2)) / (positives * negatives);
    }

    /// <summary>Binary F1 of <paramref name="positiveClass"/> when only two classes occur, macro F1 otherwise.</summary>
    public static double F1(int[] predicted, int[] actual, int positiveClass)
    {
        var classes = predicted.Concat(actual).Distinct().ToArray();
        if (classes.Length <= 2)
        {
            return F1For(predicted, actual, positiveClass);
        }

        return classes.Average(c => F1For(predicted, actual, c));
    }

    private static double F1For(int[] predicted, int[] actual, int c)
    {
        double tp = 0, fp = 0, fn = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            if (predicted[i] == c && actual[i] == c)
            {
                tp++;
            }
            else if (predicted[i] == c)
            {
                fp++;
            }
            else if (actual[i] == c)
            {
                fn++;
            }
        }

        return tp == 0 ? 0 : 2 * tp / ((2 * tp) + fp + fn);
    }
}
