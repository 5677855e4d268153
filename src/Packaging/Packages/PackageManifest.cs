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

    /// <summary>Every file in the package but the manifest and signatures.</summary>
    public required IReadOnlyList<FileEntry> Files { get; init; }

    /// <summary>The path of the model file inside the package.</summary>
    public string ModelPath { get; init; } = "model.onnx";
}

/// <summary>Model inputs and outputs.</summary>
public sealed class ManifestSchema
{
    /// <summary>Inputs in graph order.</summary>
    public required IReadOnlyList<TensorSpec> Inputs { get; init; }

    /// <summary>Outputs in graph order.</summary>
    public required IReadOnlyList<TensorSpec> Outputs { get; init; }
}

/// <summary>One tensor: name, element type (as <see cref="EdgeElementType"/>) and shape (-1 dynamic).</summary>
public sealed class TensorSpec
{
    /// <summary>Name in the graph.</summary>
    public required string Name { get; init; }

    /// <summary>Element type.</summary>
    public required EdgeElementType ElementType { get; init; }

    /// <summary>Dimensions; -1 for dynamic.</summary>
    public required IReadOnlyList<long> Shape { get; init; }
}

/// <summary>Kind of a feature.</summary>
public enum FeatureKind
{
    /// <summary>A number.</summary>
    Numeric = 0,

    /// <summary>One of a fixed set of categories.</summary>
    Categorical = 1,
}

/// <summary>What to do when a feature is missing.</summary>
public enum MissingValuePolicy
{
    /// <summary>Refuse the prediction.</summary>
    Reject = 0,

    /// <summary>Substitute <see cref="FeatureSpec.ImputeValue"/>.</summary>
    Impute = 1,

    /// <summary>Pass NaN to the model, which handles it.</summary>
    Allow = 2,
}

/// <summary>One input feature.</summary>
public sealed class FeatureSpec
{
    /// <summary>Feature name.</summary>
    public required string Name { get; init; }

    /// <summary>Numeric or categorical.</summary>
    public FeatureKind Kind { get; init; }

    /// <summary>Smallest allowed value (numeric).</summary>
    public double? Min { get; init; }

    /// <summary>Largest allowed value (numeric).</summary>
    public double? Max { get; init; }

    /// <summary>Allowed categories (categorical).</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Missing-value policy.</summary>
    public MissingValuePolicy Missing { get; init; }

    /// <summary>Value used when <see cref="Missing"/> is <see cref="MissingValuePolicy.Impute"/>.</summary>
    public double? ImputeValue { get; init; }
}

/// <summary>The model card.</summary>
public sealed class ModelCard
{
    /// <summary>What the model does.</summary>
    public required string Purpose { get; init; }

    /// <summary>Where and by whom it is meant to be used.</summary>
    public required string IntendedUse { get; init; }

    /// <summary>Where the model and its data come from.</summary>
    public required string Provenance { get; init; }

    /// <summary>Known limitations and out-of-scope uses.</summary>
    public IReadOnlyList<string> Limitations { get; init; } = [];

    /// <summary>Evaluation metrics overall.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Evaluation metrics per named slice of the data.</summary>
    public IReadOnlyList<SliceMetrics> Slices { get; init; } = [];
}

/// <summary>Metrics on one slice of the evaluation data.</summary>
public sealed class SliceMetrics
{
    /// <summary>Slice name, e.g. "petal_length&lt;2.5".</summary>
    public required string Name { get; init; }

    /// <summary>How the slice is defined.</summary>
    public string? Definition { get; init; }

    /// <summary>Examples in the slice.</summary>
    public int Count { get; init; }

    /// <summary>Metric values.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The slice as a machine-readable predicate: a row belongs to it when every condition holds. Devices tag each
    /// prediction with the slices its input falls in, so the server can track the online metric per slice. Null: the
    /// slice is documentation only.
    /// </summary>
    public IReadOnlyList<SliceCondition>? Where { get; init; }
}

/// <summary>One condition of a slice predicate: a numeric feature within [<see cref="Min"/>, <see cref="Max"/>).</summary>
public sealed class SliceCondition
{
    /// <summary>A numeric feature of the manifest's feature list.</summary>
    public required string Feature { get; init; }

    /// <summary>Inclusive lower bound; null for none.</summary>
    public double? Min { get; init; }

    /// <summary>Exclusive upper bound; null for none.</summary>
    public double? Max { get; init; }
}

/// <summary>Versions that must travel together.</summary>
public sealed class VersionSync
{
    /// <summary>Training data version.</summary>
    public required string TrainingData { get; init; }

    /// <summary>Feature extractor version the inputs must come from.</summary>
    public required string FeatureExtractor { get; init; }

    /// <summary>Model (training code) version.</summary>
    public required string Model { get; init; }
}

/// <summary>What a device must offer.</summary>
public sealed class PackageRequirements
{
    /// <summary>Lowest EdgeRuntime version (semver) that can run the package.</summary>
    public string MinRuntimeVersion { get; init; } = "0.1.0";

