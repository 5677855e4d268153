namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// The signed description of a model package: identity, schema, model card, lineage, requirements, audit trail,
/// drift reference, test-set specs and the SHA-256 and size of every file. Serialised as canonical JSON
/// (the bytes signatures cover are exactly the stored bytes, and those must re-serialise to themselves).
/// </summary>
public sealed class PackageManifest
{
    /// <summary>Manifest format; this runtime reads 1.</summary>
    public int FormatVersion { get; init; } = 1;

    /// <summary>Model name, e.g. "iris-classifier". Lowercase letters, digits, '-', '_' and '.'.</summary>
    public required string Name { get; init; }

    /// <summary>Semantic version (semver 2.0), e.g. "1.2.0".</summary>
    public required string Version { get; init; }

    /// <summary>When the package was built.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>After this instant devices refuse the package.</summary>
    public required DateTimeOffset Expires { get; init; }

    /// <summary>Model inputs and outputs, as read from the model at pack time.</summary>
    public required ManifestSchema Schema { get; init; }

    /// <summary>Per-feature types, allowed ranges or categories, and missing-value policy.</summary>
    public IReadOnlyList<FeatureSpec> Features { get; init; } = [];

    /// <summary>Purpose, intended use, provenance, limitations and metrics.</summary>
    public required ModelCard ModelCard { get; init; }

    /// <summary>Versions of the data, feature extractor and model that belong together.</summary>
    public required VersionSync VersionSync { get; init; }

    /// <summary>Training hyperparameters, by name.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>What a device must offer to run the model.</summary>
    public required PackageRequirements Requirements { get; init; }

    /// <summary>Who built and approved the package, when, and why.</summary>
    public required AuditRecord Audit { get; init; }

    /// <summary>Binned training distributions per feature and output, for drift scoring.</summary>
    public DriftReference? DriftReference { get; init; }

    /// <summary>The end-to-end test set: every output must match within tolerance.</summary>
    public required EndToEndSpec EndToEnd { get; init; }

    /// <summary>The confidence test set: the metric must fall inside its range.</summary>
    public required ConfidenceSpec Confidence { get; init; }

    /// <summary>Further gate metrics and latency budgets; null in manifests that state none (older ones included).</summary>
    public GateSpec? Gate { get; init; }

    /// <summary>Every file in the package but the manifest and signatures.</summary>
    public required IReadOnlyList<FileEntry> Files { get; init; }

    /// <summary>The path of the model file inside the package.</summary>
    public string ModelPath { get; init; } = "model.onnx";
}
