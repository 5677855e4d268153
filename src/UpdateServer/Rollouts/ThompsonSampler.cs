using MathNet.Numerics.Distributions;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// Thompson sampling over Bernoulli rewards: each arm's success rate has a Beta(1 + successes, 1 + failures)
/// posterior, and an arm's traffic weight is the probability that it is the best, estimated by drawing from every
/// posterior many times. A floor keeps every arm explored a little so a late-blooming arm can still win.
/// </summary>
internal static class ThompsonSampler
{
    public const int Draws = 20_000;

    public static double[] Weights(IReadOnlyList<(long Successes, long Failures)> arms, double floor, int seed)
    {
        var random = new Random(seed); // seeded: the same evidence gives the same weights
        // Beta parameters in double, clamped: no count (however large or negative a stored sum is) can make Beta.Sample throw.
        var alpha = arms.Select(a => Parameter(a.Successes)).ToArray();
        var beta = arms.Select(a => Parameter(a.Failures)).ToArray();
        var wins = new int[arms.Count];
        var samples = new double[arms.Count];
        for (var d = 0; d < Draws; d++)
        {
            for (var i = 0; i < arms.Count; i++)
            {
                samples[i] = Beta.Sample(random, alpha[i], beta[i]);
            }

            wins[Array.IndexOf(samples, samples.Max())]++;
        }

        var weights = wins.Select(w => Math.Max(floor, w / (double)Draws)).ToArray();
        var total = weights.Sum();
        return [.. weights.Select(w => w / total)];
    }

    /// <summary>1 + count, with the count taken as at least 0 and at most 1e15 (far beyond any real fleet's labels).</summary>
    private static double Parameter(long count) => 1 + Math.Clamp((double)count, 0, 1e15);
}
