using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.UpdateServer.Rollouts;
using Grpc.Core;
using static EdgeDeploy.Tests.UpdateServer.Security.AttackFixture;

namespace EdgeDeploy.Tests.UpdateServer.Security;

/// <summary>
/// Attacks on rollout gates by an enrolled device, against the real server: health, installs and telemetry count only
/// for versions the device's assignment gives it, and counts must be possible for the time since its last report.
/// </summary>
public sealed class ReportBindingTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await StartWithIrisVersionsAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ReportHealth_NonMemberReportsErrorsForTheRolloutVersion_IsRefusedAndTheRolloutStaysActive()
    {
        await RegisterAsync(_server, "canary", 3, "canary");
        var attacker = await _server.RegisterAsync("field-1");
        var rollout = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce, TargetTags = { "canary" } });
        var before = await RolloutsAsync(_server);
        var devicesBefore = await DevicesAsync(_server);

        var health = await Assert.ThrowsAsync<RpcException>(() => ReportHealthAsync(_server, attacker, "2.0.0", requests: 1000, errors: 1000));
        var install = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.ReportInstallAsync(
            new InstallReport { Model = Model, Version = "2.0.0", RolloutId = rollout.Id, Success = false, Reason = "gate: forged" }, UpdateServerHost.Bearer(attacker)));
        var telemetry = await Assert.ThrowsAsync<RpcException>(() => TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(attacker), TelemetryFixture.Batch("1-1", Prediction("2.0.0"))));
        var afterRefusals = await RolloutsAsync(_server);
        await _server.EvaluateRolloutsAsync();

        Assert.Equal(StatusCode.PermissionDenied, health.StatusCode);
        Assert.Equal("Device field-1 is not assigned iris-classifier 2.0.0; health counts only for versions a device's assignment gives it, and nothing from this report was stored.", health.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, install.StatusCode);
        Assert.Equal($"Device field-1 was not assigned iris-classifier 2.0.0 by rollout {rollout.Id}; only members report installs for a rollout.", install.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, telemetry.StatusCode);
        Assert.StartsWith("Batch 1-1 record 0: device field-1 is not assigned iris-classifier 2.0.0;", telemetry.Status.Detail);
        Assert.Equal(before, afterRefusals);
        Assert.Equal(devicesBefore, await DevicesAsync(_server));
        var status = await RolloutAsync(_server, rollout.Id);
        Assert.Equal("active", status.State);
        Assert.Equal((0L, 0L, 0), (status.Health.Single(h => h.Version == "2.0.0").Requests, status.Health.Single(h => h.Version == "2.0.0").Errors, status.FailedDevices));
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(0, 0, 0), _server.TelemetryStore.Count());
    }

    [Fact]
    public async Task ReportHealth_BillionCleanRequestsHidingMembersErrors_IsRefusedAndTheRolloutIsRolledBack()
    {
        var members = await RegisterAsync(_server, "canary", 4, "canary");
        var rollout = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce, TargetTags = { "canary" } });
        foreach (var honest in members.Take(3))
        {
            await ReportHealthAsync(_server, honest, "2.0.0", requests: 100, errors: 60);
        }

        var before = await RolloutsAsync(_server);
        var flood = await Assert.ThrowsAsync<RpcException>(() => ReportHealthAsync(_server, members[3], "2.0.0", requests: 1_000_000_000, errors: 0));
        var afterRefusal = await RolloutsAsync(_server);
        await _server.EvaluateRolloutsAsync();

        Assert.Equal(StatusCode.InvalidArgument, flood.StatusCode);
        Assert.Equal(
            "Health for iris-classifier 2.0.0: 1000000000 requests or labels is more than one device can serve since its last report (at most 6000000); nothing from this report was stored.",
            flood.Status.Detail);
        Assert.Equal(before, afterRefusal);
        var status = await RolloutAsync(_server, rollout.Id);
        Assert.Equal("rolled_back", status.State);
        Assert.Equal("health gate failed: error rate 60.00% over 300 predictions exceeds 5.00%", status.StateReason);
    }

    [Fact]
    public async Task ReportHealth_Int64MaxCounts_AreRefusedAndOtherRolloutsKeepBeingEvaluated()
    {
        var bandit = await RegisterAsync(_server, "bandit", 2, "bandit");
        var prod = await RegisterAsync(_server, "prod", 2, "prod");
        var banditRollout = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "1.0.0", BanditVersions = { "2.0.0" }, Strategy = RolloutStrategy.Bandit, TargetTags = { "bandit" } });
        var prodRollout = await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "3.0.0", Strategy = RolloutStrategy.AllAtOnce, TargetTags = { "prod" } });
        var before = await RolloutsAsync(_server);

        var labels = await Assert.ThrowsAsync<RpcException>(() => ReportHealthAsync(_server, bandit[0], "1.0.0", requests: 10, errors: 0, groundTruth: long.MaxValue, correct: long.MaxValue));
        var requests = await Assert.ThrowsAsync<RpcException>(() => ReportHealthAsync(_server, bandit[1], "2.0.0", requests: long.MaxValue, errors: long.MaxValue));
        var latency = new VersionStats { Model = Model, Version = "2.0.0", Requests = 10 };
        latency.LatencyBuckets.AddRange([long.MaxValue, long.MaxValue]); // wraps to a small sum unless the sum is checked
        var buckets = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.ReportHealthAsync(new HealthReport { Versions = { latency } }, UpdateServerHost.Bearer(bandit[1])));
        var afterRefusals = await RolloutsAsync(_server);
        foreach (var device in prod)
        {
            await ReportHealthAsync(_server, device, "3.0.0", requests: 50, errors: 25);
        }

        await _server.EvaluateRolloutsAsync();
        await _server.EvaluateRolloutsAsync(); // and the tick after: the bandit is still evaluated

        Assert.All([labels, requests, buckets], ex => Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode));
        Assert.Contains("is more than one device can serve since its last report", labels.Status.Detail);
        Assert.Contains("is more than one device can serve since its last report", requests.Status.Detail);
        Assert.Equal("Health for iris-classifier 2.0.0: latency bucket counts add up to more than the requests; nothing from this report was stored.", buckets.Status.Detail);
        Assert.Equal(before, afterRefusals);
        var stopped = await RolloutAsync(_server, prodRollout.Id);
        Assert.Equal(("rolled_back", "health gate failed: error rate 50.00% over 100 predictions exceeds 5.00%"), (stopped.State, stopped.StateReason));
        var stillRunning = await RolloutAsync(_server, banditRollout.Id);
        Assert.Equal("active", stillRunning.State);
        Assert.DoesNotContain("evaluation failed", stillRunning.StateReason, StringComparison.Ordinal);
    }

    [Fact]
    public void ThompsonSampler_ExtremeCounts_NeverThrowAndGiveFiniteWeights()
    {
        var weights = ThompsonSampler.Weights([(long.MaxValue, long.MaxValue), (-5, long.MinValue), (0, 0)], 0.02, seed: 7);

        Assert.All(weights, w => Assert.True(double.IsFinite(w) && w > 0));
        Assert.Equal(1, weights.Sum(), 9);
    }

    [Fact]
    public async Task Ingest_PredictionsForAModelTheDeviceDoesNotRun_IsRefusedAndNothingIsStored()
    {
        await CreateRolloutAsync(_server, new CreateRolloutRequest { Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce });
        var device = await _server.RegisterAsync("sensor-1");

        var traversal = await Assert.ThrowsAsync<RpcException>(() => TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(device), TelemetryFixture.Batch("1-2", Prediction("1.0.0"), Prediction("9.9.9", model: "../../etc"))));
        var stored = await TelemetryFixture.IngestAsync(_server, UpdateServerHost.Bearer(device), TelemetryFixture.Batch("3-3", Prediction("1.0.0")));

        Assert.Equal(StatusCode.PermissionDenied, traversal.StatusCode);
        Assert.Equal("Batch 1-2 record 1: device sensor-1 is not assigned ../../etc 9.9.9; telemetry counts only for versions a device's assignment gives it, and the batch was not stored.", traversal.Status.Detail);
        Assert.Equal(1, stored.RecordsStored);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 1, 0), _server.TelemetryStore.Count());
    }

    private static TelemetryFixture.Rec Prediction(string version, string model = Model)
    {
        var id = Guid.NewGuid();
        var record = new PredictionRecord(id, model, version, TelemetryFixture.DefaultTimestampMs, 100, false,
            [new InputSummary("features", [1, 4], 4, 0, 1, 5, 3)],
            new Dictionary<string, EdgeTensor> { ["label"] = EdgeTensor.Create([1L], [1]), ["probabilities"] = EdgeTensor.Create([0.2f, 0.3f, 0.5f], [1, 3]) });
        return new TelemetryFixture.Rec(TelemetryRecordKind.Prediction, TelemetryCodec.Encode(record), id);
    }
}
