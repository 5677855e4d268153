using System.Text;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Signing input for roots and manifests: DSSE's pre-authentication encoding
/// <c>"DSSEv1" SP len(type) SP type SP len(body) SP body</c>. Signatures cover the exact payload bytes plus their type,
/// so a root can never be replayed as a manifest and nothing depends on re-serialising JSON the same way.
/// </summary>
internal static class Envelope
{
    public const string RootType = "application/vnd.edgedeploy.root+json";
    public const string ManifestType = "application/vnd.edgedeploy.manifest+json";

    public static byte[] PreAuthEncode(string payloadType, ReadOnlySpan<byte> payload)
    {
        var header = Encoding.UTF8.GetBytes($"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} ");
        var result = new byte[header.Length + payload.Length];
        header.CopyTo(result, 0);
        payload.CopyTo(result.AsSpan(header.Length));
        return result;
    }

    public static SignatureEntry Sign(SigningKey key, string payloadType, ReadOnlySpan<byte> payload) => new()
    {
        KeyId = key.KeyId,
        Sig = Convert.ToBase64String(key.Sign(PreAuthEncode(payloadType, payload))),
    };
}
