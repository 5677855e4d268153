using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>
/// A scikit-learn classifier exported with its default ZipMap (probabilities as a sequence of class-to-probability maps),
/// packed, installed through the store and gated: end-to-end cases compare the maps, the confidence metric reads accuracy
/// from them, and ground truth is scored from them too.
/// </summary>
public sealed class ZipMapStoreTests : IClassFixture<PackageFactory>, IDisposable
{
    private static readonly float[] Setosa = [5.1f, 3.5f, 1.4f, 0.2f];
    private static readonly float[] Virginica = [6.7f, 3.0f, 5.2f, 2.3f];
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();
    private readonly TrustStore _trust;

    public ZipMapStoreTests(PackageFactory factory)
    {
        _factory = factory;
        _trust = factory.NewTrustStore();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Install_ZipMapClassifier_GatesOnAccuracyFromProbabilitiesAndServesMaps()
    {
        using var store = Open();

        var result = store.Install(_factory.SignedIrisZipMap());

        Assert.Equal(InstallOutcome.Activated, result.Outcome);
        Assert.True(result.Gate!.Passed, result.Gate.Reason);
        Assert.Equal(45, result.Gate.EndToEndCases);
        Assert.Equal(ConfidenceMetric.Accuracy, result.Gate.Metric);
        Assert.Equal(0.9333, result.Gate.MetricValue, 4); // the same held-out accuracy as the tensor export of this classifier
        var served = store.Predict(Row(Virginica));
        var rows = served.Prediction.GetValue("output_probability");
        var probabilities = Assert.Single(rows.Items).ToDictionary<long, float>();
        Assert.Equal([0L, 1L, 2L], probabilities.Keys.Order());
        Assert.Equal(2L, probabilities.MaxBy(p => p.Value).Key);
        Assert.Equal(1.0, probabilities.Values.Sum(), 5);
        Assert.Equal(2L, served.Prediction["label"].AsSpan<long>()[0]);
    }

    [Fact]
    public void Install_ZipMapAccuracyBelowRange_RejectedWithTheMetricFromTheMaps()
    {
        using var store = Open();

        var result = store.Install(_factory.SignedIrisZipMap(metricMin: 0.95));

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.Equal("Accuracy is 0.933333 on 45 confidence cases, outside the acceptable range [0.95, 1]", result.Gate!.Reason);
        Assert.Null(store.ActiveVersion);
    }

    [Fact]
    public void Install_ZipMapExpectedProbabilityWrong_RejectedNamingTheMapEntry()
    {
        using var store = Open();
        var package = PackageSigner.Sign(PackageFactory.BuildIris(modelStem: "iris_zipmap", metricOutput: "output_probability", customise: b =>
        {
            using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));
            var cases = TestSets.ReadE2e(Repo.Model("iris_zipmap.e2e.jsonl"), model.Schema)
                .Select(c => new EndToEndCase(c.Inputs, c.Expected) { ExpectedValues = new Dictionary<string, EdgeValue> { ["output_probability"] = Shifted(c.Values["output_probability"]) } })
                .ToList();
            b.WithEndToEndSet(cases);
        }), _factory.PublisherKey);

        var result = store.Install(package);

        Assert.Equal(InstallOutcome.Rejected, result.Outcome);
        Assert.StartsWith("45 of 45 end-to-end cases fail; first, end-to-end case 0: output 'output_probability[0].values'[0] is", result.Gate!.Reason);
    }

    [Fact]
    public void RecordGroundTruth_ZipMapServed_ScoresTheArgmaxOfTheMaps()
    {
        using var store = Open();
        store.Install(_factory.SignedIrisZipMap());
        var setosa = store.Predict(Row(Setosa));
        var virginica = store.Predict(Row(Virginica));

        store.RecordGroundTruth(setosa.PredictionId, 0);
        store.RecordGroundTruth(virginica.PredictionId, 1); // wrong on purpose
        var health = Assert.Single(store.TakeHealth());

        Assert.Equal((2L, 1L), (health.GroundTruth, health.Correct));
    }

    private static EdgeValue Shifted(EdgeValue rows) => EdgeValue.Sequence(rows.Items.Select(map =>
        EdgeValue.Map(map.Keys, EdgeTensor.Create(map.MapValues.AsSpan<float>().ToArray().Select(v => v + 0.25f).ToArray()))));

    private static Dictionary<string, EdgeTensor> Row(float[] features) => new() { ["features"] = EdgeTensor.Create(features, [1, 4]) };

    private ModelStore Open() => PackageFactory.OpenStore(Path.Combine(_temp.Path, "store"), _trust);
}
