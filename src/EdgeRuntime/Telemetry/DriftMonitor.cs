using System.Globalization;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>Drift of one feature or output against the package's training reference.</summary>
/// <param name="Name">Feature or output name.</param>
/// <param name="Kind">Numeric or categorical.</param>
/// <param name="Observed">Values counted.</param>
/// <param name="MissingFraction">Share of observations that were missing (NaN).</param>
/// <param name="ReferenceMissingFraction">The same share in the training data.</param>
/// <param name="Psi">Population stability index over the reference bins.</param>
/// <param name="JensenShannon">Jensen-Shannon divergence (base 2, 0..1) over the same bins.</param>
/// <param name="Ks">Kolmogorov-Smirnov distance between binned CDFs (numeric only; NaN for categorical).</param>
/// <param name="ObservedFractions">Observed share per reference bin (categorical: a last extra bin for unseen categories).</param>
public sealed record DriftScore(string Name, FeatureKind Kind, long Observed, double MissingFraction, double ReferenceMissingFraction, double Psi, double JensenShannon, double Ks, IReadOnlyList<double> ObservedFractions);

/// <summary>Counts per reference bin for one feature or output, as devices report them (mergeable by adding).</summary>
/// <param name="Name">Feature or output name.</param>
/// <param name="Counts">Observations per reference bin (categorical: a last extra bin for unseen categories).</param>
/// <param name="Missing">Missing (NaN) observations.</param>
public sealed record DriftCounts(string Name, IReadOnlyList<long> Counts, long Missing);

/// <summary>Scores binned counts against a package's drift reference: PSI, Jensen-Shannon and (numeric) KS.</summary>
public static class DriftScoring
{
    // Empty bins would make PSI infinite; this floor is the usual smoothing.
    private const double Epsilon = 1e-4;

    /// <summary>Scores <paramref name="counts"/> (one per reference bin, plus an unseen bin for categorical) against the reference.</summary>
    public static DriftScore Score(BinnedDistribution reference, IReadOnlyList<long> counts, long missing)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(counts);
        var categorical = reference.Kind == FeatureKind.Categorical;
        var expectedBins = reference.Fractions.Count + (categorical ? 1 : 0);
        if (counts.Count != expectedBins)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{reference.Name}' has {expectedBins} bins; {counts.Count} counts were given.");
        }

        var observed = counts.Sum();
        var total = observed + missing;
        var fractions = counts.Select(c => observed == 0 ? 0 : (double)c / observed).ToArray();
        var referenceFractions = categorical ? [.. reference.Fractions, 0] : reference.Fractions.ToArray();
        var hasData = observed > 0;
        return new DriftScore(
            reference.Name,
            reference.Kind,
            total,
            total == 0 ? 0 : (double)missing / total,
            reference.MissingFraction,
            hasData ? Psi(fractions, referenceFractions) : double.NaN,
            hasData ? JensenShannon(fractions, referenceFractions) : double.NaN,
            hasData && !categorical ? Ks(fractions, referenceFractions) : double.NaN,
            fractions);
    }

    internal static double Psi(IReadOnlyList<double> observed, IReadOnlyList<double> reference)
    {
        double psi = 0;
        for (var i = 0; i < reference.Count; i++)
        {
            var o = Math.Max(observed[i], Epsilon);
            var r = Math.Max(reference[i], Epsilon);
            psi += (o - r) * Math.Log(o / r);
        }

        return psi;
    }

    internal static double JensenShannon(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        double js = 0;
        for (var i = 0; i < p.Count; i++)
        {
            var m = (p[i] + q[i]) / 2;
            if (p[i] > 0)
            {
                js += 0.5 * p[i] * Math.Log2(p[i] / m);
            }

            if (q[i] > 0)
            {
                js += 0.5 * q[i] * Math.Log2(q[i] / m);
            }
        }

        return js;
    }

    internal static double Ks(IReadOnlyList<double> p, IReadOnlyList<double> q)
    {
        double cp = 0, cq = 0, ks = 0;
        for (var i = 0; i < p.Count; i++)
        {
            cp += p[i];
            cq += q[i];
            ks = Math.Max(ks, Math.Abs(cp - cq));
        }

        return ks;
    }
}

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
                var bin = DriftReferenceBuilder.BinIndex(_reference.BinEdges!, value);
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
