using System.Buffers;
using System.Security.Cryptography;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>What every blob store checks on the way in: the name is a SHA-256, the content fits the cap and hashes to it.</summary>
internal static class BlobContent
{
    /// <summary>Bytes read from the incoming stream at a time (and the PostgreSQL chunk size).</summary>
    public const int ChunkBytes = 1 << 20;

    public static bool IsSha256(string? value) => value is { Length: 64 } && value.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>
    /// Hands <paramref name="content"/> to <paramref name="write"/> in chunks of up to <see cref="ChunkBytes"/> (each full but
    /// the last), then checks the hash. Throws before writing past <paramref name="maxBytes"/>; the caller discards what was
    /// written when this throws. Returns the size.
    /// </summary>
    public static async Task<long> CopyVerifiedAsync(Stream content, string sha256, long maxBytes, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> write, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            long size = 0;
            while (true)
            {
                var filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, ChunkBytes), ChunkBytes, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                if (filled == 0)
                {
                    break;
                }

                size += filled;
                if (size > maxBytes)
                {
                    throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"The blob exceeds the {maxBytes}-byte limit.");
                }

                hash.AppendData(buffer, 0, filled);
                await write(buffer.AsMemory(0, filled), cancellationToken).ConfigureAwait(false);
                if (filled < ChunkBytes)
                {
                    break;
                }
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != sha256)
            {
                throw new EdgeException(EdgeErrorCode.FileHashMismatch, $"The content hashes to {actual}, not {sha256}.");
            }

            return size;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
