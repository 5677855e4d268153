using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// Per-version counters the store keeps for the update agent's health reports, plus a bounded ring of recent
/// predictions so a ground-truth label that arrives later can be scored against the version that made the prediction.
/// </summary>
internal sealed class HealthTracker(int groundTruthWindow)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Version, bool Shadow), Counters> _counters = [];
    private readonly (Guid Id, Counters Counters, PackageManifest Manifest, Prediction Prediction)?[] _recent = new (Guid, Counters, PackageManifest, Prediction)?[Math.Max(1, groundTruthWindow)];
    private int _next;

    public void Served(Guid id, LoadedVersion version, bool shadow, TimeSpan latency, Prediction prediction)
    {
        var bucket = LatencyHistogram.BucketOf(latency);
        lock (_lock)
        {
            var c = CountersFor(version.Version, shadow);
            c.Requests++;
            c.Buckets[bucket]++;
            _recent[_next] = (id, c, version.Manifest, prediction);
            _next = (_next + 1) % _recent.Length;
        }
    }

    public void Failed(string version, bool shadow)
    {
        lock (_lock)
        {
            var c = CountersFor(version, shadow);
            c.Requests++;
            c.Errors++;
        }
    }

    /// <summary>Scores every remembered prediction with this id (the served one and a shadow's); false when none is remembered or the label is not finite.</summary>
    public bool GroundTruth(Guid id, double label)
    {
        if (!double.IsFinite(label))
        {
            return false; // structured truth (text, boxes) carries a NaN label: it is no class to be right or wrong about
        }

        var found = false;
        lock (_lock)
        {
            for (var i = 0; i < _recent.Length; i++)
            {
                if (_recent[i] is not { } entry || entry.Id != id)
                {
                    continue;
                }

                found = true;
                _recent[i] = null; // a label counts once
                var spec = entry.Manifest.Confidence;
                if (!entry.Prediction.Names.Contains(spec.Output))
                {
                    continue;
                }

                var reading = Metrics.Read(ScoreOutputs.Of(entry.Prediction, spec.Output), spec.PositiveClass);
                entry.Counters.GroundTruth++;
                entry.Counters.Correct += reading.PredictedClass == (int)label ? 1 : 0;
                entry.Counters.AbsoluteErrorSum += Math.Abs(reading.Value - label);
            }
        }

        return found;
    }

    /// <summary>The counts since the last call, per version; resets them.</summary>
    public IReadOnlyList<VersionHealth> Take()
    {
        lock (_lock)
        {
            var result = new List<VersionHealth>();
            foreach (var ((version, shadow), c) in _counters)
            {
                var health = new VersionHealth(version, shadow, c.Requests, c.Errors, [.. c.Buckets], c.GroundTruth, c.Correct, c.AbsoluteErrorSum);
                c.Reset();
                if (health.Requests > 0 || health.GroundTruth > 0)
                {
                    result.Add(health);
                }
            }

            return result;
        }
    }

    /// <summary>Call under the lock.</summary>
    private Counters CountersFor(string version, bool shadow)
    {
        if (!_counters.TryGetValue((version, shadow), out var c))
        {
            _counters[(version, shadow)] = c = new Counters();
        }

        return c;
    }

    /// <summary>Guarded by the tracker's lock: one short uncontended section per prediction.</summary>
    private sealed class Counters
    {
        public long[] Buckets { get; } = new long[LatencyHistogram.BucketCount];

        public long Requests { get; set; }

        public long Errors { get; set; }

        public long GroundTruth { get; set; }

        public long Correct { get; set; }

        public double AbsoluteErrorSum { get; set; }

        public void Reset()
        {
            Array.Clear(Buckets);
            (Requests, Errors, GroundTruth, Correct, AbsoluteErrorSum) = (0, 0, 0, 0, 0);
        }
    }
}
