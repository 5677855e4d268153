namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Fixed log-spaced latency buckets (bucket i holds latencies up to 10 µs × 2^(i/4), the last is open-ended), so
/// histograms from many devices merge by adding counts and a fleet-wide percentile stays within one bucket (about 19%).
/// </summary>
public static class LatencyHistogram
{
    /// <summary>Number of buckets: 10 µs up to about 10.5 s.</summary>
    public const int BucketCount = 81;

    private static readonly double[] UpperBoundsMicros = [.. Enumerable.Range(0, BucketCount).Select(i => 10.0 * Math.Pow(2, i / 4.0))];

    /// <summary>The bucket a latency falls in.</summary>
    public static int BucketOf(TimeSpan latency)
    {
        var micros = latency.Ticks / 10.0;
        if (micros <= 10)
        {
            return 0;
        }

        var i = (int)Math.Ceiling(4 * Math.Log2(micros / 10.0) - 1e-9);
        return Math.Min(i, BucketCount - 1);
    }

    /// <summary>The upper bound of the bucket holding quantile <paramref name="q"/> (0..1), in milliseconds; NaN when empty.</summary>
    public static double QuantileMillis(ReadOnlySpan<long> buckets, double q)
    {
        long total = 0;
        foreach (var c in buckets)
        {
            total += c;
        }

        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
        {
            seen += buckets[i];
            if (seen >= Math.Max(rank, 1))
            {
                return UpperBoundsMicros[Math.Min(i, BucketCount - 1)] / 1000.0;
            }
        }

        return UpperBoundsMicros[^1] / 1000.0;
    }
}
