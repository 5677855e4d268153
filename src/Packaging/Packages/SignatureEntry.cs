namespace EdgeDeploy.Runtime.Packages;

/// <summary>One signature: who signed (key id) and the signature bytes (base64 in JSON).</summary>
internal sealed class SignatureEntry
{
    public required string KeyId { get; init; }

    public required string Sig { get; init; }
}
