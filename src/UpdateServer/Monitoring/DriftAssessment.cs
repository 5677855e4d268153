using System.Globalization;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Telemetry;
using MathNet.Numerics.Distributions;

namespace EdgeDeploy.UpdateServer.Monitoring;

/// <summary>
/// When a feature's drift counts as a shift. PSI, Jensen-Shannon and KS are effect sizes: on a small sample they are
/// large by chance alone (empty bins), so a fixed threshold flags clean data. A feature is <em>shifted</em> only when all
/// of these hold: at least <see cref="MinSamples"/> observations, a two-sample test against the training reference
/// rejects "same distribution" at <see cref="Alpha"/>, and PSI exceeds <see cref="PsiThreshold"/>.
/// <para>
/// The test is two-sample because the reference is itself a sample (<see cref="DriftReference.SampleCount"/> training
/// rows): the effective sample is n·m/(n+m), which stays below the reference's size however much traffic arrives, so
/// replaying the same rows many times does not manufacture certainty. Numeric features: Kolmogorov-Smirnov on the
/// binned CDFs (asymptotic distribution with the usual small-sample correction). Categorical: chi-square on the binned
/// counts scaled to the effective sample, every cell smoothed by half a count so empty bins stay finite.
/// </para>
/// Drift views, alert rules on psi, ks and jensen_shannon, and (through alerts) rollout gates all apply this one rule.
/// </summary>
internal static class DriftAssessment
{
    /// <summary>Fewest non-missing observations a feature needs before it can be called shifted.</summary>
    public const long MinSamples = 30;

    /// <summary>Significance level of the two-sample test.</summary>
    public const double Alpha = 0.01;

    /// <summary>Smallest PSI (effect size) that counts as a shift.</summary>
    public const double PsiThreshold = 0.2;

    /// <summary>The rule in words, as the drift view prints it.</summary>
    public static readonly string Rule = string.Create(CultureInfo.InvariantCulture,
        $"shifted = at least {MinSamples} observations, two-sample test p < {Alpha} (KS for numeric, chi-square for categorical; effective n = n*m/(n+m) with m training rows), and PSI > {PsiThreshold}");

    /// <summary>Scores one feature's or output's counts and judges them.</summary>
    public static FeatureDriftScore Assess(BinnedDistribution reference, int referenceSamples, IReadOnlyList<long> counts, long missing, bool isOutput)
    {
        var score = DriftScoring.Score(reference, counts, missing);
        var samples = counts.Sum();
        var pValue = samples < MinSamples ? double.NaN : PValue(score, reference, referenceSamples, counts, samples);
        var shifted = !double.IsNaN(pValue) && pValue < Alpha && score.Psi > PsiThreshold;
        return new FeatureDriftScore(score, reference.Fractions, isOutput, samples, referenceSamples, pValue, reference.Kind == FeatureKind.Categorical ? "chi-square" : "ks", shifted);
    }

    private static double PValue(DriftScore score, BinnedDistribution reference, int referenceSamples, IReadOnlyList<long> counts, long samples)
    {
        var n = (double)samples;
        var effective = referenceSamples > 0 ? n * referenceSamples / (n + referenceSamples) : n;
        if (reference.Kind != FeatureKind.Categorical)
        {
            return KolmogorovPValue(score.Ks, effective);
        }

        // Chi-square on counts scaled to the effective sample, each cell smoothed by half a count (empty bins stay finite).
        var bins = counts.Count;
        var referenceFractions = reference.Fractions.Append(0).ToArray();
        double statistic = 0;
        for (var i = 0; i < bins; i++)
        {
            var observed = (counts[i] / n * effective) + 0.5;
            var expected = (referenceFractions[i] * effective) + 0.5;
            statistic += Math.Pow(observed - expected, 2) / expected;
        }

        var degrees = Math.Max(1, bins - 1);
        return 1 - ChiSquared.CDF(degrees, statistic);
    }

    /// <summary>P(D &gt; d) for the Kolmogorov-Smirnov distance d on an effective sample n (asymptotic series, corrected for small n).</summary>
    internal static double KolmogorovPValue(double distance, double effective)
    {
        if (double.IsNaN(distance) || effective <= 0)
        {
            return double.NaN;
        }

        var root = Math.Sqrt(effective);
        var lambda = (root + 0.12 + (0.11 / root)) * distance;
        if (lambda < 1e-3)
        {
            return 1;
        }

        double sum = 0;
        for (var j = 1; j <= 100; j++)
        {
            var term = Math.Exp(-2 * j * j * lambda * lambda);
            sum += (j % 2 == 1 ? 2 : -2) * term;
            if (term < 1e-12)
            {
                break;
            }
        }

        return Math.Clamp(sum, 0, 1);
    }
}
