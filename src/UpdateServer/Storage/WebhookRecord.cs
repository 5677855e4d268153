namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// An endpoint alert notifications are posted to (Standard Webhooks). <paramref name="SecretCiphertext"/> is the signing
/// secret sealed by <see cref="EdgeDeploy.UpdateServer.Webhooks.WebhookSecrets"/> (AES-GCM under a key derived from the
/// server's assignment key), never the secret itself. Empty filter lists match everything.
/// </summary>
public sealed record WebhookRecord(
    string Id,
    string Url,
    string SecretCiphertext,
    IReadOnlyList<string> EventTypes,
    IReadOnlyList<string> Models,
    IReadOnlyList<string> Metrics,
    string Description,
    string CreatedBy,
    long CreatedUnixMs);
