using System.Globalization;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Incremental binned counts per feature (and output) for one model version, scored against the drift reference on
/// demand: PSI and Jensen-Shannon for every binned distribution, KS for numeric ones. The counts since the last
/// <see cref="TakeCounts"/> go to the server, which merges devices and scores fleet-wide drift the same way.
/// </summary>
internal sealed class DriftMonitor
{
    private readonly Lock _lock = new();
    private readonly Tracker[] _features;
    private readonly Tracker[] _outputs;
    private readonly string? _tabularInput;

    public DriftMonitor(PackageManifest manifest)
    {
        var reference = manifest.DriftReference ?? new DriftReference();
        _features = [.. reference.Features.Select(f => new Tracker(f))];
        _outputs = [.. reference.Outputs.Select(o => new Tracker(o))];

        // A single [batch, F] input with F reference features: feature i is column i (the tabular layout the packer assumes).
        if (manifest.Schema.Inputs.Count == 1 && manifest.Schema.Inputs[0].Shape.Count == 2 && _features.Length > 1)
        {
            _tabularInput = manifest.Schema.Inputs[0].Name;
        }
    }

    public void Observe(IReadOnlyDictionary<string, EdgeTensor> inputs, Prediction prediction)
    {
        lock (_lock)
        {
            if (_tabularInput is not null && inputs.TryGetValue(_tabularInput, out var table) && table.Rank == 2 && table.Shape[1] == _features.Length)
            {
                var values = ToDoubles(table);
                var columns = _features.Length;
                for (var i = 0; i < values.Length; i++)
                {
                    _features[i % columns].Add(values[i]);
                }
            }
            else
            {
                foreach (var f in _features)
                {
                    if (inputs.TryGetValue(f.Name, out var t))
                    {
                        foreach (var v in ToDoubles(t))
                        {
                            f.Add(v);
                        }
                    }
                }
            }

            foreach (var o in _outputs)
            {
                if (prediction.Names.Contains(o.Name))
                {
                    o.AddOutput(prediction[o.Name]);
                }
            }
        }
    }

    public IReadOnlyList<DriftScore> Score()
    {
        lock (_lock)
        {
            return [.. _features.Concat(_outputs).Select(t => t.Score())];
        }
    }

    /// <summary>Counts observed since the previous call, per feature and output; resets them.</summary>
    public IReadOnlyList<DriftCounts> TakeCounts()
    {
        lock (_lock)
        {
            return [.. _features.Concat(_outputs).Select(t => t.TakePending())];
        }
    }

    private static double[] ToDoubles(EdgeTensor t) => t.ElementType switch
    {
        EdgeElementType.Float => t.ToArray<float>().Select(v => (double)v).ToArray(),
        EdgeElementType.Double => t.ToArray<double>(),
        EdgeElementType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        EdgeElementType.Int32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        _ => [],
    };

    private sealed class Tracker
    {
        private readonly BinnedDistribution _reference;
        private readonly long[] _counts;
        private readonly long[] _pending;
        private readonly Dictionary<string, int>? _categories;
        private long _missing;
        private long _pendingMissing;

        public Tracker(BinnedDistribution reference)
        {
            _reference = reference;
            if (reference.Kind == FeatureKind.Categorical)
            {
                _categories = (reference.Categories ?? []).Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
                _counts = new long[_categories.Count + 1]; // last: categories training never saw
            }
            else
            {
                _counts = new long[reference.Fractions.Count];
            }

            _pending = new long[_counts.Length];
        }

        public string Name => _reference.Name;

        public void Add(double value)
        {
            if (double.IsNaN(value))
            {
                _missing++;
                _pendingMissing++;
            }
            else if (_categories is not null)
            {
                AddCategory(value.ToString(CultureInfo.InvariantCulture));
            }
            else if (_counts.Length > 0)
            {
                var bin = DriftBins.BinIndex(_reference.BinEdges!, value);
                _counts[bin]++;
                _pending[bin]++;
            }
        }

        public void AddOutput(EdgeTensor output)
        {
            if (_categories is not null && output.ElementType == EdgeElementType.Float && output.Rank == 2 && output.Shape[1] > 1)
            {
                // Scores: the category is the argmax per row, as in the reference.
                var k = (int)output.Shape[1];
                var scores = output.AsSpan<float>();
                for (var r = 0; r < output.Shape[0]; r++)
                {
                    var row = scores.Slice(r * k, k);
                    var best = 0;
                    for (var j = 1; j < k; j++)
                    {
                        if (row[j] > row[best])
                        {
                            best = j;
                        }
                    }

                    AddCategory(best.ToString(CultureInfo.InvariantCulture));
                }

                return;
            }

            foreach (var v in ToDoubles(output))
            {
                Add(v);
            }
        }

        public DriftScore Score() => DriftScoring.Score(_reference, _counts, _missing);

        public DriftCounts TakePending()
        {
            var taken = new DriftCounts(_reference.Name, [.. _pending], _pendingMissing);
            Array.Clear(_pending);
            _pendingMissing = 0;
            return taken;
        }

        private void AddCategory(string category)
        {
            var bin = _categories!.TryGetValue(category, out var i) ? i : _counts.Length - 1;
            _counts[bin]++;
            _pending[bin]++;
        }
    }
}