    /// <summary>Highest default-domain ONNX opset the model imports.</summary>
    public int Opset { get; init; }

    /// <summary>Execution provider the model needs: "any", "cpu" or "cuda".</summary>
    public string ExecutionProvider { get; init; } = "any";

    /// <summary>Memory the model needs when loaded, in bytes; 0 when unknown.</summary>
    public long MemoryBytes { get; init; }
}

/// <summary>The audit trail.</summary>
public sealed class AuditRecord
{
    /// <summary>Who built the package.</summary>
    public required string BuiltBy { get; init; }

    /// <summary>When it was built.</summary>
    public required DateTimeOffset BuiltAt { get; init; }

    /// <summary>Who approved it for deployment.</summary>
    public string? ApprovedBy { get; init; }

    /// <summary>When it was approved.</summary>
    public DateTimeOffset? ApprovedAt { get; init; }

    /// <summary>On what grounds.</summary>
    public string? ApprovalGrounds { get; init; }

    /// <summary>Privacy reviewer.</summary>
    public string? PrivacyReviewer { get; init; }

    /// <summary>Security reviewer.</summary>
    public string? SecurityReviewer { get; init; }
}

/// <summary>Binned training distributions.</summary>
public sealed class DriftReference
{
    /// <summary>Rows the reference was computed from.</summary>
    public int SampleCount { get; init; }

    /// <summary>Per input feature.</summary>
    public IReadOnlyList<BinnedDistribution> Features { get; init; } = [];

    /// <summary>Per model output.</summary>
    public IReadOnlyList<BinnedDistribution> Outputs { get; init; } = [];
}

/// <summary>
/// A distribution as bins. Numeric: <see cref="BinEdges"/> has one more entry than <see cref="Fractions"/>, the outer
/// bins are open-ended. Categorical: <see cref="Categories"/> parallels <see cref="Fractions"/>.
/// </summary>
public sealed class BinnedDistribution
{
    /// <summary>Feature or output name.</summary>
    public required string Name { get; init; }

    /// <summary>Numeric or categorical.</summary>
    public FeatureKind Kind { get; init; }

    /// <summary>Bin edges (numeric).</summary>
    public IReadOnlyList<double>? BinEdges { get; init; }

    /// <summary>Categories (categorical).</summary>
    public IReadOnlyList<string>? Categories { get; init; }

    /// <summary>Fraction of the sample in each bin; sums to 1.</summary>
    public required IReadOnlyList<double> Fractions { get; init; }

    /// <summary>Fraction of the sample where the value was missing.</summary>
    public double MissingFraction { get; init; }
}

/// <summary>The end-to-end test set.</summary>
public sealed class EndToEndSpec
{
    /// <summary>Path of the MessagePack test set in the package.</summary>
    public string Path { get; init; } = "tests/e2e.msgpack";

    /// <summary>Cases in the set.</summary>
    public int Count { get; init; }

    /// <summary>Allowed absolute difference per element.</summary>
    public double AbsoluteTolerance { get; init; } = 1e-4;

    /// <summary>Allowed difference relative to the expected value.</summary>
    public double RelativeTolerance { get; init; } = 1e-4;
}

/// <summary>Metrics the confidence gate can compute.</summary>
public enum ConfidenceMetric
{
    /// <summary>Fraction of correct labels (argmax for score outputs).</summary>
    Accuracy = 0,

    /// <summary>Area under the ROC curve of the positive class score.</summary>
    Auc = 1,

    /// <summary>F1 of the positive class (binary) or macro F1 (multi-class).</summary>
    F1 = 2,

    /// <summary>Mean absolute error.</summary>
    Mae = 3,

    /// <summary>Root mean squared error.</summary>
    Rmse = 4,
}

/// <summary>The confidence test set and its acceptance range.</summary>
public sealed class ConfidenceSpec
{
    /// <summary>Path of the MessagePack test set in the package.</summary>
    public string Path { get; init; } = "tests/confidence.msgpack";

    /// <summary>Cases in the set.</summary>
    public int Count { get; init; }

    /// <summary>Metric to compute.</summary>
    public ConfidenceMetric Metric { get; init; }

    /// <summary>Model output the metric reads.</summary>
    public required string Output { get; init; }

    /// <summary>Class whose score AUC/F1 use; default 1.</summary>
    public int PositiveClass { get; init; } = 1;

    /// <summary>Lowest acceptable value (inclusive).</summary>
    public double Min { get; init; }

    /// <summary>Highest acceptable value (inclusive).</summary>
    public double Max { get; init; }
}

/// <summary>A file in the package.</summary>
public sealed class FileEntry
{
    /// <summary>Path inside the package ('/' separated).</summary>
    public required string Path { get; init; }

    /// <summary>Lowercase hex SHA-256.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Size in bytes.</summary>
    public required long Size { get; init; }
}
