namespace EdgeDeploy.Runtime.Packages;

/// <summary>The package a device expects (from its signed assignment); anything else is refused as mix-and-match.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Version">Exact version, or null for any.</param>
/// <param name="ManifestSha256">Hex SHA-256 of the manifest bytes, when the assignment pins the exact package.</param>
public sealed record ExpectedPackage(string Name, string? Version = null, string? ManifestSha256 = null);
