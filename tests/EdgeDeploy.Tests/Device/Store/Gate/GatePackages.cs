using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store.Gate;

/// <summary>
/// Packages of the gate sample models (models/make_models.py: memory_hog, ctc_sample, detector_sample,
/// imbalanced_classifier), built through the public <see cref="PackageBuilder"/> and signed by the factory's publisher.
/// </summary>
internal static class GatePackages
{
    /// <summary>The hand-made CTC confidence set: per case the class index of each time step, and the truth text.</summary>
    public static readonly (int[] Steps, string Truth)[] CtcCases =
    [
        ([1, 1, 0, 2, 0, 2, 3], "abc"),    // decodes "abbc": 1 char edit of 3, 1 word edit of 1
        ([1, 2, 4, 3, 3], "ab ca"),        // decodes "ab c": 1 char edit of 5, 1 word edit of 2
        ([3, 0, 1, 1, 2], "cab"),          // decodes "cab": 0 of 3, 0 of 1
    ];

    /// <summary>The hand-made detection set: per image raw detections (x1, y1, x2, y2, score, class) and truth boxes.</summary>
    public static readonly (float[][] Raw, (float[] Box, long Class)[] Truth)[] DetectorCases =
    [
        ([[0, 0, 10, 10, 0.9f, 0], [1, 1, 11, 11, 0.8f, 0], [20, 20, 30, 30, 0.7f, 1]],
         [([0, 0, 10, 10], 0), ([20, 20, 30, 30], 1)]),
        ([[50, 50, 60, 60, 0.6f, 0], [0, 0, 5, 5, 0.95f, 1], [60, 60, 70, 70, 0.01f, 0]],
         [([50, 50, 60, 60], 0)]),
    ];

    public static byte[] MemoryHog(PackageFactory factory, string version = "1.0.0") => MemoryHog(factory.PublisherKey, "gate-memory-hog", version);

    public static byte[] MemoryHog(SigningKey key, string name, string version = "1.0.0")
    {
        var x = Inputs("x", EdgeTensor.Create(new[] { 0.5f }, [1, 1]));
        var e2e = new[] { new EndToEndCase(x, new Dictionary<string, EdgeTensor> { ["y"] = EdgeTensor.Create(new[] { 0.5f }, [1, 1]) }) };
        var confidence = new[] { new ConfidenceCase(x, 0.5) };
        return PackageSigner.Sign(Builder(name, version, "memory_hog.onnx", IrisMetadata(), e2e)
            .WithConfidenceSet(confidence, ConfidenceMetric.Mae, "y", 0, 0.01).Build(), key);
    }

    /// <summary>
    /// optional_positive.onnx: end-to-end cases expect 'positive' present (x) for a positive sum and absent (none) otherwise;
    /// <paramref name="swapExpectations"/> expects the opposite, which the gate must reject.
    /// </summary>
    public static byte[] OptionalPositive(PackageFactory factory, bool swapExpectations = false, string version = "1.0.0")
    {
        var e2e = new[] { new[] { 1f, 2f }, [1f, -2f], [0.25f] }.Select(x =>
        {
            var sum = x.Sum();
            var present = sum > 0 != swapExpectations;
            return new EndToEndCase(Inputs("x", EdgeTensor.Create(x, [x.Length])), new Dictionary<string, EdgeTensor> { ["total"] = EdgeTensor.Create([sum], [1]) })
            {
                ExpectedValues = new Dictionary<string, EdgeValue> { ["positive"] = present ? EdgeValue.FromTensor(EdgeTensor.Create(x, [x.Length])) : EdgeValue.None },
            };
        }).ToList();
        var confidence = new[] { new ConfidenceCase(Inputs("x", EdgeTensor.Create([0.5f], [1])), 0.5) };
        return Sign(factory, Builder("gate-optional", version, "optional_positive.onnx", IrisMetadata(), e2e)
            .WithConfidenceSet(confidence, ConfidenceMetric.Mae, "total", 0, 0.01));
    }

    public static byte[] Ctc(PackageFactory factory, GateSpec gate, string version = "1.0.0", bool withVocabulary = true)
    {
        var confidence = CtcCases.Select(c => new ConfidenceCase(Inputs("logits", OneHot(c.Steps, 5)), 0)
        {
            Truth = new Dictionary<string, EdgeTensor> { ["text"] = EdgeTensor.Create([c.Truth], [1]) },
        }).ToList();
        var builder = Builder("gate-ctc", version, "ctc_sample.onnx", IrisMetadata(), FromModel("ctc_sample.onnx", confidence.Select(c => c.Inputs)))
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, "probabilities", 0, 1)
            .WithGate(gate);
        if (withVocabulary)
        {
            builder.WithFile("vocab.txt", File.ReadAllBytes(Repo.Model("ctc_sample.vocab.txt")));
        }

