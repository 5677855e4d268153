namespace EdgeDeploy.Runtime.Packages;

/// <summary>The binning rule of a <see cref="BinnedDistribution"/>, shared by the package author and the device.</summary>
internal static class DriftBins
{
    /// <summary>The bin a value falls in; the outer bins are open-ended.</summary>
    public static int BinIndex(IReadOnlyList<double> edges, double value)
    {
        var last = edges.Count - 2;
        for (var b = 0; b < last; b++)
        {
            if (value < edges[b + 1])
            {
                return b;
            }
        }

        return last;
    }
}
