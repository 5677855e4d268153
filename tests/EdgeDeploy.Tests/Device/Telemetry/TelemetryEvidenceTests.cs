using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Evaluation;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Device.Store;
using EdgeDeploy.Tests.Device.Store.Gate;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Telemetry;

/// <summary>
/// What a prediction record keeps for the server's online metrics (<see cref="PredictionRecord.Evidence"/>), computed on
/// the device from the package's gate metrics, and structured ground truth (<see cref="GroundTruthRecord.Truth"/>).
/// Real sample models through a real store and outbox.
/// </summary>
public sealed class TelemetryEvidenceTests : IClassFixture<PackageFactory>, IDisposable
{
    private static readonly CtcDecoding Ctc = new() { Vocabulary = "vocab.txt", Blank = 0 };
    private static readonly DetectionLayout Layout = new() { Boxes = "boxes", Scores = "scores", Classes = "classes", IouThreshold = 0.5 };
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();

    public TelemetryEvidenceTests(PackageFactory factory) => _factory = factory;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Predict_CtcPackage_RecordsGreedyDecodedTextForServedAndShadowRuns()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = Ctc, Min = 0, Max = 0.5 }] };
        using var recorder = Recorder();
        using var store = Store(recorder);
        Assert.Equal(InstallOutcome.Activated, store.Install(GatePackages.Ctc(_factory, gate, "1.0.0")).Outcome);
        Assert.Equal(InstallOutcome.Activated, store.Install(GatePackages.Ctc(_factory, gate, "1.1.0")).Outcome);
        store.SetShadow("1.0.0");

        var served = store.Predict(GatePackages.Inputs("logits", GatePackages.OneHot([1, 1, 0, 2, 0, 2, 3], 5)));
        for (var wait = 0; wait < 2500 && store.ShadowStatistics!.Compared + store.ShadowStatistics.Failures < 1; wait++)
        {
            Thread.Sleep(2);
        }

        var records = Predictions(recorder);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(served.PredictionId, r.PredictionId));
        Assert.Equal([("1.0.0", true), ("1.1.0", false)], records.Select(r => (r.Version, r.Shadow)).Order());
        Assert.All(records, r =>
        {
            var text = Assert.Single(r.Evidence!);
            Assert.Equal(TelemetryEvidence.Text, text.Key);
            Assert.Equal([1L], text.Value.Shape.ToArray());
            Assert.Equal("abbc", text.Value.AsSpan<string>()[0]); // as the gate decodes it: repeats collapsed, blanks dropped
        });
    }

    [Fact]
    public void Predict_TopKPackage_RecordsTheLargestKClassesBestFirst()
    {
        var gate = new GateSpec
        {
            Metrics =
            [
                new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 1, Min = 0.5, Max = 1 },
                new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 2, Min = 0.5, Max = 1 },
            ],
        };
        using var recorder = Recorder();
        using var store = Store(recorder);
        Assert.Equal(InstallOutcome.Activated, store.Install(GatePackages.Iris(_factory, gate)).Outcome);

        var served = store.Predict(ModelStoreTests.Row([6.3f, 3.3f, 6.0f, 2.5f]));

        var record = Assert.Single(Predictions(recorder));
        var top = Assert.Single(record.Evidence!);
        Assert.Equal(TelemetryEvidence.TopClasses, top.Key);
        var probabilities = served.Prediction["probabilities"].ToArray<float>();
        var expected = Enumerable.Range(0, 3).OrderByDescending(c => probabilities[c]).Take(2).Select(c => (long)c).ToArray();
        Assert.Equal(expected, top.Value.ToArray<long>());
        Assert.Equal(2L, expected[0]); // a virginica row
    }

    [Fact]
    public void Predict_Detector_RecordsDetectionsHighestScoreFirst()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.MeanAveragePrecision, Detection = Layout, Min = 0.5, Max = 1 }] };
        using var recorder = Recorder();
        using var store = Store(recorder);
        Assert.Equal(InstallOutcome.Activated, store.Install(GatePackages.Detector(_factory, gate)).Outcome);
        var raw = GatePackages.DetectorCases[1].Raw; // scores 0.6, 0.95 and 0.01 (zeroed by the model: under 0.05)

        store.Predict(GatePackages.Inputs("raw", EdgeTensor.Create(raw.SelectMany(r => r).ToArray(), [raw.Length, 6])));

        var evidence = Assert.Single(Predictions(recorder)).Evidence!;
        Assert.Equal([TelemetryEvidence.Boxes, TelemetryEvidence.Classes, TelemetryEvidence.Scores], evidence.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([3L, 4L], evidence[TelemetryEvidence.Boxes].Shape.ToArray());
        Assert.Equal([0f, 0, 5, 5, 50, 50, 60, 60, 60, 60, 70, 70], evidence[TelemetryEvidence.Boxes].ToArray<float>());
        Assert.Equal([0.95f, 0.6f, 0f], evidence[TelemetryEvidence.Scores].ToArray<float>());
        Assert.Equal([1L, 0L, 0L], evidence[TelemetryEvidence.Classes].ToArray<long>());

        // The server reads them back as the gate reads a detector's outputs.
        var boxes = DetectionMetrics.ReadDetections(evidence[TelemetryEvidence.Boxes], evidence[TelemetryEvidence.Scores], evidence[TelemetryEvidence.Classes]);
        Assert.Equal(0.95, boxes[0].Score, 6);
    }

    [Fact]
    public void Predict_PackageWithoutEvidenceMetrics_RecordsNoEvidence()
    {
        using var recorder = Recorder();
        using var store = Store(recorder);
        store.Install(_factory.SignedIris());

        store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));

        Assert.Null(Assert.Single(Predictions(recorder)).Evidence);
    }

    [Fact]
    public void Predict_OutputThatDoesNotFitTheMetric_IsRecordedWithoutEvidence()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 2, Min = 0.5, Max = 1 }] };
        using var recorder = Recorder();
        using var store = Store(recorder);
        store.Install(GatePackages.Iris(_factory, gate));
        var twoRows = new Dictionary<string, EdgeTensor> { ["features"] = EdgeTensor.Create(new[] { 5.1f, 3.5f, 1.4f, 0.2f, 6.3f, 3.3f, 6.0f, 2.5f }, [2, 4]) };

        var served = store.Predict(twoRows); // two rows: no one row of class scores to rank
        store.Predict(ModelStoreTests.Row([6.3f, 3.3f, 6.0f, 2.5f]));

        var records = Predictions(recorder);
        Assert.Equal(2, records.Count);
        Assert.Equal(served.PredictionId, records[0].PredictionId);
        Assert.Null(records[0].Evidence);
        Assert.NotNull(records[1].Evidence);
    }

    [Fact]
    public void RecordGroundTruth_TextAndBoxes_AreRecordedAsTruthWithANaNLabelAndNotScoredAsWrong()
    {
        using var recorder = Recorder();
        using var store = Store(recorder);
        store.Install(_factory.SignedIris());
        var served = store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));
        store.TakeHealth();

        store.RecordGroundTruth(served.PredictionId, "HELLO WORLD");
        store.RecordGroundTruth(served.PredictionId, EdgeTensor.Create(new[] { 0.0, 0, 10, 10, 20, 20, 30, 30 }, [2, 4]), EdgeTensor.Create(new[] { 0, 1 }, [2]));
        store.RecordGroundTruth(served.PredictionId, double.NaN);

        Assert.DoesNotContain(store.TakeHealth(), h => h.GroundTruth > 0); // structured truth is no class to be wrong about
        Assert.True(recorder.Flush(TimeSpan.FromSeconds(10)));
        var truths = recorder.ReadBatch()!.Records.Where(r => r.Kind == TelemetryRecordKind.GroundTruth).Select(r => TelemetryCodec.DecodeGroundTruth(r.Payload)).ToList();
        Assert.Equal(3, truths.Count);
        Assert.All(truths, t => Assert.True(double.IsNaN(t.Label)));
        Assert.All(truths, t => Assert.Equal(served.PredictionId, t.PredictionId));
        Assert.Equal(TelemetryEvidence.Text, Assert.Single(truths[0].Truth!).Key);
        Assert.Equal("HELLO WORLD", truths[0].Truth![TelemetryEvidence.Text].AsSpan<string>()[0]);
        Assert.Equal([0f, 0, 10, 10, 20, 20, 30, 30], truths[1].Truth![TelemetryEvidence.Boxes].ToArray<float>());
        Assert.Equal([2L, 4L], truths[1].Truth![TelemetryEvidence.Boxes].Shape.ToArray());
        Assert.Equal([0L, 1L], truths[1].Truth![TelemetryEvidence.Classes].ToArray<long>());
        Assert.Null(truths[2].Truth);
    }

    [Fact]
    public void RecordGroundTruth_TruthOverTheLimits_IsRefusedAndNothingIsRecorded()
    {
        using var recorder = Recorder();
        using var store = Store(recorder);
        var id = Guid.NewGuid();

        var tooLong = Assert.Throws<EdgeException>(() => store.RecordGroundTruth(id, new string('a', TelemetryEvidence.MaxTextLength + 1)));
        var tooMany = Assert.Throws<EdgeException>(() => recorder.RecordGroundTruth(id, EdgeTensor.Create(new float[404], [101, 4]), EdgeTensor.Create(new long[101], [101])));
        var disagree = Assert.Throws<EdgeException>(() => store.RecordGroundTruth(id, EdgeTensor.Create(new float[8], [2, 4]), EdgeTensor.Create(new long[3], [3])));
        var notBoxes = Assert.Throws<EdgeException>(() => store.RecordGroundTruth(id, EdgeTensor.Create(new float[6], [2, 3]), EdgeTensor.Create(new long[2], [2])));

        Assert.All(new[] { tooLong, tooMany, disagree, notBoxes }, e => Assert.Equal(EdgeErrorCode.InvalidArgument, e.Code));
        Assert.Contains("at most 1024", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("at most 100", tooMany.Message, StringComparison.Ordinal);
        Assert.True(recorder.Flush(TimeSpan.FromSeconds(10)));
        Assert.Null(recorder.ReadBatch());
    }

    [Fact]
    public void Register_CtcManifestWithoutThePackagesFiles_RecordsNoText()
    {
        var gate = new GateSpec { Metrics = [new MetricSpec { Kind = GateMetricKind.CharacterErrorRate, Output = "probabilities", Ctc = Ctc, Min = 0, Max = 0.5 }] };
        var manifest = new PackageVerifier(_factory.NewTrustStore(), PackageFactory.Options()).Verify(GatePackages.Ctc(_factory, gate)).Manifest;
        using var recorder = Recorder();
        using var model = EdgeModel.Load(Repo.Model("ctc_sample.onnx"));
        var inputs = GatePackages.Inputs("logits", GatePackages.OneHot([1, 2], 5));

        recorder.Register(manifest); // the public overload: no vocabulary, so no text (and no failure)
        recorder.RecordPrediction(Guid.NewGuid(), manifest.Name, manifest.Version, TimeSpan.FromMilliseconds(1), inputs, model.Predict(inputs), shadow: false);

        Assert.Null(Assert.Single(Predictions(recorder)).Evidence);
    }

    [Theory]
    [InlineData(1022, 1024)] // the pair fits exactly
    [InlineData(1023, 1023)] // the pair straddles the limit: left out whole
    [InlineData(1024, 1024)]
    public void Truncate_LongText_KeepsAtMostTheLimitWithoutSplittingASurrogatePair(int asciiFirst, int expectedLength)
    {
        var text = new string('a', asciiFirst) + string.Concat(Enumerable.Repeat("\U0001F600", 300));

        var truncated = EvidencePlan.Truncate(text);

        Assert.Equal(expectedLength, truncated.Length);
        Assert.Equal(text[..expectedLength], truncated);
        Assert.Equal("short", EvidencePlan.Truncate("short"));
    }

    internal static List<PredictionRecord> Predictions(TelemetryRecorder recorder)
    {
        Assert.True(recorder.Flush(TimeSpan.FromSeconds(10)));
        return [.. (recorder.ReadBatch()?.Records ?? []).Where(r => r.Kind == TelemetryRecordKind.Prediction).Select(r => TelemetryCodec.DecodePrediction(r.Payload))];
    }

    private TelemetryRecorder Recorder() => TelemetryRecorder.Open(new TelemetryOptions
    {
        DatabasePath = _temp.File("telemetry.db"),
        FlushInterval = TimeSpan.FromMilliseconds(20),
    });

    private ModelStore Store(TelemetryRecorder recorder) => PackageFactory.OpenStore(_temp.File("store"), _factory.NewTrustStore(), recorder);
}
