namespace EdgeDeploy.Runtime.Packages;

/// <summary>Device-side record of what has been trusted and installed, for rollback protection.</summary>
internal sealed class TrustState
{
    public int RootVersion { get; set; }

    public Dictionary<string, string> HighestVersions { get; init; } = new(StringComparer.Ordinal);
}
