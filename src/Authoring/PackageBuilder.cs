using System.Security.Cryptography;
using Semver;

namespace EdgeDeploy.Runtime.Packages;

/// <summary>
/// Builds an unsigned package from a model, its metadata and its test sets. The schema and opset are read from the
/// model, and every test case is validated against the schema before anything is written. Sign the result with
/// <see cref="PackageSigner"/>.
/// </summary>
public sealed class PackageBuilder
{
    private const string ModelPath = "model.onnx";

    private readonly string _name;
    private readonly string _version;
    private byte[]? _model;
    private PackageMetadataInput? _metadata;
    private IReadOnlyList<EndToEndCase>? _e2e;
    private double _absoluteTolerance = 1e-4;
    private double _relativeTolerance = 1e-4;
    private IReadOnlyList<ConfidenceCase>? _confidence;
    private ConfidenceSpec? _confidenceSpec;
    private DriftReference? _drift;
    private GateSpec? _gate;
    private IReadOnlyList<OutputTolerance>? _outputTolerances;
    private readonly List<(string Path, byte[] Bytes)> _extraFiles = [];
    private TimeSpan _validity = TimeSpan.FromDays(365);
    private TimeProvider _time = TimeProvider.System;

    /// <summary>Starts a package for <paramref name="name"/> at <paramref name="version"/> (semver).</summary>
    public PackageBuilder(string name, string version)
    {
        _name = name;
        _version = version;
    }

    /// <summary>The ONNX model.</summary>
    public PackageBuilder WithModel(byte[] onnx)
    {
        _model = onnx;
        return this;
    }

    /// <summary>Model card, features, lineage, hyperparameters, requirements and audit.</summary>
    public PackageBuilder WithMetadata(PackageMetadataInput metadata)
    {
        _metadata = metadata;
        return this;
    }

