using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>Rollout strategies and health gates, end to end: the real server on 127.0.0.1 and real agents with real stores.</summary>
public sealed class RolloutControllerTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly List<FleetDevice> _devices = [];
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(clock: _clock);
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));   // accuracy 0.933 on the labelled rows
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));        // accuracy 0.867
        await _server.PublishAsync(SamplePackages.Iris("3.0.0", "iris_classifier_v2", metricMin: 0.95)); // fails every device's gate
    }

    public async Task DisposeAsync()
    {
        _devices.ForEach(d => d.Dispose());
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task StagedRollout_HealthyStages_AdvanceStageByStageToCompletion()
    {
        await FleetOnVersionOneAsync(10);
        var staged = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.Staged, Version = "2.0.0", Stages = { 20, 50, 100 } });
        Assert.Equal("1.0.0", staged.BaselineVersion);

        var onV2 = new List<int>();
        var states = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            await CheckInAllAsync();
            onV2.Add(_devices.Count(d => d.Store.ActiveVersion == "2.0.0"));
            await _server.EvaluateRolloutsAsync();
            var status = await GetAsync(staged.Id);
            states.Add($"{status.State}@{status.CurrentPercent}");
        }

        Assert.Equal([2, 5, 10], onV2);
        Assert.Equal(["active@50", "active@100", "completed@100"], states);
        Assert.Equal((10, 10, 0), await CountsAsync(staged.Id));
    }

    [Fact]
    public async Task StagedRollout_VersionFailingDeviceGates_IsRolledBackAutomatically()
    {
        await FleetOnVersionOneAsync(10);
        var bad = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.Staged, Version = "3.0.0", Stages = { 20, 100 } });

        await CheckInAllAsync();
        await _server.EvaluateRolloutsAsync();

        var status = await GetAsync(bad.Id);
        Assert.Equal("rolled_back", status.State);
        Assert.StartsWith("health gate failed: 2 of 2 devices failed to install", status.StateReason);
        var after = await CheckInAllAsync();
        Assert.All(after, c => Assert.Equal("1.0.0", c.Serving));
        Assert.All(after, c => Assert.Equal(["iris-classifier 1.0.0"], c.Assigned)); // nobody is offered 3.0.0 any more
    }

    [Fact]
    public async Task Canary_OnlineAccuracyWorseThanBaseline_IsRolledBackAndDevicesSwitchBackInstantly()
    {
        await FleetOnVersionOneAsync(4);
        var canary = await CreateAsync(new CreateRolloutRequest
        {
            Strategy = RolloutStrategy.Canary,
            Version = "2.0.0",
            CanaryPercent = 50,
            Gates = new HealthGates { MaxMetricRegression = 0.02, MinGroundTruth = 40 },
        });
        await CheckInAllAsync();
        Assert.Equal(2, _devices.Count(d => d.Store.ActiveVersion == "2.0.0"));

        // Not enough labels yet: the gate waits rather than judging.
        await _server.EvaluateRolloutsAsync();
        Assert.Equal("waiting for 40 ground-truth labels for both versions", (await GetAsync(canary.Id)).StateReason);

        _devices.ForEach(d => d.ServeLabelledTraffic());
        await CheckInAllAsync(); // reports health: 90 labels per version
        await _server.EvaluateRolloutsAsync();

        var status = await GetAsync(canary.Id);
        Assert.Equal("rolled_back", status.State);
        Assert.Contains("online accuracy 0.8667 on 90 labels is 0.0667 worse than 1.0.0's 0.9333", status.StateReason);
        var served = _server.Metrics.BytesServed;
        await CheckInAllAsync();
        Assert.All(_devices, d => Assert.Equal("1.0.0", d.Store.ActiveVersion));
        Assert.Equal(served, _server.Metrics.BytesServed); // 1.0.0 was still installed: nothing downloaded
    }

    [Fact]
    public async Task Canary_Healthy_HoldsUntilPromotedThenReachesEveryDeviceAndCompletes()
    {
        await FleetOnVersionOneAsync(4);
        var canary = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.Canary, Version = "2.0.0", CanaryPercent = 50 });
        await CheckInAllAsync();
        await _server.EvaluateRolloutsAsync();
        var held = await GetAsync(canary.Id);

        var promoted = await _server.Registry.PromoteRolloutAsync(new RolloutActionRequest { Id = canary.Id }, UpdateServerHost.Operator);
        await CheckInAllAsync();
        await _server.EvaluateRolloutsAsync();

        Assert.Equal(("active", 50.0, "healthy; holding until promoted"), (held.State, held.CurrentPercent, held.StateReason));
        Assert.Equal(100, promoted.CurrentPercent);
        Assert.All(_devices, d => Assert.Equal("2.0.0", d.Store.ActiveVersion));
        Assert.Equal("completed", (await GetAsync(canary.Id)).State);
    }

    [Fact]
    public async Task StagedRollout_DeviceSilentPastTimeout_CountsAsFailedAndPauses()
    {
        await FleetOnVersionOneAsync(4);
        var staged = await CreateAsync(new CreateRolloutRequest
        {
            Strategy = RolloutStrategy.Staged,
            Version = "2.0.0",
            Stages = { 50, 100 },
            OnFailure = FailureAction.Pause,
            Gates = new HealthGates { DeviceTimeoutSeconds = 60, MinInstallSuccessRate = 1 },
        });
        var members = (await CheckInAllAsync()).Where(c => c.Serving == "2.0.0").ToList();
        Assert.Equal(2, members.Count);

        // One member keeps checking in; the other goes silent.
        var talkative = _devices.First(d => d.Store.ActiveVersion == "2.0.0");
        _clock.Advance(TimeSpan.FromSeconds(30));
        await _server.EvaluateRolloutsAsync();
        Assert.Equal("active", (await GetAsync(staged.Id)).State); // within the timeout; both installed, stage 1 passes
        Assert.Equal(100, (await GetAsync(staged.Id)).CurrentPercent);

        await talkative.CheckInAsync();
        _clock.Advance(TimeSpan.FromSeconds(61));
        await talkative.CheckInAsync();
        await _server.EvaluateRolloutsAsync();

        var status = await GetAsync(staged.Id);
        Assert.Equal("paused", status.State);
        Assert.True(status.TimedOutDevices >= 1, status.StateReason);
        Assert.Contains("silent past 60 s", status.StateReason);

        var resumed = await _server.Registry.ResumeRolloutAsync(new RolloutActionRequest { Id = staged.Id, Reason = "device back" }, UpdateServerHost.Operator);
        Assert.Equal("active", resumed.State);
        Assert.Equal("resumed by operator: device back", resumed.StateReason);
    }

    [Fact]
    public async Task BlueGreen_PromoteSwitchesEveryDeviceAndRollbackSwitchesBackWithoutDownloads()
    {
        await FleetOnVersionOneAsync(3);
        var rollout = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.BlueGreen, Version = "2.0.0" });

        var staged = await CheckInAllAsync();
        Assert.All(staged, c => Assert.Equal(["2.0.0"], c.Installed));
        Assert.All(_devices, d => Assert.Equal("1.0.0", d.Store.ActiveVersion)); // green waits on standby
        await _server.EvaluateRolloutsAsync();
        Assert.Equal("green installed on every device; ready to switch", (await GetAsync(rollout.Id)).StateReason);
        var downloaded = _server.Metrics.BytesServed;

        await _server.Registry.PromoteRolloutAsync(new RolloutActionRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        await CheckInAllAsync();
        Assert.All(_devices, d => Assert.Equal("2.0.0", d.Store.ActiveVersion));

        var rolledBack = await _server.Registry.RollbackRolloutAsync(new RolloutActionRequest { Id = rollout.Id, Reason = "complaints" }, UpdateServerHost.Operator);
        Assert.Equal("rolled_back", rolledBack.State);
        await CheckInAllAsync();
        Assert.All(_devices, d => Assert.Equal("1.0.0", d.Store.ActiveVersion));
        Assert.Equal(downloaded, _server.Metrics.BytesServed);
    }

    [Fact]
    public async Task Shadow_CandidateRunsSilentlyAndItsHealthIsReported()
    {
        await FleetOnVersionOneAsync(2);
        var rollout = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.Shadow, Version = "2.0.0" });
        var cycles = await CheckInAllAsync();
        Assert.All(cycles, c => Assert.Equal(("1.0.0", "2.0.0"), (c.Serving, c.Shadow)));

        var served = _devices.SelectMany(d => d.ServeLabelledTraffic()).ToList();
        Assert.All(served, v => Assert.Equal("1.0.0", v));
        await WaitForShadowAsync();
        await CheckInAllAsync();

        var status = await GetAsync(rollout.Id);
        var shadow = Assert.Single(status.Health, h => h.Shadow);
        Assert.Equal("2.0.0", shadow.Version);
        Assert.InRange(shadow.Requests, 1, 90);
        Assert.Equal(0, shadow.Errors);
        Assert.Equal(90, Assert.Single(status.Health, h => !h.Shadow).Requests); // the baseline served every request
        await _server.EvaluateRolloutsAsync();
        Assert.Equal("active", (await GetAsync(rollout.Id)).State);
    }

    [Fact]
    public async Task Bandit_GroundTruthReward_ShiftsWeightTowardTheMoreAccurateVersion()
    {
        for (var i = 0; i < 4; i++)
        {
            _devices.Add(new FleetDevice(_server, $"device-{i:D2}"));
        }

        var bandit = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.Bandit, Version = "2.0.0", BanditVersions = { "1.0.0" } });
        Assert.Equal([0.5, 0.5], bandit.Arms.Select(a => a.Weight));
        Assert.All(await CheckInAllAsync(), c => Assert.Equal(["1.0.0", "2.0.0"], c.Installed)); // older first: anti-rollback refuses the reverse
        var firstServed = _devices.SelectMany(d => d.ServeLabelledTraffic(rounds: 8)).ToList();
        Assert.InRange(firstServed.Count(v => v == "2.0.0") / (double)firstServed.Count, 0.4, 0.6); // even split at first

        await CheckInAllAsync();
        await _server.EvaluateRolloutsAsync();

        var status = await GetAsync(bandit.Id);
        var v1 = status.Arms.Single(a => a.Version == "1.0.0");
        var v2 = status.Arms.Single(a => a.Version == "2.0.0");
        Assert.Equal(firstServed.Count, v1.Successes + v1.Failures + v2.Successes + v2.Failures);
        Assert.True(v1.Weight > 0.9 && v2.Weight < 0.1, $"weights {v1.Weight} / {v2.Weight}");
        Assert.True(v2.Weight >= 0.015); // the exploration floor keeps the weaker arm alive

        await CheckInAllAsync();
        var nextServed = _devices.SelectMany(d => d.ServeLabelledTraffic()).ToList();
        Assert.True(nextServed.Count(v => v == "1.0.0") > 0.8 * nextServed.Count);
    }

    [Fact]
    public async Task BackgroundEvaluation_RealTimer_CompletesAHealthyRolloutWithoutBeingAsked()
    {
        await using var server = await UpdateServerHost.StartAsync(evaluationInterval: TimeSpan.FromMilliseconds(100));
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        using var device = new FleetDevice(server, "timer-device");
        var rollout = await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        await device.CheckInAsync();

        var state = "";
        for (var i = 0; i < 100 && state != "completed"; i++)
        {
            await Task.Delay(100);
            state = (await server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator)).State;
        }

        Assert.Equal("completed", state);
    }

    [Fact]
    public async Task CreateRollout_InvalidPlans_AreRefusedWithTheReason()
    {
        async Task<string> Refused(CreateRolloutRequest request)
        {
            request.Model = "iris-classifier";
            var ex = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator));
            Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
            return ex.Status.Detail;
        }

        Assert.StartsWith("stages must be increasing", await Refused(new() { Version = "2.0.0", Strategy = RolloutStrategy.Staged, Stages = { 50, 20, 100 } }));
        Assert.StartsWith("stages must be increasing", await Refused(new() { Version = "2.0.0", Strategy = RolloutStrategy.Staged, Stages = { 10, 50 } }));
        Assert.StartsWith("a bandit needs at least two", await Refused(new() { Version = "2.0.0", Strategy = RolloutStrategy.Bandit }));
        Assert.StartsWith("min_install_success_rate and max_error_rate", await Refused(new() { Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { MaxErrorRate = 1.5 } }));
        Assert.StartsWith("strategy must be one of", await Refused(new() { Version = "2.0.0" }));
    }

    [Fact]
    public async Task ReportHealth_Malformed_IsRefusedAndNothingIsStored()
    {
        await FleetOnVersionOneAsync(1);
        var token = await _server.RegisterAsync("raw-device");
        var report = new HealthReport { Versions = { new VersionStats { Model = "iris-classifier", Version = "1.0.0", Requests = 5, Errors = 9 } } };

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.ReportHealthAsync(report, UpdateServerHost.Bearer(token)));
        var unknownRollout = await Assert.ThrowsAsync<RpcException>(async () => await _server.Devices.ReportInstallAsync(
            new InstallReport { Model = "iris-classifier", Version = "1.0.0", RolloutId = "ro-nope", Success = true }, UpdateServerHost.Bearer(token)));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Equal("Health for iris-classifier 1.0.0: more errors than requests; nothing from this report was stored.", ex.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, unknownRollout.StatusCode);
        var rollout = (await _server.Registry.ListRolloutsAsync(new ListRolloutsRequest(), UpdateServerHost.Operator)).Rollouts.Single();
        Assert.Equal(0, rollout.Health.Single().Requests);
    }

    private async Task FleetOnVersionOneAsync(int devices)
    {
        for (var i = 0; i < devices; i++)
        {
            _devices.Add(new FleetDevice(_server, $"device-{i:D2}"));
        }

        var v1 = await CreateAsync(new CreateRolloutRequest { Strategy = RolloutStrategy.AllAtOnce, Version = "1.0.0" });
        await CheckInAllAsync();
        await _server.EvaluateRolloutsAsync();
        Assert.Equal("completed", (await GetAsync(v1.Id)).State);
    }

    private async Task<List<Runtime.Agent.AgentCycle>> CheckInAllAsync()
    {
        var cycles = new List<Runtime.Agent.AgentCycle>();
        foreach (var d in _devices)
        {
            cycles.Add(await d.CheckInAsync());
        }

        return cycles;
    }

    private async Task WaitForShadowAsync()
    {
        // Shadow runs happen off the caller's thread; give them a bounded moment to finish.
        for (var i = 0; i < 100 && _devices.Any(d => d.Store.ShadowStatistics!.Compared + d.Store.ShadowStatistics.Failures < 45); i++)
        {
            await Task.Delay(20);
        }
    }

    private async Task<Rollout> CreateAsync(CreateRolloutRequest request)
    {
        request.Model = "iris-classifier";
        return await _server.Registry.CreateRolloutAsync(request, UpdateServerHost.Operator);
    }

    private async Task<Rollout> GetAsync(string id) => await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = id }, UpdateServerHost.Operator);

    private async Task<(int Targeted, int Installed, int Failed)> CountsAsync(string id)
    {
        var r = await GetAsync(id);
        return (r.TargetedDevices, r.InstalledDevices, r.FailedDevices);
    }
}
