using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// Real keys, a real root (v1 self-signed, v2 with a publisher for iris-* and diabetes-*), a device trust directory and
/// packages built from the sample models through the public API.
/// </summary>
public sealed class PackageFactory : IDisposable
{
    private readonly TempDirectory _temp = new();

    public PackageFactory()
    {
        RootKey = SigningKey.Generate();
        PublisherKey = SigningKey.Generate();
        RootV1 = RootBuilder.CreateInitial(Now.AddYears(1)).WithRootKeys([RootKey], 1).Build([RootKey]);
        RootV2 = RootBuilder.CreateNext(RootV1, Now.AddYears(1))
            .WithPublisher("ml-team", [PublisherKey], 1, ["iris-*", "diabetes-*", "gate-*"])
            .Build([RootKey]);
    }

    public static DateTimeOffset Now { get; } = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public SigningKey RootKey { get; }

    public SigningKey PublisherKey { get; }

    public byte[] RootV1 { get; }

    public byte[] RootV2 { get; }

    /// <summary>A new trust directory that trusts root v2.</summary>
    public TrustStore NewTrustStore()
    {
        var dir = System.IO.Path.Combine(_temp.Path, Guid.NewGuid().ToString("N"));
        var store = TrustStore.Initialize(dir, RootV1);
        store.UpdateRoot(RootV2, PackageFactory.Now);
        return store;
    }

    /// <summary>
    /// A store in <paramref name="directory"/> as most store tests want one: CPU only, verifying with <see cref="Options"/>'s
    /// clock (the factory's packages are valid then), recording to <paramref name="telemetry"/> when given.
    /// </summary>
    public static ModelStore OpenStore(string directory, TrustStore trust, TelemetryRecorder? telemetry = null) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = directory,
        Trust = trust,
        Telemetry = telemetry,
        VerifierOptions = Options(),
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });

    public static PackageVerifierOptions Options(DateTimeOffset? now = null, long? maxFileBytes = null, long? maxPackageBytes = null) => new()
    {
        TimeProvider = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(now ?? Now.AddDays(1)),
        MaxFileBytes = maxFileBytes ?? 1L << 30,
        MaxPackageBytes = maxPackageBytes ?? 2L << 30,
    };

    /// <summary>An unsigned iris package.</summary>
    public static byte[] BuildIris(string version = "1.0.0", string name = "iris-classifier", TimeSpan? validity = null, Action<PackageBuilder>? customise = null, PackageRequirements? requirements = null, double metricMin = 0.85, int e2eCount = int.MaxValue, string modelStem = "iris_classifier", string? e2eStem = null, string metricOutput = "label", ModelPrivacy? privacy = null)
    {
        using var model = EdgeModel.Load(Repo.Model(modelStem + ".onnx"));
        var e2e = TestSets.ReadE2e(Repo.Model((e2eStem ?? modelStem) + ".e2e.jsonl"), model.Schema)
            .Take(e2eCount).Select(c => new EndToEndCase(c.Inputs, c.Expected) { ExpectedValues = c.Values }).ToList();
        var confidence = File.ReadLines(Repo.Model("iris_classifier.confidence.jsonl"))
            .Select(l => System.Text.Json.JsonDocument.Parse(l))
            .Select(d => new ConfidenceCase(TensorJson.ReadInputs(d.RootElement, model.Schema), d.RootElement.GetProperty("label").GetDouble()))
            .ToList();
        var train = File.ReadAllLines(Repo.Model("iris_classifier.train.csv"));
        var metadata = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("iris_classifier.card.json")));
        if (requirements is not null || privacy is not null)
        {
            var card = metadata.ModelCard;
            metadata = new PackageMetadataInput
            {
                ModelCard = privacy is null ? card : new ModelCard
                {
                    Purpose = card.Purpose, IntendedUse = card.IntendedUse, Provenance = card.Provenance, Limitations = card.Limitations,
                    Metrics = card.Metrics, Slices = card.Slices, Privacy = privacy,
                },
                Features = metadata.Features, VersionSync = metadata.VersionSync,
                Hyperparameters = metadata.Hyperparameters, Audit = metadata.Audit, Requirements = requirements ?? metadata.Requirements,
            };
        }

        var builder = new PackageBuilder(name, version)
            .WithModel(File.ReadAllBytes(Repo.Model(modelStem + ".onnx")))
            .WithMetadata(metadata)
            .WithEndToEndSet(e2e)
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, metricOutput, metricMin, 1.0)
            .WithDriftReference(DriftReferenceBuilder.Compute(train[0].Split(','), [.. train.Skip(1).Select(l => (IReadOnlyList<string>)l.Split(','))], model))
            .WithValidity(validity ?? TimeSpan.FromDays(30))
            .WithTimeProvider(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
        customise?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>A signed package of the second iris model (C=0.05, accuracy 0.867): same schema, different outputs.</summary>
    public byte[] SignedIrisV2(string version = "2.0.0", double metricMin = 0.8) =>
        PackageSigner.Sign(BuildIris(version, metricMin: metricMin, modelStem: "iris_classifier_v2"), PublisherKey);

    /// <summary>
    /// A signed package of the iris classifier as skl2onnx exports it by default (LinearClassifier + ZipMap): its end-to-end
    /// set expects the sequence of class-probability maps, and its confidence metric reads accuracy from those maps.
    /// </summary>
    public byte[] SignedIrisZipMap(string version = "1.0.0", double metricMin = 0.85) =>
        PackageSigner.Sign(BuildIris(version, metricMin: metricMin, modelStem: "iris_zipmap", metricOutput: "output_probability"), PublisherKey);

    /// <summary>An iris package whose model card states <paramref name="privacy"/>, signed by the publisher key.</summary>
    public byte[] SignedIris(ModelPrivacy privacy, string version = "1.0.0") => PackageSigner.Sign(BuildIris(version, privacy: privacy), PublisherKey);

    /// <summary>An iris package signed by the publisher key.</summary>
    public byte[] SignedIris(string version = "1.0.0", string name = "iris-classifier") => PackageSigner.Sign(BuildIris(version, name), PublisherKey);

    public void Dispose()
    {
        RootKey.Dispose();
        PublisherKey.Dispose();
        _temp.Dispose();
    }
}