        return Sign(factory, builder);
    }

    public static byte[] Detector(PackageFactory factory, GateSpec gate, string version = "1.0.0")
    {
        var confidence = DetectorCases.Select(c => new ConfidenceCase(Inputs("raw", EdgeTensor.Create(c.Raw.SelectMany(r => r).ToArray(), [c.Raw.Length, 6])), 0)
        {
            Truth = new Dictionary<string, EdgeTensor>
            {
                ["boxes"] = EdgeTensor.Create(c.Truth.SelectMany(t => t.Box).ToArray(), [c.Truth.Length, 4]),
                ["classes"] = EdgeTensor.Create(c.Truth.Select(t => t.Class).ToArray(), [c.Truth.Length]),
            },
        }).ToList();
        return Sign(factory, Builder("gate-detector", version, "detector_sample.onnx", IrisMetadata(), FromModel("detector_sample.onnx", confidence.Select(c => c.Inputs)))
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, "scores", 0, 1)
            .WithGate(gate));
    }

    public static byte[] Imbalanced(PackageFactory factory, GateSpec? gate, string version = "1.0.0")
    {
        using var model = EdgeModel.Load(Repo.Model("imbalanced_classifier.onnx"));
        var e2e = TestSets.ReadE2e(Repo.Model("imbalanced_classifier.e2e.jsonl"), model.Schema).Select(c => new EndToEndCase(c.Inputs, c.Expected)).ToList();
        var confidence = ReadConfidence("imbalanced_classifier.confidence.jsonl", model.Schema);
        var metadata = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("imbalanced_classifier.card.json")));
        var builder = Builder("gate-imbalanced", version, "imbalanced_classifier.onnx", metadata, e2e)
            .WithConfidenceSet(confidence, ConfidenceMetric.Accuracy, "probabilities", 0.85, 1);
        if (gate is not null)
        {
            builder.WithGate(gate);
        }

        return Sign(factory, builder);
    }

    /// <summary>The iris package with further gate metrics and latency budgets.</summary>
    public static byte[] Iris(PackageFactory factory, GateSpec gate, string version = "1.0.0") =>
        PackageSigner.Sign(PackageFactory.BuildIris(version, customise: b => b.WithGate(gate)), factory.PublisherKey);

    /// <summary>The imbalanced set's card figures, as scikit-learn computed them.</summary>
    public static IReadOnlyDictionary<string, double> ImbalancedCardMetrics() =>
        PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("imbalanced_classifier.card.json"))).ModelCard.Metrics;

    public static List<ConfidenceCase> ReadConfidence(string file, ModelSchema schema) =>
        [.. File.ReadLines(Repo.Model(file))
            .Select(l => JsonDocument.Parse(l))
            .Select(d => new ConfidenceCase(TensorJson.ReadInputs(d.RootElement, schema), d.RootElement.GetProperty("label").GetDouble()))];

    /// <summary>[1, T, classes] logits: 1 at each step's class, 0 elsewhere.</summary>
    public static EdgeTensor OneHot(int[] steps, int classes)
    {
        var data = new float[steps.Length * classes];
        for (var t = 0; t < steps.Length; t++)
        {
            data[(t * classes) + steps[t]] = 1;
        }

        return EdgeTensor.Create(data, [1, steps.Length, classes]);
    }

    public static Dictionary<string, EdgeTensor> Inputs(string name, EdgeTensor t) => new() { [name] = t };

    public static PackageMetadataInput IrisMetadata()
    {
        var card = PackageMetadataInput.Parse(File.ReadAllBytes(Repo.Model("iris_classifier.card.json")));
        return new PackageMetadataInput
        {
            ModelCard = new ModelCard { Purpose = "gate sample", IntendedUse = "tests", Provenance = "models/make_models.py" },
            VersionSync = card.VersionSync,
            Audit = card.Audit,
        };
    }

    /// <summary>End-to-end cases whose expected outputs are the model's own (as <c>edge pack --e2e-from-model</c> does).</summary>
    public static List<EndToEndCase> FromModel(string model, IEnumerable<IReadOnlyDictionary<string, EdgeTensor>> inputs)
    {
        using var m = EdgeModel.Load(Repo.Model(model));
        return [.. inputs.Select(i =>
        {
            var p = m.Predict(i);
            return new EndToEndCase(i, p.Names.Zip(p.Tensors).ToDictionary(x => x.First, x => x.Second));
        })];
    }

    public static PackageBuilder Builder(string name, string version, string model, PackageMetadataInput metadata, IReadOnlyList<EndToEndCase> e2e) =>
        new PackageBuilder(name, version)
            .WithModel(File.ReadAllBytes(Repo.Model(model)))
            .WithMetadata(metadata)
            .WithEndToEndSet(e2e)
            .WithValidity(TimeSpan.FromDays(30))
            .WithTimeProvider(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(PackageFactory.Now));

    public static byte[] Sign(PackageFactory factory, PackageBuilder builder) => PackageSigner.Sign(builder.Build(), factory.PublisherKey);
}
