using System.Text;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>A root document whose signatures have been checked, with its keys ready to verify.</summary>
internal sealed class TrustRoot
{
    private readonly Dictionary<string, SigningKey> _keys;
    private readonly HashSet<string> _revoked;

    private TrustRoot(RootMetadata metadata, byte[] envelope, Dictionary<string, SigningKey> keys)
    {
        Metadata = metadata;
        EnvelopeBytes = envelope;
        _keys = keys;
        _revoked = new HashSet<string>(metadata.RevokedKeyIds, StringComparer.Ordinal);
    }

    public RootMetadata Metadata { get; }

    public byte[] EnvelopeBytes { get; }

    public int Version => Metadata.Version;

    /// <summary>Parses a root and checks it is signed by its own root-role threshold (the first root a device trusts).</summary>
    public static TrustRoot LoadSelfSigned(byte[] envelopeBytes)
    {
        var (root, payload, signatures) = Parse(envelopeBytes);
        var count = CountValid(root._keys, root._revoked, root.Metadata.Root.KeyIds, payload, signatures, Envelope.RootType);
        if (count < root.Metadata.Root.Threshold)
        {
            throw new EdgeException(EdgeErrorCode.SignatureThresholdNotMet, $"Root version {root.Version} has {count} valid root signature(s); its threshold is {root.Metadata.Root.Threshold}.");
        }

        return root;
    }

    /// <summary>
    /// Accepts <paramref name="envelopeBytes"/> as the next root: version exactly one higher, signed by the threshold of
    /// this root's keys (continuity) and of its own keys (the new holders agree).
    /// </summary>
    public TrustRoot Rotate(byte[] envelopeBytes)
    {
        var (next, payload, signatures) = Parse(envelopeBytes);
        if (next.Version <= Version)
        {
            throw new EdgeException(EdgeErrorCode.RootVersionRollback, $"Root version {next.Version} is not newer than the trusted version {Version}.");
        }

        if (next.Version != Version + 1)
        {
            throw new EdgeException(EdgeErrorCode.RootRotationInvalid, $"Root version {next.Version} skips versions; apply version {Version + 1} first.");
        }

        var byOld = CountValid(_keys, _revoked, Metadata.Root.KeyIds, payload, signatures, Envelope.RootType);
        if (byOld < Metadata.Root.Threshold)
        {
            throw new EdgeException(EdgeErrorCode.RootRotationInvalid, $"Root version {next.Version} has {byOld} valid signature(s) from the keys of trusted root version {Version}; {Metadata.Root.Threshold} are required.");
        }

        var byNew = CountValid(next._keys, next._revoked, next.Metadata.Root.KeyIds, payload, signatures, Envelope.RootType);
        if (byNew < next.Metadata.Root.Threshold)
        {
            throw new EdgeException(EdgeErrorCode.RootRotationInvalid, $"Root version {next.Version} has {byNew} valid signature(s) from its own root keys; its threshold is {next.Metadata.Root.Threshold}.");
        }

        return next;
    }

    public void CheckNotExpired(DateTimeOffset now)
    {
        if (Metadata.Expires <= now)
        {
            throw new EdgeException(EdgeErrorCode.RootExpired, $"The trusted root (version {Version}) expired at {Metadata.Expires:O}; install a newer root.");
        }
    }

    /// <summary>
    /// Checks package signatures over the raw manifest bytes, before anything parses them. Fails unless at least one
    /// signature from a known, unrevoked key verifies; the delegation check needs the model name and comes after parsing.
    /// </summary>
    public PackageSignatures VerifyPackageSignatures(ReadOnlySpan<byte> manifestBytes, IReadOnlyList<SignatureEntry> signatures)
    {
        var pae = Envelope.PreAuthEncode(Envelope.ManifestType, manifestBytes);
        var result = new PackageSignatures(signatures.Count);
        foreach (var signature in signatures)
        {
            if (_revoked.Contains(signature.KeyId))
            {
                result.Revoked = true;
            }
            else if (!_keys.TryGetValue(signature.KeyId, out var key))
            {
                result.Unknown = true;
            }
            else if (TryDecode(signature.Sig, out var sig) && key.Verify(pae, sig))
            {
                result.Valid.Add(signature.KeyId);
            }
            else
            {
                result.Invalid = true;
            }
        }

        if (result.Valid.Count == 0)
        {
            throw result switch
            {
                { Revoked: true } => new EdgeException(EdgeErrorCode.KeyRevoked, $"The package is signed by a key the trusted root (version {Version}) has revoked."),
                { Invalid: true } => new EdgeException(EdgeErrorCode.SignatureInvalid, "The package's signatures do not verify: the manifest or signatures were changed after signing."),
                { Unknown: true } => new EdgeException(EdgeErrorCode.SignatureUnknownKey, $"The package is signed only by keys the trusted root (version {Version}) does not know."),
                _ => new EdgeException(EdgeErrorCode.SignatureThresholdNotMet, "The package is not signed."),
            };
        }

        return result;
    }

