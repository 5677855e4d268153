using System.Security.Cryptography;
using System.Text;

namespace EdgeDeploy.UpdateServer.Webhooks;

/// <summary>
/// Webhook signing secrets: generated here (32 random bytes, shown once as <c>whsec_&lt;base64&gt;</c>, the Standard
/// Webhooks form), and kept at rest only sealed with AES-256-GCM under a key derived from the server's assignment key
/// (<see cref="AssignmentSigner.DeriveKey"/>), with the webhook id as associated data, so a copy of the database alone
/// (a backup, a replica's dump) reveals no secret and a sealed secret cannot be moved to another webhook's row.
/// </summary>
internal sealed class WebhookSecrets(AssignmentSigner signer)
{
    /// <summary>The prefix of a Standard Webhooks symmetric secret.</summary>
    public const string Prefix = "whsec_";

    private const string SealedPrefix = "v1.";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly Lazy<byte[]> _key = new(() => signer.DeriveKey("webhook-secrets/v1"));

    /// <summary>A new secret, as the operator sees it once: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>The HMAC key of a <c>whsec_</c> secret (its base64 part decoded).</summary>
    public static byte[] KeyOf(string secret) => Convert.FromBase64String(secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret);

    /// <summary>Seals <paramref name="secret"/> for webhook <paramref name="webhookId"/>: "v1." + base64(nonce | ciphertext | tag).</summary>
    public string Seal(string webhookId, string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(_key.Value, TagBytes))
        {
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), Encoding.UTF8.GetBytes(webhookId));
        }

        CryptographicOperations.ZeroMemory(plain);
        return SealedPrefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The HMAC key sealed for webhook <paramref name="webhookId"/>.</summary>
    /// <exception cref="CryptographicException">Not sealed by this server's key, or not for this webhook.</exception>
    public byte[] OpenKey(string webhookId, string sealedSecret)
    {
        if (!sealedSecret.StartsWith(SealedPrefix, StringComparison.Ordinal))
        {
            throw new CryptographicException($"Webhook {webhookId}'s stored secret is not in a known sealed format.");
        }

        var bytes = Convert.FromBase64String(sealedSecret[SealedPrefix.Length..]);
        if (bytes.Length < NonceBytes + TagBytes)
        {
            throw new CryptographicException($"Webhook {webhookId}'s stored secret is truncated.");
        }

        var plain = new byte[bytes.Length - NonceBytes - TagBytes];
        using (var aes = new AesGcm(_key.Value, TagBytes))
        {
            aes.Decrypt(bytes.AsSpan(0, NonceBytes), bytes.AsSpan(NonceBytes, plain.Length), bytes.AsSpan(NonceBytes + plain.Length), plain, Encoding.UTF8.GetBytes(webhookId));
        }

        try
        {
            return KeyOf(Encoding.UTF8.GetString(plain));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }
}
