namespace EdgeDeploy.Runtime.Packages;

/// <summary>Adds signatures to a package.</summary>
public static class PackageSigner
{
    /// <summary>Returns the package with <paramref name="key"/>'s signature over its manifest added (replacing an earlier one by the same key).</summary>
    public static byte[] Sign(byte[] package, SigningKey key)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(key);
        using var stream = new MemoryStream(package, writable: false);
        using var archive = PackageArchive.Open(stream, maxEntries: 32);
        var manifestBytes = archive.ReadAll(PackageArchive.ManifestPath, 1 << 20, EdgeErrorCode.PackageMalformed);
        var existing = archive.Contains(PackageArchive.SignaturesPath)
            ? PackageJsonContext.Parse(archive.ReadAll(PackageArchive.SignaturesPath, 1 << 20, EdgeErrorCode.PackageMalformed), PackageJsonContext.Default.SignatureFile, EdgeErrorCode.PackageMalformed, "signatures.json")
            : new SignatureFile();
        var signatures = existing.Signatures.Where(s => s.KeyId != key.KeyId).Append(Envelope.Sign(key, Envelope.ManifestType, manifestBytes)).ToList();
        var others = archive.EntryNames
            .Where(n => n is not PackageArchive.ManifestPath and not PackageArchive.SignaturesPath)
            .Order(StringComparer.Ordinal)
            .Select(n => (n, archive.ReadAll(n, long.MaxValue, EdgeErrorCode.PackageMalformed)))
            .ToArray();
        return PackageZip.Write(manifestBytes, new SignatureFile { Signatures = signatures }, others);
    }
}
