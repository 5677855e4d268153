using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>The gate on real sample models through a real store: peak memory, latency budgets and each metric.</summary>
public sealed class GateStoreTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly TrustStore _trust;

    public GateStoreTests(PackageFactory factory)
    {
        _factory = factory;
        _trust = factory.NewTrustStore();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_LoadFitsButRunDoesNot_IsRefusedNamingLoadAndPeak()
    {
        const long budget = 128L << 20; // the model loads in a few MB but runs through a 256 MiB intermediate
        using var store = Open(memoryBudget: budget);

        var result = store.Install(GatePackages.MemoryHog(_factory));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        var gate = result.Gate!;
        Assert.True(gate.LoadBytes < budget, $"load {gate.LoadBytes}");
        Assert.True(gate.PeakBytes > 256L << 20, $"peak {gate.PeakBytes}");
        Assert.Equal(gate.PeakBytes, gate.MemoryBytes);
        Assert.Equal($"needs {gate.PeakBytes} bytes of memory at its peak while running (load {gate.LoadBytes}); the budget is {budget}", gate.Reason);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_PeakWithinBudget_ReportsLoadAndPeakAndServes()
    {
        using var store = Open(memoryBudget: 4L << 30);

        var result = store.Install(GatePackages.MemoryHog(_factory));

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        Assert.True(result.Gate!.PeakBytes > 256L << 20, $"peak {result.Gate.PeakBytes}");
        Assert.True(result.Gate.LoadBytes < result.Gate.PeakBytes);
    }

    [Fact]
    public void Install_ImpossibleLatencyBudget_IsRefusedWithMeasuredP95_RelaxedIsAccepted()
    {
        var impossible = new GateSpec { LatencyBudgets = [new LatencyBudget { Shape = [1, 4], P95Milliseconds = 1e-6, Runs = 20 }] };
        var relaxed = new GateSpec { LatencyBudgets = [new LatencyBudget { Shape = [1, 4], P95Milliseconds = 10_000, Runs = 20 }] };
        using var store = Open();

        var refused = store.Install(GatePackages.Iris(_factory, impossible, "1.0.0"));
        var accepted = store.Install(GatePackages.Iris(_factory, relaxed, "1.1.0"));

        Assert.Equal(InstallOutcome.Rejected, refused.Outcome);
        var timing = Assert.Single(refused.Gate!.Latencies);
        Assert.Equal(("features", "1x4", 20, 1e-6, false), (timing.Input, timing.Shape, timing.Runs, timing.BudgetMilliseconds, timing.Passed));
        Assert.True(timing.P95Milliseconds > 1e-6);
        Assert.Contains($"p95 latency {timing.P95Milliseconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)} ms over 20 runs at features 1x4 exceeds the budget of 0 ms", refused.Gate.Reason, StringComparison.Ordinal);
        Assert.Equal(InstallOutcome.Activated, accepted.Outcome);
        Assert.True(Assert.Single(accepted.Gate!.Latencies).Passed);
    }

    [Fact]
    public void Install_DeviceLatencyLimit_CapsTheManifestBudgetAndTimesEndToEndInputs()
    {
        using var store = Open(latencyLimit: 1e-6);

        var result = store.Install(_factory.SignedIris());

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        var timing = Assert.Single(result.Gate!.Latencies);
        Assert.Equal(("(end-to-end inputs)", string.Empty, 1e-6), (timing.Input, timing.Shape, timing.BudgetMilliseconds));
    }

    [Fact]
    public void Install_ImbalancedClassifier_PerClassRecallGates()
    {
        var card = GatePackages.ImbalancedCardMetrics();
        using var strict = Open("strict");
        using var lenient = Open("lenient");

        // Accuracy (0.889) passes its range, but the rare class's recall (0.4) is under 0.5: refused.
        var refused = strict.Install(GatePackages.Imbalanced(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.ClassRecall, Output = "probabilities", Min = 0.5, Max = 1 }] }));
        var accepted = lenient.Install(GatePackages.Imbalanced(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.ClassRecall, Output = "probabilities", Min = 0.35, Max = 1 }] }));

        Assert.Equal(InstallOutcome.Rejected, refused.Outcome);
        var recall = refused.Gate!.Metrics[1];
        Assert.Equal("min_class_recall", recall.Name);
        Assert.Equal(card["recall_class_2"], recall.Value, 9);
        Assert.Equal(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"class 0: {card["recall_class_0"]:G4}, class 1: {card["recall_class_1"]:G4}, class 2: {card["recall_class_2"]:G4}"), recall.Detail);
        Assert.Equal(card["accuracy"], refused.Gate.MetricValue, 9);
        Assert.StartsWith("min_class_recall is 0.4 on 180 confidence cases, outside the acceptable range [0.5, 1]", refused.Gate.Reason, StringComparison.Ordinal);
        Assert.Equal(InstallOutcome.Activated, accepted.Outcome);
    }

    [Fact]
    public void Install_ClassPrecisionAndSliceMetric_ComputedOnTheCardSlice()
    {
        using var store = Open();
        var card = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("imbalanced_classifier.card.json"))).ModelCard;

        var result = store.Install(GatePackages.Imbalanced(_factory, new GateSpec
        {
            Metrics =
            [
                new MetricSpec { Kind = GateMetricKind.ClassPrecision, Output = "probabilities", Min = 0.3, Max = 1 },
                new MetricSpec { Kind = GateMetricKind.Accuracy, Output = "probabilities", Slice = "f0>=0", Min = 0, Max = 1 },
            ],
        }));

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        Assert.Equal(GatePackages.ImbalancedCardMetrics()["precision_class_2"], result.Gate!.Metrics[1].Value, 9);
        var slice = result.Gate.Metrics[2];
        Assert.Equal("accuracy@f0>=0", slice.Name);
        Assert.Equal(card.Slices[0].Count, slice.Cases);
        Assert.Equal(card.Slices[0].Metrics["accuracy"], slice.Value, 9);
    }

    [Fact]
    public void Install_TopKAccuracy_GatesIris()
    {
        using var strict = Open("strict");
        using var lenient = Open("lenient");

        var refused = strict.Install(GatePackages.Iris(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 1, Min = 0.95, Max = 1 }] }));
        var accepted = lenient.Install(GatePackages.Iris(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 2, Min = 0.95, Max = 1 }] }));

        Assert.Equal(InstallOutcome.Rejected, refused.Outcome);
        Assert.Equal(0.9333, refused.Gate!.Metrics[1].Value, 4); // top-1 is accuracy
        Assert.Equal(InstallOutcome.Activated, accepted.Outcome);
        Assert.Equal("top2_accuracy", accepted.Gate!.Metrics[1].Name);
        Assert.True(accepted.Gate.Metrics[1].Value >= 0.95);
    }

    [Fact]
    public void Install_CtcModel_CerAndWerMatchHandComputedValuesAndGate()
    {
        var ctc = new CtcDecoding { Vocabulary = "vocab.txt", Blank = 0 };
        using var strict = Open("strict");
        using var lenient = Open("lenient");

        var accepted = lenient.Install(GatePackages.Ctc(_factory, new GateSpec
        {
            Metrics =
            [
                new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = ctc, Min = 0, Max = 0.2 },
                new MetricSpec { Kind = GateMetricKind.WordErrorRate, Output = "probabilities", Ctc = ctc, Min = 0, Max = 0.5 },
            ],
        }));
        var refused = strict.Install(GatePackages.Ctc(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = ctc, Min = 0, Max = 0.1 }] }));

        Assert.Equal(InstallOutcome.Activated, accepted.Outcome);
        Assert.Equal(2.0 / 11, accepted.Gate!.Metrics[1].Value, 12); // (1 + 1 + 0) edits over 3 + 5 + 3 characters
        Assert.Equal(2.0 / 4, accepted.Gate.Metrics[2].Value, 12);   // (1 + 1 + 0) edits over 1 + 2 + 1 words
        Assert.Equal("first decoded \"abbc\", truth \"abc\"", accepted.Gate.Metrics[1].Detail);
        Assert.Equal(InstallOutcome.Rejected, refused.Outcome);
        Assert.StartsWith("cer is 0.181818 on 3 confidence cases, outside the acceptable range [0, 0.1]", refused.Gate!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_CtcMetricWithoutShippedVocabulary_IsRefused()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = new CtcDecoding { Vocabulary = "vocab.txt" }, Min = 0, Max = 1 }] };

        var ex = Assert.Throws<EdgeException>(() => GatePackages.Ctc(_factory, gate, withVocabulary: false));

        Assert.Equal(EdgeErrorCode.ManifestMalformed, ex.Code);
        Assert.Contains("vocabulary file listed among the manifest's files", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_TamperedVocabulary_IsRefusedByTheSignature()
    {
        var ctc = new CtcDecoding { Vocabulary = "vocab.txt" };
        var package = GatePackages.Ctc(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = ctc, Min = 0, Max = 1 }] });
        var tampered = ZipEdit.Replace(package, "vocab.txt", _ => "<blank>\nx\ny\nz\n \n"u8.ToArray());
        using var store = Open();

        var ex = Assert.Throws<EdgeException>(() => store.Install(tampered));

        Assert.Equal(EdgeErrorCode.FileHashMismatch, ex.Code);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_Detector_MapMatchesHandComputedValueAndGates()
    {
        var layout = new DetectionLayout { Boxes = "boxes", Scores = "scores", Classes = "classes", IouThreshold = 0.5 };
        using var strict = Open("strict");
        using var lenient = Open("lenient");

        var accepted = lenient.Install(GatePackages.Detector(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.MeanAveragePrecision, Detection = layout, Min = 0.6, Max = 1 }] }));
        var refused = strict.Install(GatePackages.Detector(_factory, new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.MeanAveragePrecision, Detection = layout, Min = 0.7, Max = 1 }] }));

        // Class 0: TP 0.9, FP 0.8 (its truth box already taken), TP 0.6 of 2 truths -> AP 0.5 * 1 + 0.5 * 2/3 = 5/6.
        // Class 1: FP 0.95 (no class-1 truth in image 2), TP 0.7 of 1 truth -> AP 1 * 1/2. mAP = (5/6 + 1/2) / 2 = 2/3.
        Assert.Equal(InstallOutcome.Activated, accepted.Outcome);
        Assert.Equal("map@0.5", accepted.Gate!.Metrics[1].Name);
        Assert.Equal(2.0 / 3, accepted.Gate.Metrics[1].Value, 12);
        Assert.Equal(InstallOutcome.Rejected, refused.Outcome);
    }

    [Fact]
    public void Install_PerOutputTolerance_LoosensOnlyThatOutput()
    {
        using var strict = Open("strict");
        using var lenient = Open("lenient");

        // iris v2's probabilities differ from v1's expected ones by up to ~0.2; its labels mostly agree.
        byte[] Build(string version, double probabilityTolerance) => PackageSigner.Sign(
            PackageFactory.BuildIris(version, modelStem: "iris_classifier_v2", e2eStem: "iris_classifier", metricMin: 0.8, customise: b => b
                .WithEndToEndSet(TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), IrisSchema())
                    .Select(c => new EndToEndCase(c.Inputs, new Dictionary<string, EdgeTensor> { ["probabilities"] = c.Expected["probabilities"] })).ToList(), 1e-4, 1e-4)
                .WithOutputTolerances([new OutputTolerance { Output = "probabilities", AbsoluteTolerance = probabilityTolerance }])),
            _factory.PublisherKey);

        Assert.Equal(InstallOutcome.Rejected, strict.Install(Build("1.0.0", 1e-4)).Outcome);
        Assert.Equal(InstallOutcome.Activated, lenient.Install(Build("1.0.0", 1)).Outcome);
    }

    private static ModelSchema IrisSchema()
    {
        using var m = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        return m.Schema;
    }

    private ModelStore Open(string name = "store", long memoryBudget = 0, double latencyLimit = 0) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = Path.Combine(_temp.Path, name),
        Trust = name == "store" ? _trust : _factory.NewTrustStore(),
        MemoryBudgetBytes = memoryBudget,
        LatencyBudgetMilliseconds = latencyLimit,
        VerifierOptions = PackageFactory.Options(),
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });
}
