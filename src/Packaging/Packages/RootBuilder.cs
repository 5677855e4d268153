namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Authors root metadata: the first root, or the next version of an existing one (new publishers, revoked keys,
/// rotated root keys). <see cref="Build"/> signs the result; a rotation must be signed by enough old and new root keys.
/// </summary>
public sealed class RootBuilder
{
    private readonly Dictionary<string, SigningKey> _keys = new(StringComparer.Ordinal);
    private readonly List<PublisherEntry> _publishers = [];
    private readonly HashSet<string> _revoked = new(StringComparer.Ordinal);
    private readonly int _version;
    private List<string> _rootKeyIds = [];
    private int _rootThreshold;
    private readonly DateTimeOffset _expires;

    private RootBuilder(int version, DateTimeOffset expires)
    {
        _version = version;
        _expires = expires;
    }

    /// <summary>Starts version 1.</summary>
    public static RootBuilder CreateInitial(DateTimeOffset expires) => new(1, expires);

    /// <summary>Starts the version after <paramref name="currentRoot"/>, keeping its keys, roles and revocations.</summary>
    public static RootBuilder CreateNext(byte[] currentRoot, DateTimeOffset expires)
    {
        var current = TrustRoot.LoadSelfSigned(currentRoot).Metadata;
        var builder = new RootBuilder(current.Version + 1, expires);
        foreach (var k in current.Keys)
        {
            TrustRoot.TryDecode(k.PublicKey, out var spki);
            builder._keys[k.Id] = SigningKey.FromPublicKeyDer(spki);
        }

        builder._rootKeyIds = [.. current.Root.KeyIds];
        builder._rootThreshold = current.Root.Threshold;
        builder._publishers.AddRange(current.Publishers);
        builder._revoked.UnionWith(current.RevokedKeyIds);
        return builder;
    }

    /// <summary>The version this builder produces.</summary>
    public int Version => _version;

    /// <summary>Replaces the root role: these keys sign future roots, <paramref name="threshold"/> of them at a time.</summary>
    public RootBuilder WithRootKeys(IEnumerable<SigningKey> keys, int threshold)
    {
        _rootKeyIds = [.. keys.Select(Add)];
        _rootThreshold = threshold;
        return this;
    }

    /// <summary>Adds or replaces a publisher allowed to sign packages whose names match <paramref name="modelPatterns"/> ('*' wildcard; none = all).</summary>
    public RootBuilder WithPublisher(string name, IEnumerable<SigningKey> keys, int threshold, IEnumerable<string>? modelPatterns = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _publishers.RemoveAll(p => p.Name == name);
        _publishers.Add(new PublisherEntry { Name = name, KeyIds = [.. keys.Select(Add)], Threshold = threshold, Models = [.. modelPatterns ?? []] });
        return this;
    }

    /// <summary>Revokes a key: it is dropped from every role and never counts again.</summary>
    public RootBuilder RevokeKey(string keyId)
    {
        _revoked.Add(keyId);
        _rootKeyIds.Remove(keyId);
        for (var i = 0; i < _publishers.Count; i++)
        {
            var p = _publishers[i];
            if (p.KeyIds.Contains(keyId))
            {
                var remaining = p.KeyIds.Where(k => k != keyId).ToList();
                _publishers[i] = new PublisherEntry { Name = p.Name, KeyIds = remaining, Threshold = Math.Min(p.Threshold, Math.Max(1, remaining.Count)), Models = p.Models };
            }
        }

        _publishers.RemoveAll(p => p.KeyIds.Count == 0);
        return this;
    }

    /// <summary>Signs the root with <paramref name="signers"/> and returns the envelope bytes (root.json).</summary>
    public byte[] Build(IEnumerable<SigningKey> signers)
    {
        var used = new HashSet<string>(_rootKeyIds.Concat(_publishers.SelectMany(p => p.KeyIds)), StringComparer.Ordinal);
        var metadata = new RootMetadata
        {
            Version = _version,
            Expires = _expires,
            Keys = [.. _keys.Where(k => used.Contains(k.Key)).OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => new KeyEntry { Id = k.Key, PublicKey = Convert.ToBase64String(k.Value.PublicKeyDer) })],
            Root = new RoleEntry { KeyIds = _rootKeyIds, Threshold = _rootThreshold },
            Publishers = [.. _publishers],
            RevokedKeyIds = [.. _revoked.Order(StringComparer.Ordinal)],
        };
        var payload = PackageJsonContext.Serialize(metadata, PackageJsonContext.Default.RootMetadata);
        var envelope = new RootEnvelope
        {
            PayloadType = Envelope.RootType,
            Payload = Convert.ToBase64String(payload),
            Signatures = [.. signers.Select(k => Envelope.Sign(k, Envelope.RootType, payload))],
        };
        return PackageJsonContext.Serialize(envelope, PackageJsonContext.Default.RootEnvelope);
    }

    private string Add(SigningKey key)
    {
        _keys.TryAdd(key.KeyId, SigningKey.FromPublicKeyDer(key.PublicKeyDer));
        return key.KeyId;
    }
}
