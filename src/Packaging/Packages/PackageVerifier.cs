using System.Security.Cryptography;
using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Verifies signed model packages against a device's <see cref="TrustStore"/>: structure, signatures and delegation,
/// expiry, identity, rollback, every file's hash and size, and the runtime version and opset the package needs.
/// It never loads ONNX Runtime: the update server verifies with it too. What a device's hardware offers (execution
/// providers) is checked on the device, by <c>DeviceCapabilities</c>.
/// Every failure is an <see cref="EdgeException"/> with its own <see cref="EdgeErrorCode"/>; nothing else escapes.
/// </summary>
public sealed partial class PackageVerifier
{
    private readonly TrustStore _trust;
    private readonly PackageVerifierOptions _options;

    /// <summary>Creates a verifier over a trust store.</summary>
    public PackageVerifier(TrustStore trust, PackageVerifierOptions? options = null)
    {
        _trust = trust ?? throw new ArgumentNullException(nameof(trust));
        _options = options ?? new PackageVerifierOptions();
        _options.Validate();
    }

    /// <summary>Verifies the package file at <paramref name="path"/>.</summary>
    public VerifiedPackage Verify(string path, ExpectedPackage? expected = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Package file '{path}' does not exist.");
        }

        CheckPackageSize(info.Length);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Verify(stream, expected);
    }

    /// <summary>Verifies package bytes.</summary>
    public VerifiedPackage Verify(byte[] package, ExpectedPackage? expected = null)
    {
        ArgumentNullException.ThrowIfNull(package);
        CheckPackageSize(package.Length);
        using var stream = new MemoryStream(package, writable: false);
        return Verify(stream, expected);
    }

    /// <summary>
    /// Parses manifest JSON that was verified earlier (a registry keeps the verified manifest of each version it stores).
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.ManifestMalformed"/> when it is not a canonical manifest.</exception>
    public static PackageManifest ParseVerifiedManifest(string manifestJson)
    {
        ArgumentNullException.ThrowIfNull(manifestJson);
        return ManifestCodec.Parse(System.Text.Encoding.UTF8.GetBytes(manifestJson));
    }

    /// <summary>
    /// Reads a package's manifest without checking signatures or files: for display only (<c>edge info</c>), never for trust.
    /// </summary>
    public static PackageManifest ReadUnverifiedManifest(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var archive = PackageArchive.Open(stream, maxEntries: 32);
            return ManifestCodec.Parse(archive.ReadAll(PackageArchive.ManifestPath, 1 << 20, EdgeErrorCode.PackageMalformed));
        }
        catch (FileNotFoundException ex)
        {
            throw new EdgeException(EdgeErrorCode.PackageNotFound, $"Package file '{path}' does not exist.", ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException)
        {
            throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package is corrupt: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Re-verifies a package this device installed earlier (signatures and file hashes), without the expiry and rollback
    /// checks that guard new downloads: a kept version stays usable for rollback and offline restarts.
    /// </summary>
    internal VerifiedPackage VerifyInstalled(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Verify(stream, expected: null, installed: true);
    }

    private VerifiedPackage Verify(Stream stream, ExpectedPackage? expected, bool installed = false)
    {
        try
        {
            return VerifyCore(stream, expected, installed);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or NotSupportedException or ArgumentException or OverflowException or FormatException or CryptographicException)
        {
            // The zip reader surfaces corruption in many shapes; all of them mean the same thing to a device.
            throw new EdgeException(EdgeErrorCode.PackageMalformed, $"The package is corrupt: {ex.Message}", ex);
        }
    }

    private VerifiedPackage VerifyCore(Stream stream, ExpectedPackage? expected, bool installed)
    {
        var root = _trust.Root;
        var now = _options.TimeProvider.GetUtcNow();
        if (!installed)
        {
            root.CheckNotExpired(now);
        }


        using var archive = PackageArchive.Open(stream, _options.MaxEntries);
        var manifestBytes = archive.ReadAll(PackageArchive.ManifestPath, _options.MaxManifestBytes, EdgeErrorCode.PackageMalformed);
        var signatureBytes = archive.ReadAll(PackageArchive.SignaturesPath, _options.MaxManifestBytes, EdgeErrorCode.PackageMalformed);
        var signatures = PackageJsonContext.Parse(signatureBytes, PackageJsonContext.Default.SignatureFile, EdgeErrorCode.PackageMalformed, "signatures.json").Signatures;

        var verifiedSignatures = root.VerifyPackageSignatures(manifestBytes, signatures);
        var manifest = ManifestCodec.Parse(manifestBytes);
        var publisher = root.Authorize(verifiedSignatures, manifest.Name);

        if (!installed && manifest.Expires <= now)
        {
            throw new EdgeException(EdgeErrorCode.ManifestExpired, $"Package {manifest.Name} {manifest.Version} expired at {manifest.Expires:O}.");
        }

        var manifestSha = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
        CheckExpected(manifest, manifestSha, expected);
        if (!installed)
        {
            CheckRollback(manifest);
        }

        var files = CheckFiles(archive, manifest);
        CheckRequirements(manifest);
        return new VerifiedPackage(manifest, manifestBytes, manifestSha, publisher.Name, files);
    }

    /// <summary>
    /// Refuses a package file that is not a zip archive with at most the allowed entries and safe names, reading only its
    /// end-of-central-directory record and central directory (a seekable zip is never read whole here).
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.PackageMalformed"/>.</exception>
    internal void CheckArchiveStructure(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.RandomAccess);
        PackageArchive.Open(stream, _options.MaxEntries).Dispose();
    }

    /// <summary>Refuses a package over the size limit before any of it is read.</summary>
    internal void CheckPackageSize(long length)
    {
        if (length > _options.MaxPackageBytes)
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"The package is {length} bytes, over the limit of {_options.MaxPackageBytes}.");
        }
    }

    private static void CheckExpected(PackageManifest manifest, string manifestSha, ExpectedPackage? expected)
    {
        if (expected is null)
        {
            return;
        }

        if (expected.Name != manifest.Name || (expected.Version is not null && expected.Version != manifest.Version))
        {
            throw new EdgeException(EdgeErrorCode.PackageMismatch, $"Expected {expected.Name} {expected.Version ?? "(any version)"} but the package is {manifest.Name} {manifest.Version}.");
        }

        if (expected.ManifestSha256 is not null && !string.Equals(expected.ManifestSha256, manifestSha, StringComparison.OrdinalIgnoreCase))
        {
            throw new EdgeException(EdgeErrorCode.PackageMismatch, $"Package {manifest.Name} {manifest.Version} has manifest {manifestSha}, not the assigned {expected.ManifestSha256}.");
        }
    }

    private void CheckRollback(PackageManifest manifest)
    {
        var highest = _trust.GetHighestInstalledVersion(manifest.Name);
        if (highest is not null
            && SemVersion.ComparePrecedence(SemVersion.Parse(manifest.Version, SemVersionStyles.Strict), SemVersion.Parse(highest, SemVersionStyles.Strict)) < 0)
        {
            throw new EdgeException(EdgeErrorCode.VersionRollback, $"Package {manifest.Name} {manifest.Version} is older than the installed {highest}; rollback refused.");
        }
    }

    private Dictionary<string, byte[]> CheckFiles(PackageArchive archive, PackageManifest manifest)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal) { PackageArchive.ManifestPath, PackageArchive.SignaturesPath };
        foreach (var file in manifest.Files)
        {
            listed.Add(file.Path);
        }

        foreach (var name in archive.EntryNames)
        {
            if (!listed.Contains(name))
            {
                throw new EdgeException(EdgeErrorCode.FileUnexpected, $"The package holds '{name}', which the signed manifest does not list.");
            }
        }

        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            if (!archive.Contains(file.Path))
            {
                throw new EdgeException(EdgeErrorCode.FileMissing, $"The signed manifest lists '{file.Path}' but the package does not contain it.");
            }

            var declared = archive.DeclaredLength(file.Path);
            if (declared > _options.MaxFileBytes || file.Size > _options.MaxFileBytes)
            {
                throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"'{file.Path}' is {Math.Max(declared, file.Size)} bytes, over the limit of {_options.MaxFileBytes}.");
            }

            // Never read past the signed size: an entry whose stream runs on (a lying header) stops with PayloadTooLarge.
            var (bytes, sha) = declared == file.Size ? archive.ReadHashed(file.Path, file.Size) : ([], string.Empty);
            if (bytes.Length != file.Size || sha != file.Sha256)
            {
                throw new EdgeException(
                    EdgeErrorCode.FileHashMismatch,
                    declared != file.Size
                        ? $"'{file.Path}' is {declared} bytes but the signed manifest says {file.Size}."
                        : $"'{file.Path}' does not match the signed manifest (SHA-256 {sha}, expected {file.Sha256}).");
            }

            files[file.Path] = bytes;
        }

        return files;
    }

    private void CheckRequirements(PackageManifest manifest)
    {
        var r = manifest.Requirements;
        if (!SemVersion.TryParse(r.MinRuntimeVersion, SemVersionStyles.Strict, out var min))
        {
            throw new EdgeException(EdgeErrorCode.ManifestMalformed, $"minRuntimeVersion '{r.MinRuntimeVersion}' is not a semantic version.");
        }

        if (SemVersion.ComparePrecedence(SemVersion.Parse(_options.RuntimeVersion, SemVersionStyles.Strict), min) < 0)
        {
            throw new EdgeException(EdgeErrorCode.RequirementsNotMet, $"Package {manifest.Name} {manifest.Version} needs EdgeRuntime {r.MinRuntimeVersion}; this device runs {_options.RuntimeVersion}.");
        }

        if (r.Opset > RuntimeInfo.MaxOpset)
        {
            throw new EdgeException(EdgeErrorCode.RequirementsNotMet, $"Package {manifest.Name} {manifest.Version} needs ONNX opset {r.Opset}; this runtime supports up to {RuntimeInfo.MaxOpset}.");
        }
    }
}
