using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Labelled predictions of a classifier counted by (predicted class, true class): what per-class recall and precision
/// and the fairness rates are computed from online. Only whole-number classes in [0, <see cref="MaxClass"/>] are counted;
/// a regressor's values are not classes and leave it empty.
/// </summary>
public sealed class ConfusionCounts
{
    /// <summary>The highest class index counted.</summary>
    public const int MaxClass = 1 << 16;

    private readonly Dictionary<(int Predicted, int Label), long> _counts = [];

    /// <summary>Counts by (predicted, label).</summary>
    public IReadOnlyDictionary<(int Predicted, int Label), long> Counts => _counts;

    /// <summary>Labelled predictions counted.</summary>
    public long Labelled { get; private set; }

    /// <summary>Every class that occurs as a label or a prediction, ascending.</summary>
    public IReadOnlyList<int> Classes => [.. _counts.Keys.SelectMany(k => new[] { k.Predicted, k.Label }).Distinct().Order()];

    /// <summary>Adds one labelled prediction; false when either value is not a class.</summary>
    public bool Add(double predicted, double label)
    {
        if (!IsClass(predicted) || !IsClass(label))
        {
            return false;
        }

        var key = ((int)predicted, (int)label);
        _counts[key] = _counts.GetValueOrDefault(key) + 1;
        Labelled++;
        return true;
    }

    /// <summary>Of the predictions labelled <paramref name="c"/>, the share predicted <paramref name="c"/>; NaN when none is labelled so.</summary>
    public double Recall(int c)
    {
        var support = _counts.Where(kv => kv.Key.Label == c).Sum(kv => kv.Value);
        return support == 0 ? double.NaN : (double)_counts.GetValueOrDefault((c, c)) / support;
    }

    /// <summary>Of the predictions of <paramref name="c"/>, the share labelled <paramref name="c"/>; 0 when never predicted but labelled, NaN when neither.</summary>
    public double Precision(int c)
    {
        var predicted = _counts.Where(kv => kv.Key.Predicted == c).Sum(kv => kv.Value);
        return predicted == 0
            ? (_counts.Keys.Any(k => k.Label == c) ? 0 : double.NaN)
            : (double)_counts.GetValueOrDefault((c, c)) / predicted;
    }

    /// <summary>The lowest recall over the classes labelled (as the device gate's <c>min_class_recall</c>) and its class; NaN and -1 without labels.</summary>
    public (double Value, int Class) MinRecall() => Min(Recall);

    /// <summary>The lowest precision over the classes labelled or predicted and its class; NaN and -1 without labels.</summary>
    public (double Value, int Class) MinPrecision() => Min(Precision);

    /// <summary>The counts against one positive class (the fairness rates' input).</summary>
    public BinaryOutcomes Binary(int positiveClass)
    {
        var b = default(BinaryOutcomes);
        foreach (var ((p, l), n) in _counts)
        {
            b = (p == positiveClass, l == positiveClass) switch
            {
                (true, true) => b with { TruePositives = b.TruePositives + n },
                (true, false) => b with { FalsePositives = b.FalsePositives + n },
                (false, false) => b with { TrueNegatives = b.TrueNegatives + n },
                _ => b with { FalseNegatives = b.FalseNegatives + n },
            };
        }

        return b;
    }

    /// <summary>Adds another window's counts (for totals over windows).</summary>
    public ConfusionCounts Merge(ConfusionCounts other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var (key, n) in other._counts)
        {
            _counts[key] = _counts.GetValueOrDefault(key) + n;
            Labelled += n;
        }

        return this;
    }

    private (double Value, int Class) Min(Func<int, double> of)
    {
        var best = (Value: double.NaN, Class: -1);
        foreach (var c in Classes)
        {
            var v = of(c);
            if (!double.IsNaN(v) && (double.IsNaN(best.Value) || v < best.Value))
            {
                best = (v, c);
            }
        }

        return best;
    }

    /// <summary>Adds <paramref name="n"/> labelled predictions of one (predicted, label) pair (a roll-up row's count).</summary>
    internal void Add(int predicted, int label, long n)
    {
        if (n <= 0)
        {
            return;
        }

        _counts[(predicted, label)] = _counts.GetValueOrDefault((predicted, label)) + n;
        Labelled += n;
    }

    internal static bool IsClass(double v) => v >= 0 && v <= MaxClass && v == Math.Floor(v);
}
