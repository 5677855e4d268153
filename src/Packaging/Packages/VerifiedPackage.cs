namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// A package whose signatures, file hashes, expiry, version and requirements have all been checked. It holds the verified
/// bytes, so nothing is re-read from disk after verification.
/// </summary>
public sealed class VerifiedPackage
{
    private readonly IReadOnlyDictionary<string, byte[]> _files;

    internal VerifiedPackage(PackageManifest manifest, byte[] manifestBytes, string manifestSha256, string publisher, IReadOnlyDictionary<string, byte[]> files)
    {
        Manifest = manifest;
        ManifestJson = System.Text.Encoding.UTF8.GetString(manifestBytes);
        ManifestSha256 = manifestSha256;
        Publisher = publisher;
        _files = files;
    }

    /// <summary>The signed manifest.</summary>
    public PackageManifest Manifest { get; }

    /// <summary>The signed manifest exactly as stored (canonical JSON).</summary>
    public string ManifestJson { get; }

    /// <summary>Hex SHA-256 of the manifest bytes: the package's identity.</summary>
    public string ManifestSha256 { get; }

    /// <summary>The publisher whose signatures met the threshold.</summary>
    public string Publisher { get; }

    /// <summary>The ONNX model bytes.</summary>
    public byte[] ModelBytes => _files[Manifest.ModelPath];

    /// <summary>The verified bytes of a file the manifest lists (e.g. a CTC vocabulary).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.FileMissing"/> when the manifest lists no such file.</exception>
    internal byte[] ReadFile(string path) => _files.TryGetValue(path, out var bytes)
        ? bytes
        : throw new EdgeException(EdgeErrorCode.FileMissing, $"The package has no file '{path}'.");

    /// <summary>Decodes the end-to-end test set.</summary>
    public IReadOnlyList<EndToEndCase> ReadEndToEndSet() =>
        TestSetCodec.Read<EndToEndCase>(_files[Manifest.EndToEnd.Path], $"End-to-end test set '{Manifest.EndToEnd.Path}'");

    /// <summary>Decodes the confidence test set.</summary>
    public IReadOnlyList<ConfidenceCase> ReadConfidenceSet() =>
        TestSetCodec.Read<ConfidenceCase>(_files[Manifest.Confidence.Path], $"Confidence test set '{Manifest.Confidence.Path}'");
}
