using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Device.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Telemetry;

public sealed class TelemetryRecorderTests : IClassFixture<PackageFactory>, IDisposable
{
    private readonly PackageFactory _factory;
    private readonly TempDirectory _temp = new();

    public TelemetryRecorderTests(PackageFactory factory) => _factory = factory;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Predict_WithTelemetry_RecordsPredictionsAndGroundTruthDurably()
    {
        ServedPrediction served;
        using (var recorder = Recorder())
        using (var store = Store(recorder))
        {
            store.Install(_factory.SignedIris());
            served = store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));
            store.RecordGroundTruth(served.PredictionId, 0);
            Assert.True(recorder.Flush(TimeSpan.FromSeconds(10)));
        }

        using var reopened = Recorder();
        var batch = reopened.ReadBatch()!;
        Assert.Equal(2, batch.Records.Count);
        var prediction = TelemetryCodec.DecodePrediction(batch.Records[0].Payload);
        Assert.Equal(TelemetryRecordKind.Prediction, batch.Records[0].Kind);
        Assert.Equal(served.PredictionId, prediction.PredictionId);
        Assert.Equal(("iris-classifier", "1.0.0", false), (prediction.Model, prediction.Version, prediction.Shadow));
        Assert.True(prediction.LatencyMicros > 0);
        var input = Assert.Single(prediction.Inputs);
        Assert.Equal(("features", 4L, 0L), (input.Name, input.Count, input.Missing));
        Assert.Equal((0.2, 5.1), (input.Min, input.Max), new ToleranceComparer(1e-6));
        Assert.Equal(served.Prediction["probabilities"].ToArray<float>(), prediction.Outputs["probabilities"].ToArray<float>());
        Assert.Equal(0b001UL, prediction.Slices); // petal length 1.4: the card's first slice, "petal_length<2.5"
        var truth = TelemetryCodec.DecodeGroundTruth(batch.Records[1].Payload);
        Assert.Equal((served.PredictionId, 0.0), (truth.PredictionId, truth.Label));
    }

    [Fact]
    public void Outbox_OverCapacity_DropsOldestAndCountsThemPersistently()
    {
        using (var recorder = Recorder(maxRecords: 10))
        {
            for (var i = 0; i < 25; i++)
            {
                recorder.RecordGroundTruth(Guid.NewGuid(), i);
                recorder.Flush(TimeSpan.FromSeconds(10)); // one commit each, so trimming happens batch by batch
            }

            Assert.Equal((10L, 15L), (recorder.Statistics.Pending, recorder.Statistics.DroppedFromOutbox));
        }

        using var reopened = Recorder(maxRecords: 10);
        var labels = reopened.ReadBatch(100)!.Records.Select(r => TelemetryCodec.DecodeGroundTruth(r.Payload).Label).ToList();
        Assert.Equal(Enumerable.Range(15, 10).Select(i => (double)i), labels);
        Assert.Equal(15, reopened.Statistics.DroppedFromOutbox);
    }

    [Fact]
    public void Acknowledge_Batch_IsNeverReadAgainEvenAfterReopen()
    {
        OutboxBatch first;
        using (var recorder = Recorder())
        {
            for (var i = 0; i < 30; i++)
            {
                recorder.RecordGroundTruth(Guid.NewGuid(), i);
            }

            recorder.Flush(TimeSpan.FromSeconds(10));
            first = recorder.ReadBatch(20)!;
            Assert.Equal(first.BatchId, recorder.ReadBatch(20)!.BatchId); // unacknowledged: read again, same id
            recorder.Acknowledge(first);
        }

        using var reopened = Recorder();
        var next = reopened.ReadBatch(100)!;
        Assert.Equal(10, next.Records.Count);
        Assert.True(next.FirstId > first.LastId);
        Assert.Equal(20, reopened.Statistics.Acknowledged);
        reopened.Acknowledge(next);
        Assert.Null(reopened.ReadBatch());
    }

    [Fact]
    public void SampleRate_Zero_RecordsNothingButCountsIt()
    {
        using var recorder = Recorder(sampleRate: 0);
        using var store = Store(recorder);
        store.Install(_factory.SignedIris());

        for (var i = 0; i < 10; i++)
        {
            store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));
        }

        recorder.Flush(TimeSpan.FromSeconds(10));
        Assert.Equal(10, recorder.Statistics.SampledOut);
        Assert.Null(recorder.ReadBatch());
    }

    [Fact]
    public void GetDrift_ShiftedInputs_ScoreAboveUnshifted()
    {
        using var recorder = Recorder();
        using var store = Store(recorder);
        store.Install(_factory.SignedIris());
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var rows = File.ReadLines(Repo.Model("iris_classifier.train.csv")).Skip(1).Select(l => l.Split(',').Select(float.Parse).ToArray()).ToList();

        foreach (var row in rows)
        {
            store.Predict(ModelStoreTests.Row(row));
        }

        recorder.Flush(TimeSpan.FromSeconds(10));
        var same = recorder.GetDrift("iris-classifier", "1.0.0");
        Assert.Equal(4 + 2, same.Count); // four features, two outputs
        Assert.All(same, s => Assert.True(s.Psi < 0.01, $"{s.Name} PSI {s.Psi} on the training data itself"));

        foreach (var row in rows)
        {
            store.Predict(ModelStoreTests.Row([row[0] + 3, row[1], row[2], row[3]]));
        }

        recorder.Flush(TimeSpan.FromSeconds(10));
        var shifted = recorder.GetDrift("iris-classifier", "1.0.0");
        Assert.True(shifted[0].Psi > 1, $"sepal length PSI {shifted[0].Psi}");
        Assert.True(shifted[0].Ks > 0.4, $"sepal length KS {shifted[0].Ks}");
        Assert.True(shifted[1].Psi < 0.01, "an untouched feature stays put");
    }

    [Theory]
    [InlineData(null, 0)]                          // the card states no policy: forbidden
    [InlineData(RawInputPolicy.Forbidden, 0)]      // the card forbids it, although the device samples every prediction
    [InlineData(RawInputPolicy.Allowed, 2)]        // allowed: both predictions carry their inputs
    public void RecordPrediction_RawInputSamplingOn_RecordsInputsOnlyWhereTheCardAllowsIt(RawInputPolicy? policy, int withInputs)
    {
        using var recorder = Recorder(rawInputSampleRate: 1);
        using var store = Store(recorder);
        store.Install(policy is { } p ? _factory.SignedIris(new ModelPrivacy { RawInputs = p, Purpose = "retraining", RetentionDays = 30 }) : _factory.SignedIris());

        store.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f]));
        store.Predict(ModelStoreTests.Row([6.7f, 2.5f, 5.8f, 1.8f]));
        Assert.True(recorder.Flush(TimeSpan.FromSeconds(10)));

        var records = recorder.ReadBatch()!.Records.Select(r => TelemetryCodec.DecodePrediction(r.Payload)).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(withInputs, records.Count(r => r.RawInputs is not null));
        Assert.Equal(withInputs, recorder.RawInputsRecorded);
        if (withInputs > 0)
        {
            Assert.Equal([5.1f, 3.5f, 1.4f, 0.2f], records[0].RawInputs!["features"].ToArray<float>());
            Assert.Equal(records[0].RawInputs!["features"].ToArray<float>(), TelemetryCodec.DecodeTensors(TelemetryCodec.ReadRawInputs(recorder.ReadBatch()!.Records[0].Payload))["features"].ToArray<float>());
        }
        else
        {
            Assert.True(TelemetryCodec.ReadRawInputs(recorder.ReadBatch()!.Records[0].Payload).IsEmpty);
        }
    }

    [Fact]
    public void Encode_WithoutRawInputs_KeepsTheNineFieldLayoutOlderServersRead()
    {
        var record = new PredictionRecord(Guid.NewGuid(), "m", "1.0.0", 1, 2, false, [], new Dictionary<string, EdgeTensor>(), 5);

        var plain = TelemetryCodec.Encode(record);
        var withInputs = TelemetryCodec.Encode(record with { RawInputs = new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([1f], [1]) } });

        Assert.Equal(0x99, plain[0]);     // fixarray of 9
        Assert.Equal(0x9A, withInputs[0]); // fixarray of 10
        Assert.Equal(5UL, TelemetryCodec.ReadPredictionSummary(withInputs, null).Slices);
        Assert.Null(TelemetryCodec.DecodePrediction(plain).RawInputs);
        Assert.Equal([1f], TelemetryCodec.DecodePrediction(withInputs).RawInputs!["x"].ToArray<float>());
    }

    [Fact]
    public void Open_FileThatIsNotADatabase_ThrowsIOExceptionNamingItAndLeavesItUnchanged()
    {
        var path = _temp.File("notes.db");
        var content = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("someone else's file, not SQLite\n", 200)));
        File.WriteAllBytes(path, content);

        var ex = Assert.Throws<IOException>(() => TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = path }));

        Assert.Contains($"The telemetry outbox '{path}' cannot be used", ex.Message, StringComparison.Ordinal);
        Assert.Contains("file is not a database", ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.False(File.Exists(path + "-wal"));
    }

    private TelemetryRecorder Recorder(long maxRecords = 1000, double sampleRate = 1, double rawInputSampleRate = 0) => TelemetryRecorder.Open(new TelemetryOptions
    {
        DatabasePath = _temp.File("telemetry.db"),
        MaxRecords = maxRecords,
        SampleRate = sampleRate,
        RawInputSampleRate = rawInputSampleRate,
        FlushInterval = TimeSpan.FromMilliseconds(20),
    });

    private ModelStore Store(TelemetryRecorder recorder) => PackageFactory.OpenStore(_temp.File("store"), _factory.NewTrustStore(), recorder);

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<(double, double)>
    {
        public bool Equals((double, double) x, (double, double) y) => Math.Abs(x.Item1 - y.Item1) <= tolerance && Math.Abs(x.Item2 - y.Item2) <= tolerance;

        public int GetHashCode((double, double) obj) => 0;
    }
}
