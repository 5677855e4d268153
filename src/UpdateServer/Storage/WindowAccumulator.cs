namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Folds the served predictions of one version and window into a <see cref="VersionWindowSummary"/>: every backend reads
/// the same rows and summarises them here, so their figures agree to the last bit. Whole hours come from the stores'
/// roll-ups (<see cref="AddRollup"/>), partial hours from raw rows (<see cref="Add"/>); latencies and predicted values are
/// counted at three significant digits (<see cref="TelemetryRollup.Quantize"/>) either way, so both paths give one answer.
/// </summary>
internal sealed class WindowAccumulator
{
    private readonly Dictionary<double, long> _latencies = [];
    private readonly Dictionary<double, long> _predictions = [];
    private readonly Outcomes _overall = new();
    private readonly Dictionary<int, Outcomes> _slices = [];
    private long _values;
    private long _missing;

    /// <summary>Adds one served prediction, with its label when one arrived; <paramref name="slices"/> has bit i set for slice i.</summary>
    public void Add(double latencyMicros, long inputValues, long inputMissing, double predicted, double? label, ulong slices)
    {
        var latency = TelemetryRollup.Quantize(latencyMicros);
        _latencies[latency] = _latencies.GetValueOrDefault(latency) + 1;
        _values = SaturatingCount.Add(_values, inputValues);
        _missing = SaturatingCount.Add(_missing, inputMissing);
        var mix = TelemetryRollup.Quantize(predicted);
        _predictions[mix] = _predictions.GetValueOrDefault(mix) + 1;
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

    /// <summary>Adds one roll-up row (an hour's totals, latency, predicted value or slice row; see <see cref="TelemetryRollup"/>).</summary>
    public void AddRollup(int kind, double key, long n, long values, long missing, long groundTruth, long correct, double absError)
    {
        switch (kind)
        {
            case TelemetryRollup.Totals:
                _values = SaturatingCount.Add(_values, values);
                _missing = SaturatingCount.Add(_missing, missing);
                _overall.AddTotals(n, groundTruth, correct, absError);
                break;
            case TelemetryRollup.Latency when n != 0:
                _latencies[key] = _latencies.GetValueOrDefault(key) + n;
                break;
            case TelemetryRollup.Predicted when n != 0:
                _predictions[key] = _predictions.GetValueOrDefault(key) + n;
                break;
            case TelemetryRollup.Slice when n != 0 || groundTruth != 0:
                var bit = (int)key;
                if (!_slices.TryGetValue(bit, out var slice))
                {
                    _slices[bit] = slice = new Outcomes();
                }

                slice.AddTotals(n, groundTruth, correct, absError);
                break;
        }
    }

    public VersionWindowSummary ToSummary()
    {
        var latencies = _latencies.OrderBy(kv => kv.Key).ToList();
        var requests = latencies.Sum(kv => kv.Value);
        return new VersionWindowSummary(
            requests,
            NearestRank(latencies, requests, 0.50),
            NearestRank(latencies, requests, 0.95),
            NearestRank(latencies, requests, 0.99),
            _values == 0 ? 0 : (double)_missing / _values,
            _predictions,
            _overall.GroundTruth,
            _overall.Correct,
            _overall.AbsErrorSum,
            _slices.ToDictionary(kv => kv.Key, kv => kv.Value.ToRecord()));
    }

    /// <summary>The nearest-rank percentile over (value, count) pairs sorted by value: the smallest value with at least q of the values at or below it.</summary>
    private static double NearestRank(List<KeyValuePair<double, long>> sorted, long total, double q)
    {
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = Math.Clamp((long)Math.Ceiling(q * total), 1, total);
        long seen = 0;
        foreach (var (value, count) in sorted)
        {
            seen += count;
            if (seen >= rank)
            {
                return value;
            }
        }

        return sorted[^1].Key;
    }

    /// <summary>Running counts of served predictions and how the labelled ones fared (overall, or for one slice).</summary>
    private sealed class Outcomes
    {
        public long Requests { get; private set; }

        public long GroundTruth { get; private set; }

        public long Correct { get; private set; }

        public double AbsErrorSum { get; private set; }

        public void AddTotals(long requests, long groundTruth, long correct, double absError)
        {
            Requests += requests;
            GroundTruth += groundTruth;
            Correct += correct;
            AbsErrorSum += absError;
        }

        public void Add(double predicted, double? label)
        {
            Requests++;
            if (label is { } truth)
            {
                GroundTruth++;
                Correct += predicted == truth ? 1 : 0;
                AbsErrorSum += Math.Abs(predicted - truth);
            }
        }

        public SliceOutcomes ToRecord() => new(Requests, GroundTruth, Correct, AbsErrorSum);
    }
}
