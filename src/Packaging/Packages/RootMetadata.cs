namespace EdgeDeploy.Runtime.Packages;

/// <summary>A signed root document: the payload bytes (base64) and the signatures over them.</summary>
internal sealed class RootEnvelope
{
    public required string PayloadType { get; init; }

    public required string Payload { get; init; }

    public IReadOnlyList<SignatureEntry> Signatures { get; init; } = [];
}

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

internal sealed class KeyEntry
{
    public required string Id { get; init; }

    public string Scheme { get; init; } = "ecdsa-p256-sha256";

    /// <summary>SubjectPublicKeyInfo DER, base64.</summary>
    public required string PublicKey { get; init; }
}

internal sealed class RoleEntry
{
    public required IReadOnlyList<string> KeyIds { get; init; }

    public required int Threshold { get; init; }
}

internal sealed class PublisherEntry
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> KeyIds { get; init; }

    public required int Threshold { get; init; }

    /// <summary>Model-name patterns ('*' matches any run of characters); empty means every model.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    public bool Covers(string modelName)
    {
        if (Models.Count == 0)
        {
            return true;
        }

        foreach (var pattern in Models)
        {
            if (Glob.IsMatch(pattern, modelName))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Device-side record of what has been trusted and installed, for rollback protection.</summary>
internal sealed class TrustState
{
    public int RootVersion { get; set; }

    public Dictionary<string, string> HighestVersions { get; init; } = new(StringComparer.Ordinal);
}

internal static class Glob
{
    /// <summary>'*' matches any run of characters (including none); everything else matches itself.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
