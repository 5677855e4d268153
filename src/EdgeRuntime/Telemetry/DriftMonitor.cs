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

/// <summary>
/// Incremental binned counts per feature (and output) for one model version, scored against the drift reference on
/// demand: PSI and Jensen-Shannon for every binned distribution, KS for numeric ones.
/// </summary>
internal sealed class DriftMonitor
{
    // Empty bins would make PSI infinite; this floor is the usual smoothing.
    private const double Epsilon = 1e-4;

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

    private static double[] ToDoubles(EdgeTensor t) => t.ElementType switch
    {
        EdgeElementType.Float => t.ToArray<float>().Select(v => (double)v).ToArray(),
        EdgeElementType.Double => t.ToArray<double>(),
        EdgeElementType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        EdgeElementType.Int32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        _ => [],
    };

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

    private sealed class Tracker
    {
        private readonly BinnedDistribution _reference;
        private readonly long[] _counts;
        private readonly Dictionary<string, int>? _categories;
        private long _missing;

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
        }

        public string Name => _reference.Name;

        public void Add(double value)
        {
            if (double.IsNaN(value))
            {
                _missing++;
            }
            else if (_categories is not null)
            {
                AddCategory(value.ToString(CultureInfo.InvariantCulture));
            }
            else if (_counts.Length > 0)
            {
                _counts[DriftReferenceBuilder.BinIndex(_reference.BinEdges!, value)]++;
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

        public DriftScore Score()
        {
            var observed = _counts.Sum();
            var total = observed + _missing;
            var fractions = _counts.Select(c => observed == 0 ? 0 : (double)c / observed).ToArray();
            var reference = _categories is not null ? [.. _reference.Fractions, 0] : _reference.Fractions.ToArray();
            var hasData = observed > 0;
            return new DriftScore(
                _reference.Name,
                _reference.Kind,
                total,
                total == 0 ? 0 : (double)_missing / total,
                _reference.MissingFraction,
                hasData ? Psi(fractions, reference) : double.NaN,
                hasData ? JensenShannon(fractions, reference) : double.NaN,
                hasData && _categories is null ? Ks(fractions, reference) : double.NaN,
                fractions);
        }

        private void AddCategory(string category) =>
            _counts[_categories!.TryGetValue(category, out var i) ? i : _counts.Length - 1]++;
    }
}
