using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;
using Google.Protobuf;
using Grpc.Core;
using static EdgeDeploy.Tests.Infrastructure.TelemetryFixture;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>Telemetry ingestion into the server's SQLite telemetry file, over the real gRPC stream.</summary>
public sealed class TelemetryServiceTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        _token = await _server.RegisterAsync("sensor-1");

        // Reports and telemetry count only for versions a device's assignment gives it: give sensor-1 iris 1.0.0 with
        // gates that never stop (the tests below report errors on purpose).
        await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { MaxErrorRate = 1, MinInstallSuccessRate = 0 } },
            UpdateServerHost.Operator);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Ingest_RetriedBatch_IsStoredOnce()
    {
        var batch = Batch("1-3", Prediction(100, label: 0), Prediction(200, label: 1), GroundTruth(0));

        var first = await IngestAsync(batch);
        var retry = await IngestAsync(batch);

        Assert.Equal((3L, 0), (first.RecordsStored, first.DuplicateBatches));
        Assert.Equal((0L, 1), (retry.RecordsStored, retry.DuplicateBatches));
        Assert.Equal(["1-3"], retry.Acknowledged);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 2, 1), _server.TelemetryStore.Count());
    }

    [Fact]
    public async Task Summarize_SmallFixture_MatchesHandComputedValues()
    {
        // Four served predictions (latency 400, 100, 300, 200 µs; labels 0, 1, 1, 2; one NaN among 16 input values),
        // one shadow run (excluded) and ground truth for three of them: two right (0 and 1), one wrong (said 2, was 1).
        var a = Prediction(400, label: 0);
        var b = Prediction(100, label: 1, missing: 1);
        var c = Prediction(300, label: 1);
        var d = Prediction(200, label: 2);
        var shadow = Prediction(9000, label: 2, shadow: true);
        await IngestAsync(Batch("10-17", a, b, c, d, shadow, GroundTruth(0, a), GroundTruth(1, b), GroundTruth(1, d)));

        var s = _server.TelemetryStore.Summarize("iris-classifier", "1.0.0", 0, long.MaxValue);

        Assert.Equal(4, s.Requests);
        Assert.Equal(200, s.LatencyP50Micros);      // nearest rank: ceil(0.50 × 4) = 2nd of 100, 200, 300, 400
        Assert.Equal(400, s.LatencyP95Micros);      // ceil(0.95 × 4) = 4th
        Assert.Equal(1 / 16.0, s.MissingFraction);  // 1 NaN in 4 × 4 values
        Assert.Equal(new Dictionary<double, long> { [0] = 1, [1] = 2, [2] = 1 }, s.PredictionCounts);
        Assert.Equal((3L, 2L), (s.GroundTruth, s.Correct));
        Assert.Equal(1.0, s.AbsErrorSum);           // |2 - 1|
    }

    [Fact]
    public async Task GetSlices_TaggedPredictions_MatchHandComputedPerSliceMetrics()
    {
        // The iris card's slices: bit 0 petal length < 2.5, bit 1 [2.5, 5), bit 2 >= 5. First minute: one right in
        // slice 0; three in slice 1 (right, wrong, unlabelled); one untagged. Second minute: one right in slice 2.
        const long t0 = TelemetryFixture.DefaultTimestampMs;
        var a = Prediction(100, label: 0, slices: 0b001);
        var b = Prediction(100, label: 1, slices: 0b010);
        var c = Prediction(100, label: 1, slices: 0b010);
        var d = Prediction(100, label: 2, slices: 0b010);
        var untagged = Prediction(100, label: 2);
        var e = Prediction(100, label: 2, slices: 0b100, timestampMs: t0 + 60_000);
        await IngestAsync(Batch("20-29", a, b, c, d, untagged, e, GroundTruth(0, a), GroundTruth(1, b), GroundTruth(2, c), GroundTruth(2, untagged), GroundTruth(2, e)));

        var report = await _server.Registry.GetSlicesAsync(
            new VersionStatsRequest { Model = "iris-classifier", Version = "1.0.0", FromUnixMs = t0, ToUnixMs = t0 + 120_000, WindowSeconds = 60 }, UpdateServerHost.Operator);

        Assert.Equal("accuracy", report.MetricName);
        Assert.Equal(["petal_length<2.5", "2.5<=petal_length<5", "petal_length>=5"], report.Slices.Select(s => s.Name));
        Assert.All(report.Slices, s => Assert.True(s.HasPredicate));
        Assert.Equal([(1L, 1L, 1.0), (3L, 2L, 0.5), (1L, 1L, 1.0)], report.Slices.Select(s => (s.Total.Requests, s.Total.GroundTruth, s.Total.OnlineMetric)));
        Assert.Equal([(15L, 1.0), (18L, 16 / 18.0), (12L, 11 / 12.0)], report.Slices.Select(s => (s.CardCount, s.CardMetric))); // the card's held-out figures
        var middle = report.Slices[1].Windows;
        Assert.Equal([(t0, 3L, 0.5), (t0 + 60_000, 0L, double.NaN)], middle.Select(w => (w.FromUnixMs, w.Requests, w.OnlineMetric)));
        Assert.Equal([0L, 1L], report.Slices[2].Windows.Select(w => w.Requests));
    }

    [Fact]
    public async Task Ingest_SliceMaskBeyondTheModelCard_RejectsTheBatch()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Batch("30-31", Prediction(100, label: 0, slices: 0b001), Prediction(100, label: 0, slices: 0b1000))));
        var unpublished = await Assert.ThrowsAsync<RpcException>(() => _server.Registry.GetSlicesAsync(
            new VersionStatsRequest { Model = "iris-classifier", Version = "9.9.9", FromUnixMs = 0, ToUnixMs = 1 }, UpdateServerHost.Operator).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("Batch 30-31 record 1: slice mask 0x8 names slices beyond the 3 of iris-classifier 1.0.0's model card; the batch was not stored.", ex.Status.Detail);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(0, 0, 0), _server.TelemetryStore.Count());
        Assert.Equal(StatusCode.NotFound, unpublished.StatusCode);
    }

    [Fact]
    public async Task Ingest_MalformedRecord_RejectsTheBatchNamingTheRecord()
    {
        var batch = Batch("5-6", Prediction(100, label: 0));
        batch.Records.Add(new TelemetryPayload { Kind = 1, Payload = ByteString.CopyFrom([0xc1, 0x00]) });

        var ex = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(batch));
        var unknownDevice = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Batch("7-7"), UpdateServerHost.Bearer("not-a-device")));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("Batch 5-6 record 1: ", ex.Status.Detail);
        Assert.EndsWith("; the batch was not stored.", ex.Status.Detail);
        Assert.Equal(StatusCode.Unauthenticated, unknownDevice.StatusCode);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(0, 0, 0), _server.TelemetryStore.Count());
    }

    [Fact]
    public async Task Agent_CheckIn_UploadsTheOutboxAndAcknowledgesIt()
    {
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(_server, "sensor-2", withTelemetry: true);
        await device.CheckInAsync();
        device.ServeLabelledTraffic(); // 45 predictions, 45 labels
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));

        await device.CheckInAsync();

        Assert.Null(device.Telemetry.ReadBatch());
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 45, 45), _server.TelemetryStore.Count());
        var summary = _server.TelemetryStore.Summarize("iris-classifier", "1.0.0", 0, long.MaxValue);
        Assert.Equal((45L, 45L, 42L), (summary.Requests, summary.GroundTruth, summary.Correct)); // iris 1.0.0 gets 42 of the 45 right
        var drift = await _server.Registry.GetDriftAsync(new DriftRequest { Model = "iris-classifier", Version = "1.0.0" }, UpdateServerHost.Operator);
        Assert.All(drift.Features.Where(f => !f.IsOutput), f => Assert.Equal(45, f.Observed)); // binned on the device, merged here
        Assert.Equal(4, drift.Features.Count(f => !f.IsOutput));

        // The device tagged each row with its model-card slice: served on the card's own held-out rows, every slice
        // holds the card's row count and reaches the card's offline accuracy.
        var slices = await _server.Registry.GetSlicesAsync(new VersionStatsRequest { Model = "iris-classifier", Version = "1.0.0", FromUnixMs = 0 }, UpdateServerHost.Operator);
        Assert.Equal(3, slices.Slices.Count);
        Assert.All(slices.Slices, s => Assert.Equal((s.CardCount, s.CardCount, s.CardMetric), (s.Total.Requests, s.Total.GroundTruth, s.Total.OnlineMetric), new ToleranceComparer()));
    }

    /// <summary>Counts exactly, the metric to 1e-12 (16/18 computed two ways).</summary>
    private sealed class ToleranceComparer : IEqualityComparer<(long, long, double)>
    {
        public bool Equals((long, long, double) x, (long, long, double) y) => x.Item1 == y.Item1 && x.Item2 == y.Item2 && Math.Abs(x.Item3 - y.Item3) < 1e-12;

        public int GetHashCode((long, long, double) obj) => HashCode.Combine(obj.Item1, obj.Item2);
    }

    [Fact]
    public async Task GetDrift_ReportedBinCounts_MatchHandComputedScores()
    {
        var reference = PackageVerifier.ReadUnverifiedManifest(Repo.Model("iris_classifier.edgepkg")).DriftReference!.Features[0];
        var r = reference.Fractions.ToArray();
        var counts = new long[r.Length];
        counts[0] = 10; // every observation in the first bin, two reports of 10 (plus 2 missing each) from one device
        for (var report = 0; report < 2; report++)
        {
            var stats = new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 12 };
            stats.Drift.Add(new FeatureCounts { Name = reference.Name, Counts = { counts }, Missing = 2 });
            await _server.Devices.ReportHealthAsync(new HealthReport { Versions = { stats } }, UpdateServerHost.Bearer(_token));
        }

        var drift = await _server.Registry.GetDriftAsync(new DriftRequest { Model = "iris-classifier", Version = "1.0.0" }, UpdateServerHost.Operator);

        // By hand: observed fractions o = (1, 0, ..., 0); PSI = Σ (o - r) ln(o / r) with both floored at 1e-4;
        // JS = ½ Σ o log2(o / m) + ½ Σ r log2(r / m), m = (o + r) / 2; KS = max |cumulative o - cumulative r|.
        var o = new double[r.Length];
        o[0] = 1;
        double psi = 0, js = 0, ks = 0, co = 0, cr = 0;
        for (var i = 0; i < r.Length; i++)
        {
            double of = Math.Max(o[i], 1e-4), rf = Math.Max(r[i], 1e-4), m = (o[i] + r[i]) / 2;
            psi += (of - rf) * Math.Log(of / rf);
            js += (o[i] > 0 ? 0.5 * o[i] * Math.Log2(o[i] / m) : 0) + (r[i] > 0 ? 0.5 * r[i] * Math.Log2(r[i] / m) : 0);
            co += o[i];
            cr += r[i];
            ks = Math.Max(ks, Math.Abs(co - cr));
        }

        var feature = drift.Features.Single(f => f.Name == reference.Name);
        Assert.Equal(24, feature.Observed);
        Assert.Equal(4 / 24.0, feature.MissingFraction, 12);
        Assert.Equal(psi, feature.Psi, 9);
        Assert.Equal(js, feature.JensenShannon, 9);
        Assert.Equal(ks, feature.Ks, 9);
        Assert.True(feature.Psi > 0.2); // all mass in one bin is a large shift
        Assert.All(drift.Features.Where(f => f.Name != reference.Name && !f.IsOutput), f => Assert.True(f.Observed == 0 && double.IsNaN(f.Psi)));
    }

    [Fact]
    public async Task Ingest_RawInputsForACardThatDoesNotAllowThem_RefusedAndNothingStored()
    {
        // The sample iris card states no privacy policy, so raw inputs are forbidden: a device that sends them anyway
        // (a modified recorder) has its batch refused whole, naming the card, and nothing of it is stored.
        var raw = new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor> { ["features"] = EdgeDeploy.Runtime.EdgeTensor.Create([5.1f, 3.5f, 1.4f, 0.2f], [1, 4]) };
        var before = _server.TelemetryStore.Count();

        var ex = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Batch("40-41", Prediction(100, label: 0), Prediction(100, label: 0, rawInputs: raw))));
        var exported = await _server.TelemetryStore.ExportPageAsync(
            new EdgeDeploy.UpdateServer.Storage.PredictionExportQuery("iris-classifier", "1.0.0", 0, long.MaxValue, 0, true, false, 0), EdgeDeploy.UpdateServer.Storage.ExportCursor.Start, 100, CancellationToken.None);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("Batch 40-41 record 1: the record carries raw inputs, but the model card of iris-classifier 1.0.0 does not allow recording them (privacy.rawInputs); the batch was not stored.", ex.Status.Detail);
        Assert.Equal(before, _server.TelemetryStore.Count());
        Assert.Empty(exported);
    }

    [Fact]
    public async Task Ingest_MalformedEvidenceOrTruth_RefusedWithTheReasonAndNothingStored()
    {
        // A modified device sends evidence or truth outside TelemetryEvidence's names, types and limits: each batch is
        // refused whole, naming the batch, the record and the reason, and nothing of any of them is stored.
        var f = EdgeTensor.Create([1f], [1]);
        var boxes = EdgeTensor.Create(new float[4 * 101], [101, 4]);
        var cases = new (Dictionary<string, EdgeTensor>? Evidence, Dictionary<string, EdgeTensor>? Truth, double Label, string Reason)[]
        {
            (new() { ["logits"] = f }, null, 0, "unknown evidence 'logits'"),
            (new() { ["top_classes"] = f }, null, 0, "evidence 'top_classes' must be int64 [K] with K from 1 to 100"),
            (new() { ["text"] = EdgeTensor.Create([new string('a', 1025)], [1]) }, null, 0, "evidence 'text' is 1025 characters; at most 1024 are accepted"),
            (new() { ["boxes"] = EdgeTensor.Create(new float[4], [1, 4]), ["classes"] = EdgeTensor.Create([0L], [1]) }, null, 0, "evidence detections need boxes, scores, classes together"),
            (new() { ["boxes"] = boxes, ["scores"] = EdgeTensor.Create(new float[101], [101]), ["classes"] = EdgeTensor.Create(new long[101], [101]) }, null, 0, "evidence holds 101 boxes; at most 100 are accepted"),
            (null, new() { ["text"] = EdgeTensor.Create(["a", "b"], [2]) }, double.NaN, "truth 'text' must be string [1]"),
            (null, new() { ["mask"] = f }, double.NaN, "unknown truth 'mask'"),
            (null, new() { ["boxes"] = EdgeTensor.Create(new float[4], [1, 4]) }, double.NaN, "truth detections need boxes, classes together"),
            (null, null, double.NaN, "the label must be a finite number (NaN only beside structured truth)"),
        };
        var before = _server.TelemetryStore.Count();

        for (var i = 0; i < cases.Length; i++)
        {
            var (evidence, truth, label, reason) = cases[i];
            var valid = Prediction(100, label: 0);
            var bad = evidence is not null ? Prediction(100, label: 0, evidence: evidence) : truth is not null ? Truth(truth, valid, label) : GroundTruth(label, valid);

            var ex = await Assert.ThrowsAsync<RpcException>(() => IngestAsync(Batch($"50-{i}", valid, bad)));

            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            Assert.StartsWith($"Batch 50-{i} record 1: {reason}", ex.Status.Detail);
            Assert.EndsWith("; the batch was not stored.", ex.Status.Detail);
        }

        Assert.Equal(before, _server.TelemetryStore.Count());
        Assert.Empty(await _server.TelemetryStore.ScoredEvidenceAsync("iris-classifier", "1.0.0", 0, long.MaxValue, 100, CancellationToken.None));
    }

    [Fact]
    public async Task Ingest_TextEvidenceAndTruthOnlyLabel_StoredAndScoredWithoutCountingAsAPlainLabel()
    {
        var p = Prediction(100, label: 0, evidence: new Dictionary<string, EdgeTensor> { ["text"] = EdgeTensor.Create(["helo"], [1]) });

        var response = await IngestAsync(Batch("60-61", p, Truth(new Dictionary<string, EdgeTensor> { ["text"] = EdgeTensor.Create(["hello"], [1]) }, p)));
        var s = _server.TelemetryStore.Summarize("iris-classifier", "1.0.0", 0, long.MaxValue);

        Assert.Equal(2L, response.RecordsStored);
        Assert.Equal((1L, 1L, 5L, 0.2), (s.Evidence.Sequences, s.Evidence.CharacterEdits, s.Evidence.Characters, s.Evidence.CharacterErrorRate)); // "helo" vs "hello"
        Assert.Equal(0L, s.GroundTruth); // NaN beside truth is no class label
    }

    private Task<IngestResponse> IngestAsync(TelemetryBatch batch, Metadata? headers = null) =>
        TelemetryFixture.IngestAsync(_server, headers ?? UpdateServerHost.Bearer(_token), batch);
}
