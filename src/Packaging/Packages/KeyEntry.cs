namespace EdgeDeploy.Runtime.Packages;

internal sealed class KeyEntry
{
    public required string Id { get; init; }

    public string Scheme { get; init; } = "ecdsa-p256-sha256";

    /// <summary>SubjectPublicKeyInfo DER, base64.</summary>
    public required string PublicKey { get; init; }
}
