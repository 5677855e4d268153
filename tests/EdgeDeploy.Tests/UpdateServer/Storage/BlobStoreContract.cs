using System.Security.Cryptography;
using EdgeDeploy.Runtime;
using EdgeDeploy.UpdateServer.Storage;

namespace EdgeDeploy.Tests.UpdateServer.Storage;

/// <summary>
/// What every <see cref="IBlobStore"/> must do, run once per backend by the derived classes
/// (<see cref="FileBlobStoreTests"/>, <see cref="PostgresBlobStoreTests"/>).
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    protected IBlobStore Blobs { get; private set; } = null!;

    public async Task InitializeAsync() => Blobs = await OpenAsync();

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A blob store on empty storage of the backend under test.</summary>
    protected abstract Task<IBlobStore> OpenAsync();

    [Fact]
    public async Task ReadAsync_RangesAcrossChunkBoundaries_ReturnTheBytesAtTheOffset()
    {
        var content = RandomNumberGenerator.GetBytes((5 << 19) + 123); // 2.5 MiB and a bit: three 1 MiB chunks in PostgreSQL
        var sha = Sha(content);
        await Blobs.PutAsync(sha, new MemoryStream(content), content.Length, None);
        var buffer = new byte[700_000];

        Assert.Equal(content.Length, await Blobs.GetSizeAsync(sha, None));
        foreach (var offset in new long[] { 0, 1, (1 << 20) - 10, (1 << 20) + 5, content.Length - 300_000 })
        {
            var read = await Blobs.ReadAsync(sha, offset, buffer, None);
            var expected = (int)Math.Min(buffer.Length, content.Length - offset);
            Assert.Equal(expected, read);
            Assert.True(buffer.AsSpan(0, read).SequenceEqual(content.AsSpan((int)offset, read)), $"bytes at {offset}");
        }

        Assert.Equal(0, await Blobs.ReadAsync(sha, content.Length, buffer, None));
        var whole = new byte[content.Length + 10];
        Assert.Equal(content.Length, await Blobs.ReadAsync(sha, 0, whole, None));
        Assert.True(whole.AsSpan(0, content.Length).SequenceEqual(content));
    }

    [Fact]
    public async Task PutAsync_SameBlobTwice_KeepsOneCopy()
    {
        var content = "package bytes"u8.ToArray();
        var sha = Sha(content);

        await Blobs.PutAsync(sha, new MemoryStream(content), 100, None);
        await Blobs.PutAsync(sha, new MemoryStream(content), 100, None);
        var buffer = new byte[64];
        var read = await Blobs.ReadAsync(sha, 3, buffer, None);

        Assert.Equal(content.Length, await Blobs.GetSizeAsync(sha, None));
        Assert.Equal("kage bytes", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task PutAsync_OverTheCapOrWrongHash_StoresNothing()
    {
        var content = new byte[3000];
        var sha = Sha(content);

        var tooLarge = await Assert.ThrowsAsync<EdgeException>(() => Blobs.PutAsync(sha, new MemoryStream(content), 2999, None));
        var mismatch = await Assert.ThrowsAsync<EdgeException>(() => Blobs.PutAsync(Sha([1, 2, 3]), new MemoryStream(content), 5000, None));

        Assert.Equal(EdgeErrorCode.PayloadTooLarge, tooLarge.Code);
        Assert.Equal(EdgeErrorCode.FileHashMismatch, mismatch.Code);
        Assert.Null(await Blobs.GetSizeAsync(sha, None));
        Assert.Null(await Blobs.GetSizeAsync(Sha([1, 2, 3]), None));
    }

    [Fact]
    public async Task MissingOrMalformedName_IsNotHeld()
    {
        var absent = Sha([42]);

        Assert.Null(await Blobs.GetSizeAsync(absent, None));
        Assert.Null(await Blobs.GetSizeAsync("../../etc/passwd", None));
        await Assert.ThrowsAsync<FileNotFoundException>(() => Blobs.ReadAsync(absent, 0, new byte[10], None));
        await Assert.ThrowsAsync<ArgumentException>(() => Blobs.PutAsync("../escape", new MemoryStream([1]), 10, None));
    }

    private static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
