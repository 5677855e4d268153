using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>Alert rules over device health reports, evaluated by the server's controller tick; alerts as rollout gates.</summary>
public sealed class AlertEvaluatorTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private UpdateServerHost _server = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(clock: _clock);
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
    public async Task ErrorRateRule_BreachOpensOneAlertAndRecoveryResolvesIt()
    {
        var rule = await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "error_rate", Threshold = 0.1, WindowSeconds = 60, MinSamples = 10 }, UpdateServerHost.Operator);
        await ReportAsync(requests: 20, errors: 5);

        await _server.EvaluateRolloutsAsync();
        await _server.EvaluateRolloutsAsync(); // still breached: no second alert
        var firing = Assert.Single((await ListAsync(includeResolved: false)).Alerts);

        _clock.Advance(TimeSpan.FromSeconds(61)); // the bad window slides out
        await ReportAsync(requests: 100, errors: 0);
        await _server.EvaluateRolloutsAsync();

        Assert.Equal((rule.Id, 0.25, true), (firing.RuleId, firing.Value, firing.Firing));
        Assert.Equal("error_rate of iris-classifier 1.0.0 is 0.25 over the last 60 s (20 samples), above 0.1", firing.Message);
        Assert.Empty((await ListAsync(includeResolved: false)).Alerts);
        Assert.False(Assert.Single((await ListAsync(includeResolved: true)).Alerts).Firing);
    }

    [Fact]
    public async Task FailOnAlerts_AlertFiringOnTheRolloutVersion_RollsItBack()
    {
        var rollout = await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { FailOnAlerts = true, MaxErrorRate = 1 } },
            UpdateServerHost.Operator);
        await _server.Registry.CreateAlertRuleAsync(new AlertRule { Model = "iris-classifier", Metric = "error_rate", Threshold = 0.2 }, UpdateServerHost.Operator); // every live version
        await ReportAsync(requests: 30, errors: 9);

        await _server.EvaluateRolloutsAsync();

        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Equal("rolled_back", status.State);
        Assert.Matches(@"^health gate failed: alert al-[0-9a-f]+ is firing: error_rate of iris-classifier 1\.0\.0 is 0\.3 ", status.StateReason);
    }

    [Fact]
    public async Task SliceMetricRule_SliceAccuracyBelowThreshold_OpensAnAlert()
    {
        await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "slice_metric", Feature = "2.5<=petal_length<5", Below = true, Threshold = 0.8, WindowSeconds = 60, MinSamples = 5 },
            UpdateServerHost.Operator);
        // Five labelled predictions in the middle slice (bit 1), three right; ten right ones elsewhere do not dilute it.
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var records = new List<TelemetryFixture.Rec>();
        for (var i = 0; i < 15; i++)
        {
            var p = TelemetryFixture.Prediction(100, label: 1, slices: i < 5 ? 0b010UL : 0b001UL, timestampMs: now - 1000);
            records.AddRange([p, TelemetryFixture.GroundTruth(i is 3 or 4 ? 2 : 1, p)]);
        }

        await _server.EvaluateRolloutsAsync();
        var before = (await ListAsync(includeResolved: false)).Alerts;
        await TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(_token), TelemetryFixture.Batch("1-30", [.. records]));
        await _server.EvaluateRolloutsAsync();

        Assert.Empty(before);
        var alert = Assert.Single((await ListAsync(includeResolved: false)).Alerts);
        Assert.Equal("slice_metric(2.5<=petal_length<5) of iris-classifier 1.0.0 is 0.6 over the last 60 s (5 samples), below 0.8", alert.Message);
    }

    [Fact]
    public async Task DriftRules_AllObservationsInOneBin_FireWithHandComputedKsAndJensenShannon()
    {
        var reference = PackageVerifier.ReadUnverifiedManifest(Repo.Model("iris_classifier.edgepkg")).DriftReference!.Features[0];
        var r0 = reference.Fractions[0];
        foreach (var (metric, threshold) in new[] { ("ks", 0.5), ("jensen_shannon", 0.1), ("psi", 1e6) })
        {
            await _server.Registry.CreateAlertRuleAsync(
                new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = metric, Feature = reference.Name, Threshold = threshold, WindowSeconds = 60 }, UpdateServerHost.Operator);
        }

        var counts = new long[reference.Fractions.Count];
        counts[0] = 30;
        var stats = new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 30 };
        stats.Drift.Add(new FeatureCounts { Name = reference.Name, Counts = { counts } });
        await _server.Devices.ReportHealthAsync(new HealthReport { Versions = { stats } }, UpdateServerHost.Bearer(_token));
        await _server.EvaluateRolloutsAsync();

        // Observed o = (1, 0, …): KS = 1 - r0 (at the first bin); with m = (o + r) / 2, JS = ½ log2(2 / (1 + r0))
        // + ½ (r0 log2(2 r0 / (1 + r0)) + (1 - r0)), since every later bin contributes ½ r_i log2(r_i / (r_i / 2)).
        var alerts = (await ListAsync(includeResolved: false)).Alerts.ToDictionary(a => a.Metric);
        Assert.Equal(["jensen_shannon", "ks"], alerts.Keys.Order());
        Assert.Equal(1 - r0, alerts["ks"].Value, 9);
        Assert.Equal((0.5 * Math.Log2(2 / (1 + r0))) + (0.5 * ((r0 * Math.Log2(2 * r0 / (1 + r0))) + (1 - r0))), alerts["jensen_shannon"].Value, 9);
    }

    [Fact]
    public async Task LatencyRules_SlowTail_FiresOnP99NotOnP50()
    {
        foreach (var metric in new[] { "latency_p50_ms", "latency_p99_ms" })
        {
            await _server.Registry.CreateAlertRuleAsync(
                new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = metric, Threshold = 1, WindowSeconds = 60 }, UpdateServerHost.Operator);
        }

        // 98 predictions within 10 µs (bucket 0), 2 in bucket 40 (about 10 ms): the median is fast, the 99th percentile is not.
        var stats = new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 100 };
        stats.LatencyBuckets.AddRange(Enumerable.Range(0, 41).Select(i => i == 0 ? 98L : i == 40 ? 2L : 0L));
        await _server.Devices.ReportHealthAsync(new HealthReport { Versions = { stats } }, UpdateServerHost.Bearer(_token));
        await _server.EvaluateRolloutsAsync();

        var alert = Assert.Single((await ListAsync(includeResolved: false)).Alerts);
        Assert.Equal("latency_p99_ms", alert.Metric);
        Assert.Equal(10.24, alert.Value, 9); // the upper bound of bucket 40: 10 µs × 2^(40/4)
    }

    [Fact]
    public async Task CreateAlertRule_InvalidRules_AreRefusedWithTheReason()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateAlertRuleAsync(new AlertRule { Model = "iris-classifier", Metric = "cpu", Threshold = 1 }, UpdateServerHost.Operator));
        var psi = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateAlertRuleAsync(new AlertRule { Model = "iris-classifier", Metric = "psi", Threshold = 0.2 }, UpdateServerHost.Operator));
        var byDevice = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.ListAlertsAsync(new ListAlertsRequest(), UpdateServerHost.Bearer(_token)));
        var noSuchSlice = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "slice_metric", Feature = "petal_length>9", Threshold = 0.5 }, UpdateServerHost.Operator));

        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.StartsWith("an alert rule needs a model and a metric: error_rate, latency_p50_ms, latency_p95_ms, latency_p99_ms", unknown.Status.Detail);
        Assert.StartsWith("feature is required for psi", psi.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, byDevice.StatusCode);
        Assert.Equal("iris-classifier 1.0.0's model card has no slice 'petal_length>9' with a predicate; it has: petal_length<2.5, 2.5<=petal_length<5, petal_length>=5.", noSuchSlice.Status.Detail);
    }

    [Fact]
    public async Task CerRule_DecodedTextAgainstTrueText_FiresWithTheHandComputedRateRollsBackAndStatsShowIt()
    {
        var rollout = await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { FailOnAlerts = true, MaxErrorRate = 1 } },
            UpdateServerHost.Operator);
        await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "cer", Threshold = 0.05, WindowSeconds = 60, MinSamples = 4 }, UpdateServerHost.Operator);
        await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "wer", Threshold = 0.5, WindowSeconds = 60, MinSamples = 4 }, UpdateServerHost.Operator);

        // Decoded vs true: "helo world"/"hello world" 1 of 11 characters, 1 of 2 words; "edge"/"edge" 0 of 4, 0 of 1;
        // "abc"/"abd" 1 of 3, 1 of 1; "ok"/"ok" 0 of 2, 0 of 1. CER 2/20 = 0.1 (fires above 0.05), WER 2/5 = 0.4 (not above 0.5).
        // Two labels also carry a class, scored against the device's top classes: rank 0 and rank 1, so top-1 accuracy 0.5.
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var records = new List<TelemetryFixture.Rec>();
        foreach (var (decoded, truth, top, label) in new (string, string, long[]?, double)[] { ("helo world", "hello world", [1, 0, 2], 1), ("edge", "edge", [0, 1, 2], 1), ("abc", "abd", null, double.NaN), ("ok", "ok", null, double.NaN) })
        {
            var evidence = new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor> { ["text"] = EdgeDeploy.Runtime.EdgeTensor.Create([decoded], [1]) };
            if (top is not null)
            {
                evidence["top_classes"] = EdgeDeploy.Runtime.EdgeTensor.Create(top, [3]);
            }

            var p = TelemetryFixture.Prediction(100, label: 1, timestampMs: now - 1000, evidence: evidence);
            records.AddRange([p, TelemetryFixture.Truth(new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor> { ["text"] = EdgeDeploy.Runtime.EdgeTensor.Create([truth], [1]) }, p, label)]);
        }

        await TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(_token), TelemetryFixture.Batch("1-8", [.. records]));
        await _server.EvaluateRolloutsAsync();

        var alert = Assert.Single((await ListAsync(includeResolved: false)).Alerts);
        Assert.Equal("cer of iris-classifier 1.0.0 is 0.1 over the last 60 s (4 samples), above 0.05", alert.Message);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Equal(("rolled_back", $"health gate failed: alert {alert.Id} is firing: {alert.Message}"), (status.State, status.StateReason));

        var stats = Assert.Single((await _server.Registry.GetVersionStatsAsync(
            new VersionStatsRequest { Model = "iris-classifier", Version = "1.0.0", FromUnixMs = now - 60_000, ToUnixMs = now + 1 }, UpdateServerHost.Operator)).Windows);
        Assert.Equal((0.1, 0.4, 4L), (stats.Cer, stats.Wer, stats.Sequences));
        Assert.Equal((1, 0.5, 2L), (stats.TopK, stats.TopKAccuracy, stats.TopKSamples)); // the iris manifest declares no top-k metric: k = 1
        Assert.Equal((0L, true), (stats.MapImages, double.IsNaN(stats.Map))); // nor mAP
        Assert.Equal(2L, stats.GroundTruth); // the truth-only labels are no class labels

        using var http = new HttpClient { BaseAddress = _server.HttpAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", UpdateServerHost.OperatorToken);
        var json = await http.GetStringAsync($"/api/v1/models/iris-classifier/versions/1.0.0/stats?fromUnixMs={now - 60_000}&toUnixMs={now + 1}");
        Assert.Contains("\"cer\":0.1,", json, StringComparison.Ordinal);
        Assert.Contains("\"topKAccuracy\":0.5,", json, StringComparison.Ordinal);

        // The console's monitoring page charts the scored figures (and only those: no detections, no mAP series).
        var page = await _server.ConsoleQueries.MonitoringAsync("iris-classifier", "1.0.0", 1, CancellationToken.None);
        Assert.Equal(["top1 accuracy", "cer", "wer"], page.GateMetrics.Select(g => g.Name));
        Assert.Equal([0.5, 0.1, 0.4], page.GateMetrics.Select(g => g.Points.Last(p => !double.IsNaN(p.Value)).Value));
    }

    [Fact]
    public async Task MapRule_DetectionsAgainstTruthBoxes_FiresWithTheHandComputedMeanAveragePrecision()
    {
        await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-classifier", Version = "1.0.0", Metric = "map", Below = true, Threshold = 0.95, WindowSeconds = 60, MinSamples = 2 }, UpdateServerHost.Operator);

        // As in the storage contract: image 1 one hit (0.9) and one miss (0.8) of class 0; image 2 a hit of class 0 (IoU 0.81,
        // 0.7) and of class 1 (IoU 0.8). Class 0 AP 5/6, class 1 AP 1: mAP 11/12 at the default IoU 0.5.
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var records = new List<TelemetryFixture.Rec>();
        foreach (var (boxes, scores, classes, truthBoxes, truthClasses) in new (float[], float[], long[], float[], long[])[]
        {
            ([0, 0, 10, 10, 20, 20, 30, 30], [0.9f, 0.8f], [0, 0], [0, 0, 10, 10], [0]),
            ([1, 1, 10, 10, 50, 50, 58, 60], [0.7f, 0.6f], [0, 1], [0, 0, 10, 10, 50, 50, 60, 60], [0, 1]),
        })
        {
            var p = TelemetryFixture.Prediction(100, label: 1, timestampMs: now - 1000, evidence: new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor>
            {
                ["boxes"] = EdgeDeploy.Runtime.EdgeTensor.Create(boxes, [scores.Length, 4]),
                ["scores"] = EdgeDeploy.Runtime.EdgeTensor.Create(scores, [scores.Length]),
                ["classes"] = EdgeDeploy.Runtime.EdgeTensor.Create(classes, [classes.Length]),
            });
            records.AddRange([p, TelemetryFixture.Truth(
                new Dictionary<string, EdgeDeploy.Runtime.EdgeTensor> { ["boxes"] = EdgeDeploy.Runtime.EdgeTensor.Create(truthBoxes, [truthClasses.Length, 4]), ["classes"] = EdgeDeploy.Runtime.EdgeTensor.Create(truthClasses, [truthClasses.Length]) }, p)]);
        }

        await TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(_token), TelemetryFixture.Batch("1-4", [.. records]));
        await _server.EvaluateRolloutsAsync();

        var alert = Assert.Single((await ListAsync(includeResolved: false)).Alerts);
        Assert.Equal(11 / 12.0, alert.Value, 12);
        Assert.Equal("map of iris-classifier 1.0.0 is 0.9167 over the last 60 s (2 samples), below 0.95: IoU 0.5", alert.Message);
    }

    private async Task ReportAsync(long requests, long errors) =>
        await _server.Devices.ReportHealthAsync(
            new HealthReport { Versions = { new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = requests, Errors = errors } } },
            UpdateServerHost.Bearer(_token));

    private async Task<ListAlertsResponse> ListAsync(bool includeResolved) =>
        await _server.Registry.ListAlertsAsync(new ListAlertsRequest { IncludeResolved = includeResolved }, UpdateServerHost.Operator);
}
