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

    /// <summary>
    /// Adds one served prediction, with its label when one arrived (null also when only structured truth did);
    /// <paramref name="slices"/> has bit i set for slice i; <paramref name="scored"/>: what its evidence scored against its
    /// label or structured truth (<see cref="EvidenceOutcome"/>).
    /// </summary>
    public void Add(double latencyMicros, long inputValues, long inputMissing, double predicted, double? label, ulong slices, EvidenceOutcome scored = default)
    {
        var latency = TelemetryRollup.Quantize(latencyMicros);
        _latencies[latency] = _latencies.GetValueOrDefault(latency) + 1;
        _values = SaturatingCount.Add(_values, inputValues);
        _missing = SaturatingCount.Add(_missing, inputMissing);
        if (!double.IsNaN(predicted))
        {
            var mix = TelemetryRollup.Quantize(predicted);
            _predictions[mix] = _predictions.GetValueOrDefault(mix) + 1;
        }

        _overall.Add(predicted, label);
        _overall.Evidence.Add(scored);
        for (var mask = slices; mask != 0; mask &= mask - 1)
        {
            var bit = System.Numerics.BitOperations.TrailingZeroCount(mask);
            if (!_slices.TryGetValue(bit, out var slice))
            {
                _slices[bit] = slice = new Outcomes();
            }

            slice.Add(predicted, label);
            slice.Evidence.Add(scored);
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
            case TelemetryRollup.Confusion when n > 0:
                var (scope, predicted, label) = TelemetryRollup.FromConfusionKey(key);
                if (scope == 0)
                {
                    _overall.Confusion.Add(predicted, label, n);
                }
                else
                {
                    if (!_slices.TryGetValue(scope - 1, out var scoped))
                    {
                        _slices[scope - 1] = scoped = new Outcomes();
                    }

                    scoped.Confusion.Add(predicted, label, n);
                }

                break;
            case TelemetryRollup.TopK when n > 0:
                var (rankScope, rank) = TelemetryRollup.FromTopKKey(key);
                Scope(rankScope).Evidence.AddRank(rank, n);
                break;
            case TelemetryRollup.Sequence when n > 0:
                // Counters reused (see TelemetryRollup.Sequence): values = character edits, missing = true characters, ground truth = word edits, correct = true words.
                Scope((int)key).Evidence.AddEdits(n, values, missing, groundTruth, correct);
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
            _slices.ToDictionary(kv => kv.Key, kv => kv.Value.ToRecord()))
        {
            Confusion = _overall.Confusion,
            SliceConfusion = _slices.ToDictionary(kv => kv.Key, kv => kv.Value.Confusion),
            Evidence = _overall.Evidence,
            SliceEvidence = _slices.ToDictionary(kv => kv.Key, kv => kv.Value.Evidence),
        };
    }

    /// <summary>Scope 0: every prediction; s + 1: model-card slice s.</summary>
    private Outcomes Scope(int scope)
    {
        if (scope == 0)
        {
            return _overall;
        }

        if (!_slices.TryGetValue(scope - 1, out var slice))
        {
            _slices[scope - 1] = slice = new Outcomes();
        }

        return slice;
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

        public ConfusionCounts Confusion { get; } = new();

        public EvidenceCounts Evidence { get; } = new();

        public void Add(double predicted, double? label)
        {
            Requests++;
            if (label is { } truth && !double.IsNaN(truth) && !double.IsNaN(predicted))
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
