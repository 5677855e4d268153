using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Telemetry;

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
