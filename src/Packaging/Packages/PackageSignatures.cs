namespace EdgeDeploy.Runtime.Packages;

/// <summary>What the signatures over one manifest amount to.</summary>
internal sealed class PackageSignatures(int total)
{
    public int Total { get; } = total;

    public HashSet<string> Valid { get; } = new(StringComparer.Ordinal);

    public bool Revoked { get; set; }

    public bool Unknown { get; set; }

    public bool Invalid { get; set; }
}
