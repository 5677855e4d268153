namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Adds device-reported counts without wrapping: a sum stops at <see cref="long.MaxValue"/> (or MinValue).</summary>
internal static class SaturatingCount
{
    public static long Add(long a, long b)
    {
        var sum = unchecked(a + b);
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }
}
