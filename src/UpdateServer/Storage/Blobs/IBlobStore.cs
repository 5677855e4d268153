namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Package files by SHA-256, written once and never changed. The filesystem keeps them for the embedded SQLite setup;
/// PostgreSQL keeps them in the database so that every replica serves every package, and a download resumed at an offset
/// may continue on any replica.
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Stores <paramref name="content"/> under <paramref name="sha256"/> (lowercase hex), reading it as a stream. Storing a
    /// blob that is already held reads nothing and succeeds.
    /// </summary>
    /// <exception cref="EdgeDeploy.Runtime.EdgeException">
    /// PayloadTooLarge past <paramref name="maxBytes"/>; FileHashMismatch when the content does not hash to <paramref name="sha256"/>.
    /// Nothing is stored in either case.
    /// </exception>
    Task PutAsync(string sha256, Stream content, long maxBytes, CancellationToken cancellationToken);

    /// <summary>The blob's size in bytes, or null when it is not held.</summary>
    Task<long?> GetSizeAsync(string sha256, CancellationToken cancellationToken);

    /// <summary>
    /// Copies bytes from <paramref name="offset"/> into <paramref name="buffer"/>: as many as fit, fewer only at the end of the
    /// blob, 0 at or past the end.
    /// </summary>
    /// <exception cref="FileNotFoundException">The blob is not held.</exception>
    Task<int> ReadAsync(string sha256, long offset, Memory<byte> buffer, CancellationToken cancellationToken);
}
