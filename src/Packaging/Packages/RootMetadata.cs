namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Root of trust (TUF-inspired): the keys, the root role that signs new roots, the publishers it delegates package
/// signing to (optionally only for some model names), revoked keys, a version and an expiry.
/// </summary>
internal sealed class RootMetadata
{
    public string Type { get; init; } = "root";

    public required int Version { get; init; }

    public required DateTimeOffset Expires { get; init; }

    public required IReadOnlyList<KeyEntry> Keys { get; init; }

    public required RoleEntry Root { get; init; }

    public IReadOnlyList<PublisherEntry> Publishers { get; init; } = [];

    public IReadOnlyList<string> RevokedKeyIds { get; init; } = [];
}
