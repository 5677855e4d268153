namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// The human-written part of a manifest, read by <c>edge pack --card FILE</c>: model card, features, lineage,
/// hyperparameters, requirements and audit. The packer fills in the rest from the model and test sets.
/// </summary>
public sealed class PackageMetadataInput
{
    /// <summary>See <see cref="PackageManifest.ModelCard"/>.</summary>
    public required ModelCard ModelCard { get; init; }

    /// <summary>See <see cref="PackageManifest.Features"/>.</summary>
    public IReadOnlyList<FeatureSpec> Features { get; init; } = [];

    /// <summary>See <see cref="PackageManifest.VersionSync"/>.</summary>
    public required VersionSync VersionSync { get; init; }

    /// <summary>See <see cref="PackageManifest.Hyperparameters"/>.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>See <see cref="PackageManifest.Requirements"/>; the opset is read from the model when 0.</summary>
    public PackageRequirements Requirements { get; init; } = new();

    /// <summary>See <see cref="PackageManifest.Audit"/>.</summary>
    public required AuditRecord Audit { get; init; }

    /// <summary>See <see cref="PackageManifest.Gate"/>: further gate metrics and latency budgets; null: none.</summary>
    public GateSpec? Gate { get; init; }

    /// <summary>Parses a metadata file.</summary>
    public static PackageMetadataInput Parse(ReadOnlySpan<byte> json) =>
        PackageJsonContext.Parse(json, PackageJsonContext.Default.PackageMetadataInput, EdgeErrorCode.InvalidArgument, "The package metadata (card) file");
}