    /// <summary>The end-to-end test set and its tolerances.</summary>
    public PackageBuilder WithEndToEndSet(IReadOnlyList<EndToEndCase> cases, double absoluteTolerance = 1e-4, double relativeTolerance = 1e-4)
    {
        if (!(absoluteTolerance >= 0) || !(relativeTolerance >= 0) || !double.IsFinite(absoluteTolerance) || !double.IsFinite(relativeTolerance))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "End-to-end tolerances must be finite and non-negative.");
        }

        _e2e = cases;
        _absoluteTolerance = absoluteTolerance;
        _relativeTolerance = relativeTolerance;
        return this;
    }

    /// <summary>The confidence test set, the metric over <paramref name="output"/> and its acceptable range.</summary>
    public PackageBuilder WithConfidenceSet(IReadOnlyList<ConfidenceCase> cases, ConfidenceMetric metric, string output, double min, double max, int positiveClass = 1)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min > max)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The acceptable metric range [{min}, {max}] must be finite and not empty.");
        }

        _confidence = cases;
        _confidenceSpec = new ConfidenceSpec { Metric = metric, Output = output, Min = min, Max = max, PositiveClass = positiveClass, Count = cases.Count };
        return this;
    }

    /// <summary>End-to-end tolerances for single outputs, replacing the set-wide ones for them.</summary>
    public PackageBuilder WithOutputTolerances(IReadOnlyList<OutputTolerance> tolerances)
    {
        _outputTolerances = tolerances is { Count: > 0 } ? tolerances : null;
        return this;
    }

    /// <summary>
    /// Further gate metrics (each with its own range) and latency budgets; overrides the metadata's <c>gate</c>.
    /// </summary>
    public PackageBuilder WithGate(GateSpec gate)
    {
        _gate = gate;
        return this;
    }

    /// <summary>
    /// An extra file shipped, hashed and signed in the package, e.g. a CTC vocabulary a <see cref="CtcDecoding"/> names.
    /// </summary>
    public PackageBuilder WithFile(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(bytes);
        if (path is ModelPath or PackageArchive.ManifestPath or PackageArchive.SignaturesPath || path.StartsWith("tests/", StringComparison.Ordinal) || !PackageArchive.IsSafeName(path))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{path}' cannot be an extra file: use a relative path outside tests/ that is not a reserved name.");
        }

        _extraFiles.RemoveAll(f => f.Path == path);
        _extraFiles.Add((path, bytes));
        return this;
    }

    /// <summary>The drift reference (see <see cref="DriftReferenceBuilder"/>).</summary>
    public PackageBuilder WithDriftReference(DriftReference reference)
    {
        _drift = reference;
        return this;
    }

    /// <summary>How long devices accept the package. Default 365 days.</summary>
    public PackageBuilder WithValidity(TimeSpan validity)
    {
        _validity = validity;
        return this;
    }

    /// <summary>Clock for the created/expiry stamps. Default system time.</summary>
    public PackageBuilder WithTimeProvider(TimeProvider time)
    {
        _time = time;
        return this;
    }

    /// <summary>Writes the unsigned package (zip bytes).</summary>
    /// <exception cref="EdgeException">When a part is missing or a test case does not fit the model's schema.</exception>
    public byte[] Build()
    {
        var model = _model ?? throw Missing("a model (WithModel)");
        var metadata = _metadata ?? throw Missing("metadata (WithMetadata)");
        var e2e = _e2e ?? throw Missing("an end-to-end test set (WithEndToEndSet)");
        var confidence = _confidence ?? throw Missing("a confidence test set (WithConfidenceSet)");
        var confidenceSpec = _confidenceSpec!;
        if (!SemVersion.TryParse(_version, SemVersionStyles.Strict, out _))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Version '{_version}' is not a semantic version (e.g. 1.2.0).");
        }

        ManifestSchema schema;
        using (var loaded = EdgeModel.Load(model, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu }))
        {
            schema = new ManifestSchema
            {
                Inputs = [.. loaded.Schema.Inputs.Select(ToSpec)],
                Outputs = [.. loaded.Schema.Outputs.Select(ToSpec)],
            };
            CheckCases(loaded, e2e, confidence, confidenceSpec);
            CheckGate(loaded, _gate ?? metadata.Gate, _outputTolerances);
        }

        var e2eBytes = TestSetCodec.Write(e2e);
        var confidenceBytes = TestSetCodec.Write(confidence);
        var now = _time.GetUtcNow();
        var opset = metadata.Requirements.Opset > 0 ? metadata.Requirements.Opset : OnnxModelInfo.ReadDefaultOpset(model);
        var e2eSpec = new EndToEndSpec { Count = e2e.Count, AbsoluteTolerance = _absoluteTolerance, RelativeTolerance = _relativeTolerance, Outputs = _outputTolerances };
        var files = new (string Path, byte[] Bytes)[] { (ModelPath, model), (e2eSpec.Path, e2eBytes), (confidenceSpec.Path, confidenceBytes) }
            .Concat(_extraFiles.OrderBy(f => f.Path, StringComparer.Ordinal)).ToArray();
        var manifest = new PackageManifest
        {
            Name = _name,
            Version = _version,
            Created = Truncate(now),
            Expires = Truncate(now + _validity),
            Schema = schema,
            Features = metadata.Features,
            ModelCard = metadata.ModelCard,
            VersionSync = metadata.VersionSync,
            Hyperparameters = new SortedDictionary<string, string>(metadata.Hyperparameters.ToDictionary(), StringComparer.Ordinal),
            Requirements = new PackageRequirements
            {
                MinRuntimeVersion = metadata.Requirements.MinRuntimeVersion,
                Opset = opset,
                ExecutionProvider = metadata.Requirements.ExecutionProvider,
                MemoryBytes = metadata.Requirements.MemoryBytes,
            },
            Audit = metadata.Audit,
            DriftReference = _drift,
            EndToEnd = e2eSpec,
            Confidence = confidenceSpec,
            Gate = _gate ?? metadata.Gate,
            Files = [.. files.Select(f => new FileEntry { Path = f.Path, Sha256 = Convert.ToHexStringLower(SHA256.HashData(f.Bytes)), Size = f.Bytes.Length })],
            ModelPath = ModelPath,
        };
        ManifestCodec.Validate(manifest);

        // Round-trip once so the stored bytes are exactly what the parser re-serialises (canonical form).
        var manifestBytes = ManifestCodec.Serialize(ManifestCodec.Parse(ManifestCodec.Serialize(manifest)));
        return PackageZip.Write(manifestBytes, new SignatureFile(), files);
    }

    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static TensorSpec ToSpec(TensorSchema t) => new() { Name = t.Name, ElementType = t.ElementType, Shape = [.. t.Shape] };

    private static void CheckCases(EdgeModel model, IReadOnlyList<EndToEndCase> e2e, IReadOnlyList<ConfidenceCase> confidence, ConfidenceSpec spec)
    {
        if (e2e.Count == 0 || confidence.Count == 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "Both test sets need at least one case.");
        }

        if (model.Schema.FindOutput(spec.Output) is null)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The confidence metric reads output '{spec.Output}', which the model does not have.");
        }

        for (var i = 0; i < e2e.Count; i++)
        {
            Wrap(() => model.Validate(e2e[i].Inputs), $"End-to-end case {i}");
            foreach (var name in e2e[i].ExpectedOutputs.Keys.Concat(e2e[i].ExpectedValues.Keys))
            {
                if (model.Schema.FindOutput(name) is null)
                {
                    throw new EdgeException(EdgeErrorCode.InvalidArgument, $"End-to-end case {i} expects output '{name}', which the model does not have.");
                }
            }
        }

        for (var i = 0; i < confidence.Count; i++)
        {
            Wrap(() => model.Validate(confidence[i].Inputs), $"Confidence case {i}");
        }
    }

    private static void CheckGate(EdgeModel model, GateSpec? gate, IReadOnlyList<OutputTolerance>? tolerances)
    {
        var outputs = (gate?.Metrics ?? [])
            .SelectMany(m => m.Kind == GateMetricKind.MeanAveragePrecision && m.Detection is { } d ? new[] { d.Boxes, d.Scores, d.Classes } : [m.Output])
            .Concat((tolerances ?? []).Select(t => t.Output));
        foreach (var output in outputs)
        {
            if (model.Schema.FindOutput(output) is null)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"The gate reads output '{output}', which the model does not have.");
            }
        }
    }

    private static void Wrap(Action check, string what)
    {
        try
        {
            check();
        }
        catch (EdgeException ex)
        {
            throw new EdgeException(ex.Code, $"{what}: {ex.Message}", ex) { TensorName = ex.TensorName };
        }
    }

    private static EdgeException Missing(string what) => new(EdgeErrorCode.InvalidArgument, $"The package needs {what}.");
}
