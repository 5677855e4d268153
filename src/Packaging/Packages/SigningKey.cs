using System.Security.Cryptography;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// An ECDSA P-256 key used to sign roots and packages. The key id is the lowercase hex SHA-256 of the public key's
/// SubjectPublicKeyInfo DER, so the same public key always has the same id.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    private SigningKey(ECDsa key, bool hasPrivateKey)
    {
        _key = key;
        HasPrivateKey = hasPrivateKey;
        PublicKeyDer = key.ExportSubjectPublicKeyInfo();
        KeyId = ComputeKeyId(PublicKeyDer);
    }

    /// <summary>Hex SHA-256 of the public key (SPKI DER).</summary>
    public string KeyId { get; }

    /// <summary>True when this instance can sign.</summary>
    public bool HasPrivateKey { get; }

    internal byte[] PublicKeyDer { get; }

    /// <summary>Creates a new random P-256 key.</summary>
    public static SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256), hasPrivateKey: true);

    /// <summary>Reads a PEM key: a PKCS#8 or EC private key, or a public key (SPKI).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> for anything else, including non-P-256 curves.</exception>
    public static SigningKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            key.Dispose();
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Not a PEM-encoded EC key: {ex.Message}", ex);
        }

        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
        {
            key.Dispose();
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "Only ECDSA P-256 keys are supported.");
        }

        return new SigningKey(key, pem.Contains("PRIVATE KEY", StringComparison.Ordinal));
    }

    /// <summary>Reads a PEM key file.</summary>
    public static SigningKey Load(string path) => FromPem(File.ReadAllText(path));

    internal static SigningKey FromPublicKeyDer(byte[] spki)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw new EdgeException(EdgeErrorCode.RootMalformed, $"A public key in the root metadata is not a valid SubjectPublicKeyInfo: {ex.Message}", ex);
        }

        return new SigningKey(key, hasPrivateKey: false);
    }

    /// <summary>The private key as PKCS#8 PEM.</summary>
    public string ExportPrivateKeyPem() => HasPrivateKey
        ? _key.ExportPkcs8PrivateKeyPem()
        : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Key {KeyId} is a public key only.");

    /// <summary>The public key as SPKI PEM.</summary>
    public string ExportPublicKeyPem() => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>Signs with ECDSA P-256 over SHA-256 (IEEE P1363 r||s, 64 bytes).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => HasPrivateKey
        ? _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)
        : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Key {KeyId} is a public key only and cannot sign.");

    /// <summary>Verifies a signature made by <see cref="Sign"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        signature.Length == 64 && _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc/>
    public void Dispose() => _key.Dispose();

    internal static string ComputeKeyId(ReadOnlySpan<byte> spki) => Convert.ToHexStringLower(SHA256.HashData(spki));
}
