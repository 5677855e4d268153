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
