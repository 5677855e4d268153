namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// Prediction ids: a random 64-bit prefix drawn once per process and a counter. Unique across restarts and devices
/// with overwhelming probability, and a few nanoseconds to make (a v7 GUID costs a random draw per call).
/// </summary>
internal static class PredictionIds
{
    private static readonly long Prefix = BitConverter.ToInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
    private static long _counter;

    public static Guid Next()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, Prefix);
        BitConverter.TryWriteBytes(bytes[8..], Interlocked.Increment(ref _counter));
        return new Guid(bytes);
    }
}