    /// <summary>Returns the publisher delegated <paramref name="modelName"/> whose threshold the valid signatures meet, or throws why none is.</summary>
    public PublisherEntry Authorize(PackageSignatures signatures, string modelName)
    {
        var covering = Metadata.Publishers.Where(p => p.Covers(modelName)).ToList();
        foreach (var publisher in covering)
        {
            if (publisher.KeyIds.Distinct(StringComparer.Ordinal).Count(signatures.Valid.Contains) >= publisher.Threshold)
            {
                return publisher;
            }
        }

        var signerIsSomePublisher = Metadata.Publishers.Any(p => p.KeyIds.Any(signatures.Valid.Contains));
        if (signerIsSomePublisher && !covering.Any(p => p.KeyIds.Any(signatures.Valid.Contains)))
        {
            throw new EdgeException(EdgeErrorCode.PublisherNotAuthorized, $"Package '{modelName}' is signed by a publisher that the trusted root does not delegate model '{modelName}' to.");
        }

        if (signatures.Revoked)
        {
            throw new EdgeException(EdgeErrorCode.KeyRevoked, $"Package '{modelName}' counts a signature from a revoked key; the remaining ones do not meet the threshold.");
        }

        var need = covering.Count == 0 ? "no publisher is delegated this model name" : string.Join("; ", covering.Select(p => $"publisher '{p.Name}' needs {p.Threshold}"));
        throw new EdgeException(
            EdgeErrorCode.SignatureThresholdNotMet,
            $"Package '{modelName}' has {signatures.Valid.Count} valid signature(s) of {signatures.Total}: {need}.");
    }

    private static (TrustRoot Root, byte[] Payload, IReadOnlyList<SignatureEntry> Signatures) Parse(byte[] envelopeBytes)
    {
        var envelope = PackageJsonContext.Parse(envelopeBytes, PackageJsonContext.Default.RootEnvelope, EdgeErrorCode.RootMalformed, "The root envelope");
        if (envelope.PayloadType != Envelope.RootType)
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, $"The root envelope has payload type '{envelope.PayloadType}', expected '{Envelope.RootType}'.");
        }

        if (!TryDecode(envelope.Payload, out var payload))
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, "The root payload is not valid base64.");
        }

        var metadata = PackageJsonContext.Parse(payload, PackageJsonContext.Default.RootMetadata, EdgeErrorCode.RootMalformed, "The root metadata");
        Validate(metadata);
        var keys = new Dictionary<string, SigningKey>(StringComparer.Ordinal);
        foreach (var entry in metadata.Keys)
        {
            if (!TryDecode(entry.PublicKey, out var spki))
            {
                throw new EdgeException(EdgeErrorCode.RootMalformed, $"Key {entry.Id} is not valid base64.");
            }

            var key = SigningKey.FromPublicKeyDer(spki);
            if (key.KeyId != entry.Id)
            {
                throw new EdgeException(EdgeErrorCode.RootMalformed, $"Key id {entry.Id} does not match its public key (which hashes to {key.KeyId}).");
            }

            if (!keys.TryAdd(entry.Id, key))
            {
                throw new EdgeException(EdgeErrorCode.RootMalformed, $"Key {entry.Id} is listed twice.");
            }
        }

        return (new TrustRoot(metadata, envelopeBytes, keys), payload, envelope.Signatures);
    }

    private static void Validate(RootMetadata m)
    {
        if (m.Type != "root" || m.Version < 1)
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, "Root metadata must have type 'root' and a version of at least 1.");
        }

        CheckRole("root", m.Root.KeyIds, m.Root.Threshold, m);
        foreach (var p in m.Publishers)
        {
            CheckRole($"publisher '{p.Name}'", p.KeyIds, p.Threshold, m);
        }
    }

    private static void CheckRole(string role, IReadOnlyList<string> keyIds, int threshold, RootMetadata m)
    {
        if (threshold < 1 || threshold > keyIds.Distinct(StringComparer.Ordinal).Count())
        {
            throw new EdgeException(EdgeErrorCode.RootMalformed, $"The {role} role has threshold {threshold} but {keyIds.Count} key(s); the threshold must be between 1 and the number of distinct keys.");
        }

        foreach (var id in keyIds)
        {
            if (!m.Keys.Any(k => k.Id == id))
            {
                throw new EdgeException(EdgeErrorCode.RootMalformed, $"The {role} role names key {id}, which the root does not list.");
            }
        }
    }

    private static int CountValid(Dictionary<string, SigningKey> keys, HashSet<string> revoked, IReadOnlyList<string> roleKeyIds, byte[] payload, IReadOnlyList<SignatureEntry> signatures, string type)
    {
        var pae = Envelope.PreAuthEncode(type, payload);
        var valid = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in signatures)
        {
            if (roleKeyIds.Contains(s.KeyId) && !revoked.Contains(s.KeyId) && keys.TryGetValue(s.KeyId, out var key)
                && TryDecode(s.Sig, out var sig) && key.Verify(pae, sig))
            {
                valid.Add(s.KeyId);
            }
        }

        return valid.Count;
    }

    internal static bool TryDecode(string base64, out byte[] bytes)
    {
        bytes = new byte[(base64.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(base64, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }

    internal static string Describe(RootMetadata m)
    {
        var sb = new StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"root v{m.Version}, expires {m.Expires:O}, root threshold {m.Root.Threshold} of {m.Root.KeyIds.Count}");
        foreach (var p in m.Publishers)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"; publisher {p.Name} ({p.Threshold} of {p.KeyIds.Count}, models {(p.Models.Count == 0 ? "*" : string.Join(",", p.Models))})");
        }

        return sb.ToString();
    }
}
