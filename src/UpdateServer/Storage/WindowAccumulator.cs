namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Folds the served predictions of one version and window into a <see cref="VersionWindowSummary"/>: every backend reads
/// the same rows and summarises them here, so their figures agree to the last bit.
/// </summary>
internal sealed class WindowAccumulator
{
    private readonly List<double> _latencies = [];
    private readonly Dictionary<double, long> _predictions = [];
    private readonly Outcomes _overall = new();
    private readonly Dictionary<int, Outcomes> _slices = [];
    private long _values;
    private long _missing;

    /// <summary>Adds one served prediction, with its label when one arrived; <paramref name="slices"/> has bit i set for slice i.</summary>
    public void Add(double latencyMicros, long inputValues, long inputMissing, double predicted, double? label, ulong slices)
    {
        _latencies.Add(latencyMicros);
        _values = SaturatingCount.Add(_values, inputValues);
        _missing = SaturatingCount.Add(_missing, inputMissing);
        _predictions[predicted] = _predictions.GetValueOrDefault(predicted) + 1;
        _overall.Add(predicted, label);
        for (var mask = slices; mask != 0; mask &= mask - 1)
        {
            var bit = System.Numerics.BitOperations.TrailingZeroCount(mask);
            if (!_slices.TryGetValue(bit, out var slice))
            {
                _slices[bit] = slice = new Outcomes();
            }

            slice.Add(predicted, label);
        }
    }

    public VersionWindowSummary ToSummary()
    {
        _latencies.Sort();
        return new VersionWindowSummary(
            _latencies.Count,
            NearestRank(_latencies, 0.50),
            NearestRank(_latencies, 0.95),
            NearestRank(_latencies, 0.99),
            _values == 0 ? 0 : (double)_missing / _values,
            _predictions,
            _overall.GroundTruth,
            _overall.Correct,
            _overall.AbsErrorSum,
            _slices.ToDictionary(kv => kv.Key, kv => kv.Value.ToRecord()))
        {
            Confusion = _overall.Confusion,
            SliceConfusion = _slices.ToDictionary(kv => kv.Key, kv => kv.Value.Confusion),
        };
    }

    /// <summary>The nearest-rank percentile: the smallest value with at least q of the values at or below it.</summary>
    internal static double NearestRank(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Running counts of served predictions and how the labelled ones fared (overall, or for one slice).</summary>
    private sealed class Outcomes
    {
        public long Requests { get; private set; }

        public long GroundTruth { get; private set; }

        public long Correct { get; private set; }

        public double AbsErrorSum { get; private set; }

        public ConfusionCounts Confusion { get; } = new();

        public void Add(double predicted, double? label)
        {
            Requests++;
            if (label is { } truth)
            {
                GroundTruth++;
                Correct += predicted == truth ? 1 : 0;
                AbsErrorSum += Math.Abs(predicted - truth);
                Confusion.Add(predicted, truth);
            }
        }

        public SliceOutcomes ToRecord() => new(Requests, GroundTruth, Correct, AbsErrorSum);
    }
}
