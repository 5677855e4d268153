namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>A registered device. The credential is stored only as its SHA-256.</summary>
public sealed record DeviceRecord(string DeviceId, string TokenHash, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Tags, string RuntimeVersion, long RegisteredUnixMs, long LastSeenUnixMs)
{
    /// <summary>
    /// The credential a rotation replaced, still accepted until the new one is first used (rotation without downtime);
    /// empty when none.
    /// </summary>
    public string PreviousTokenHash { get; init; } = string.Empty;

    /// <summary>
    /// SHA-256 (lowercase hex) of the client certificate the device registered with over mutual TLS: its identity, which
    /// every later call must present again; empty when none is bound.
    /// </summary>
    public string CertificateSha256 { get; init; } = string.Empty;
}
