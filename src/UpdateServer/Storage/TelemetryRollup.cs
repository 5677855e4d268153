namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Hourly roll-ups of served predictions, kept by both telemetry stores beside the raw rows (table
/// <c>telemetry_rollups</c>): per (series, hour of the prediction's timestamp) one row of totals and one row per latency
/// value, predicted value and model-card slice. They are maintained on ingest, in the batch's own transaction: a
/// prediction adds to its hour, a label adds its outcome to its prediction's hour (and takes back the label it replaces);
/// a label stored before its prediction waits in <c>rollup_orphan_labels</c> until the prediction arrives.
/// <see cref="ITelemetryStore.Summarize"/> reads whole hours from here and only the partial hours at either end of the
/// window from the raw rows, through one <see cref="WindowAccumulator"/>, so a window's figures are the same whichever way
/// they were read. Latencies and predicted values are kept to three significant digits (<see cref="Quantize"/>) in both.
/// </summary>
internal sealed class TelemetryRollup
{
    public const long HourMs = 3_600_000;

    /// <summary>The totals row (key 0): requests, input values, missing values and labelled outcomes.</summary>
    public const int Totals = 0;

    /// <summary>One row per quantized latency in µs (the key): how many predictions took it.</summary>
    public const int Latency = 1;

    /// <summary>One row per quantized predicted value (the key): how many predictions gave it.</summary>
    public const int Predicted = 2;

    /// <summary>One row per model-card slice index (the key): requests and labelled outcomes.</summary>
    public const int Slice = 3;

    /// <summary>
    /// One row per (scope, predicted class, true class) of labelled classifier predictions (the key, see
    /// <see cref="ConfusionKey"/>; N is the count): per-class recall/precision and the fairness rates read whole hours from it.
    /// Scope 0 is every prediction, scope s + 1 the model-card slice s.
    /// </summary>
    public const int Confusion = 4;

    /// <summary>
    /// One row per (scope, rank of the true class among the prediction's top classes) of labelled predictions with
    /// evidence (the key, see <see cref="TopKKey"/>; N is the count; rank -1: not among them): top-k accuracy for any k.
    /// Scopes as in <see cref="Confusion"/>.
    /// </summary>
    public const int TopK = 5;

    /// <summary>
    /// One row per scope (the key, as in <see cref="Confusion"/>) of decoded texts scored against true texts. The counters
    /// are reused: N = sequences, Values = character edits, Missing = true characters, GroundTruth = word edits,
    /// Correct = true words; CER and WER are their ratios over any window.
    /// </summary>
    public const int Sequence = 6;

    private readonly Dictionary<Key, Row> _rows = [];

    public int Count => _rows.Count;

    /// <summary>Three significant digits: exact for values that have no more, within 0.5% otherwise; keeps roll-ups small.</summary>
    public static double Quantize(double value)
    {
        if (!double.IsFinite(value) || value == 0)
        {
            return value;
        }

        var exponent = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        if (exponent <= 2)
        {
            return Math.Round(value, Math.Clamp(2 - exponent, 0, 15), MidpointRounding.AwayFromZero);
        }

        var scale = Math.Pow(10, exponent - 2);
        return Math.Round(value / scale, MidpointRounding.AwayFromZero) * scale;
    }

    /// <summary>The whole hours of [from, to) that roll-ups answer for: [first, end) as hour indexes; empty when there are none.</summary>
    public static (long First, long End) WholeHours(long fromUnixMs, long toUnixMs, long validFromHour)
    {
        if (fromUnixMs < 0 || toUnixMs <= fromUnixMs)
        {
            return (0, 0);
        }

        var first = Math.Max(validFromHour, (fromUnixMs / HourMs) + (fromUnixMs % HourMs == 0 ? 0 : 1));
        var end = toUnixMs / HourMs;
        return first < end ? (first, end) : (0, 0);
    }

    /// <summary>A stable shard of a device (0-7) for PostgreSQL's roll-up rows (FNV-1a of the id; string hashes vary per process).</summary>
    public static int Shard(string deviceId)
    {
        var hash = 2166136261u;
        foreach (var c in deviceId)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return (int)(hash % 8);
    }

    /// <summary>Adds one served (not shadow) prediction to its hour.</summary>
    public void AddPrediction(long series, long timestampMs, double latencyMicros, long inputValues, long inputMissing, double predicted, ulong slices, int shard = 0)
    {
        var hour = timestampMs / HourMs;
        var totals = Get(new Key(series, hour, Totals, 0, shard));
        totals.N++;
        totals.Values = SaturatingCount.Add(totals.Values, inputValues);
        totals.Missing = SaturatingCount.Add(totals.Missing, inputMissing);
        Get(new Key(series, hour, Latency, Quantize(latencyMicros), shard)).N++;
        if (!double.IsNaN(predicted))
        {
            Get(new Key(series, hour, Predicted, Quantize(predicted), shard)).N++; // NaN: the device had no value to read
        }

        for (var mask = slices; mask != 0; mask &= mask - 1)
        {
            Get(new Key(series, hour, Slice, System.Numerics.BitOperations.TrailingZeroCount(mask), shard)).N++;
        }
    }

    /// <summary>
    /// Adds (<paramref name="sign"/> 1) or takes back (-1) a label's outcome for a served prediction, and what its evidence
    /// scored (<paramref name="scored"/>). A label of NaN (structured truth only), or a prediction without a value (NaN: its
    /// outputs were too large to record), counts no plain outcome.
    /// </summary>
    public void AddLabel(long series, long timestampMs, double predicted, ulong slices, double label, int sign, int shard = 0, EvidenceOutcome scored = default)
    {
        var hour = timestampMs / HourMs;
        AddEvidence(series, hour, slices, scored, sign, shard);
        if (double.IsNaN(label) || double.IsNaN(predicted))
        {
            return; // no plain outcome without a number on both sides
        }

        Outcome(Get(new Key(series, hour, Totals, 0, shard)), predicted, label, sign);
        for (var mask = slices; mask != 0; mask &= mask - 1)
        {
            Outcome(Get(new Key(series, hour, Slice, System.Numerics.BitOperations.TrailingZeroCount(mask), shard)), predicted, label, sign);
        }

        // A classifier's outcome also counts by (predicted, true) class, overall and per slice; a regressor's values are not classes.
        if (ConfusionCounts.IsClass(predicted) && ConfusionCounts.IsClass(label))
        {
            var (p, l) = ((int)predicted, (int)label);
            Get(new Key(series, hour, Confusion, ConfusionKey(0, p, l), shard)).N += sign;
            for (var mask = slices; mask != 0; mask &= mask - 1)
            {
                Get(new Key(series, hour, Confusion, ConfusionKey(System.Numerics.BitOperations.TrailingZeroCount(mask) + 1, p, l), shard)).N += sign;
            }
        }
    }

    /// <summary>Packs (scope, rank) into one exact double key: rank + 1 in the low 8 bits (ranks are below <c>TelemetryEvidence.MaxTopClasses</c>).</summary>
    public static double TopKKey(int scope, int rank) => (scope << 8) | (rank + 1);

    /// <summary>The inverse of <see cref="TopKKey"/>.</summary>
    public static (int Scope, int Rank) FromTopKKey(double key) => ((int)key >> 8, ((int)key & 0xFF) - 1);

    private void AddEvidence(long series, long hour, ulong slices, EvidenceOutcome scored, int sign, int shard)
    {
        if (scored.TopRank is { } rank)
        {
            Get(new Key(series, hour, TopK, TopKKey(0, rank), shard)).N += sign;
            for (var mask = slices; mask != 0; mask &= mask - 1)
            {
                Get(new Key(series, hour, TopK, TopKKey(System.Numerics.BitOperations.TrailingZeroCount(mask) + 1, rank), shard)).N += sign;
            }
        }

        if (scored.Characters is { } c && scored.Words is { } w)
        {
            Edits(Get(new Key(series, hour, Sequence, 0, shard)), c, w, sign);
            for (var mask = slices; mask != 0; mask &= mask - 1)
            {
                Edits(Get(new Key(series, hour, Sequence, System.Numerics.BitOperations.TrailingZeroCount(mask) + 1, shard)), c, w, sign);
            }
        }
    }

    private static void Edits(Row row, (int Edits, int Length) characters, (int Edits, int Length) words, int sign)
    {
        row.N += sign;
        row.Values += sign * characters.Edits;
        row.Missing += sign * characters.Length;
        row.GroundTruth += sign * words.Edits;
        row.Correct += sign * words.Length;
    }

    /// <summary>Packs (scope, predicted, label) into one exact double key: 7 + 17 + 17 bits, far below 2^53.</summary>
    public static double ConfusionKey(int scope, int predicted, int label) =>
        ((long)scope << 34) | ((long)predicted << 17) | (long)label;

    /// <summary>The inverse of <see cref="ConfusionKey"/>.</summary>
    public static (int Scope, int Predicted, int Label) FromConfusionKey(double key)
    {
        var k = (long)key;
        return ((int)(k >> 34), (int)((k >> 17) & 0x1FFFF), (int)(k & 0x1FFFF));
    }

    /// <summary>The accumulated deltas, sorted by key (so concurrent writers lock rows in one order), then cleared.</summary>
    public List<(Key Key, Row Row)> Drain()
    {
        var rows = _rows.Select(kv => (kv.Key, kv.Value)).OrderBy(r => r.Key.Series).ThenBy(r => r.Key.Hour).ThenBy(r => r.Key.Kind).ThenBy(r => r.Key.Value).ThenBy(r => r.Key.Shard).ToList();
        _rows.Clear();
        return rows;
    }

    public void Clear() => _rows.Clear();

    private static void Outcome(Row row, double predicted, double label, int sign)
    {
        row.GroundTruth += sign;
        row.Correct += predicted == label ? sign : 0;
        row.AbsError += sign * Math.Abs(predicted - label);
    }

    private Row Get(Key key)
    {
        if (!_rows.TryGetValue(key, out var row))
        {
            _rows[key] = row = new Row();
        }

        return row;
    }

    /// <summary>A roll-up row's key: series, hour index (timestamp / 1 h), kind, the kind's key, and a shard (PostgreSQL spreads hot rows over shards).</summary>
    public readonly record struct Key(long Series, long Hour, int Kind, double Value, int Shard);

    /// <summary>A roll-up row's counters (or deltas to them).</summary>
    public sealed class Row
    {
        public long N { get; set; }

        public long Values { get; set; }

        public long Missing { get; set; }

        public long GroundTruth { get; set; }

        public long Correct { get; set; }

        public double AbsError { get; set; }
    }
}
