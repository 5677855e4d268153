using System.Security.Cryptography;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.UpdateServer.Packages;

/// <summary>
/// Publishing: verifies an uploaded package with the server's one <see cref="PackageVerifier"/> (built at start from
/// the trust directory), stores its bytes by SHA-256 and records the version. Versions are immutable.
/// </summary>
internal sealed class PackageRegistry(IUpdateStore store, IBlobStore blobs, PackageVerifier verifier, UpdateServerOptions options, TimeProvider time, ILogger<PackageRegistry> logger)
{
    /// <summary>Publishes a package; publishing the same bytes again is answered with the stored record.</summary>
    /// <exception cref="RejectedException">The package fails verification, or its version exists with other content.</exception>
    public async Task<(PackageRecord Package, bool AlreadyPresent)> PublishAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        VerifiedPackage verified;
        try
        {
            // The server checks what devices will check (clock aside: a publish is not an install, so no rollback state).
            verified = verifier.Verify(bytes);
        }
        catch (EdgeException ex)
        {
            throw RejectedException.Invalid($"{ex.Code}: {ex.Message}");
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var m = verified.Manifest;
        await blobs.PutAsync(sha, new MemoryStream(bytes, writable: false), options.MaxPackageBytes, cancellationToken).ConfigureAwait(false);
        var record = new PackageRecord(m.Name, m.Version, sha, bytes.Length, time.GetUtcNow().ToUnixTimeMilliseconds(), verified.ManifestJson);
        if (!await store.TryAddPackageAsync(record, cancellationToken).ConfigureAwait(false))
        {
            var existing = await store.GetPackageAsync(m.Name, m.Version, cancellationToken).ConfigureAwait(false);
            if (existing!.Sha256 != sha)
            {
                throw new RejectedException(Rejection.AlreadyExists, $"{m.Name} {m.Version} is already published with different content; versions are immutable.");
            }

            return (existing, true);
        }

        ServerLog.Published(logger, m.Name, m.Version, sha, bytes.Length);
        return (record, false);
    }

    /// <summary>Published versions of one model (or of all when empty or null).</summary>
    public Task<IReadOnlyList<PackageRecord>> ListAsync(string? model, CancellationToken cancellationToken) => store.ListPackagesAsync(model, cancellationToken);
}
