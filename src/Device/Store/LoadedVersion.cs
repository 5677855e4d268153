using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Store;

/// <summary>A version in memory: its manifest and loaded model.</summary>
internal sealed class LoadedVersion(PackageManifest manifest, EdgeModel model)
{
    public PackageManifest Manifest { get; } = manifest;

    public EdgeModel Model { get; } = model;

    public string Name => Manifest.Name;

    public string Version => Manifest.Version;
}
