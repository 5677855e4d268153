namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>Content-addressed package files: <c>blobs/&lt;sha256&gt;</c>, written once via a temp file and rename.</summary>
internal sealed class FileBlobStore : IBlobStore
{
    private readonly string _directory;

    public FileBlobStore(string directory)
    {
        _directory = directory;
        OwnerOnly.CreateDirectory(_directory);
    }

    public async Task PutAsync(string sha256, Stream content, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var path = PathOf(sha256) ?? throw new ArgumentException($"'{sha256}' is not a lowercase hex SHA-256.", nameof(sha256));
        if (File.Exists(path))
        {
            return;
        }

        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await BlobContent.CopyVerifiedAsync(content, sha256, maxBytes, (chunk, ct) => file.WriteAsync(chunk, ct), cancellationToken).ConfigureAwait(false);
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp); // gone already after the move; left over only when the content was refused or the copy failed
        }
    }

    public Task<long?> GetSizeAsync(string sha256, CancellationToken cancellationToken)
    {
        var file = PathOf(sha256) is { } path ? new FileInfo(path) : null;
        return Task.FromResult(file is { Exists: true } ? file.Length : (long?)null);
    }

    public async Task<int> ReadAsync(string sha256, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var path = PathOf(sha256) ?? throw new FileNotFoundException($"No blob {sha256}.");
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.Asynchronous);
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await RandomAccess.ReadAsync(handle, buffer[total..], offset + total, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>The file of a well-formed hash; null otherwise, so a name from a request never reaches outside the folder.</summary>
    private string? PathOf(string sha256) => BlobContent.IsSha256(sha256) ? Path.Combine(_directory, sha256) : null;
}
