namespace EdgeDeploy.Runtime.Store;

/// <summary>A version and its share of traffic.</summary>
/// <param name="Version">An installed version.</param>
/// <param name="Weight">Relative weight (non-negative).</param>
public sealed record VersionWeight(string Version, double Weight);
