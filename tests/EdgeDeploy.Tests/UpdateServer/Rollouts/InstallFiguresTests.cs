using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Rollouts;

/// <summary>
/// Gate figures travel with install reports: real agents on two device classes install one package through the real
/// server; the rollout shows each device's load, peak, p95 latency and metrics under its hardware class.
/// </summary>
public sealed class InstallFiguresTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        using var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key"));
        var gate = new GateSpec
        {
            LatencyBudgets = [new LatencyBudget { Shape = [1, 4], P95Milliseconds = 10_000, Runs = 10 }],
            Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 2, Min = 0.9, Max = 1 }],
        };
        await _server.PublishAsync(PackageSigner.Sign(PackageFactory.BuildIris("1.0.0", validity: TimeSpan.FromDays(3650), customise: b => b.WithGate(gate)), key));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetRollout_AfterInstallsOnTwoDeviceClasses_ShowsEachDevicesGateFigures()
    {
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var fast = new FleetDevice(_server, "device-fast", hardware: "x86-server");
        using var slow = new FleetDevice(_server, "device-slow", hardware: "mcu-tiny", latencyBudgetMs: 1e-6); // this class's own limit: impossible

        Assert.Equal(["1.0.0"], (await fast.CheckInAsync()).Installed);
        Assert.Single((await slow.CheckInAsync()).Failed);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);

        Assert.Equal((2, 1, 1), (status.TargetedDevices, status.InstalledDevices, status.FailedDevices));
        var installs = status.Installs.ToDictionary(i => i.DeviceId);
        var ok = installs["device-fast"];
        Assert.True(ok.Success);
        Assert.Equal("x86-server", ok.Gate.DeviceClass);
        Assert.True(ok.Gate.LoadBytes > 0 && ok.Gate.PeakBytes >= ok.Gate.LoadBytes, $"load {ok.Gate.LoadBytes}, peak {ok.Gate.PeakBytes}");
        var latency = Assert.Single(ok.Gate.Latencies);
        Assert.Equal(("features", "1x4", 10_000d, 10, true), (latency.Input, latency.Shape, latency.BudgetMs, latency.Runs, latency.Passed));
        Assert.True(latency.P95Ms > 0);
        Assert.Equal(["accuracy", "top2_accuracy"], ok.Gate.Metrics.Select(m => m.Name));
        Assert.Equal(0.9333, ok.Gate.Metrics[0].Value, 4);

        var refused = installs["device-slow"];
        Assert.False(refused.Success);
        Assert.Equal("mcu-tiny", refused.Gate.DeviceClass);
        var slowLatency = Assert.Single(refused.Gate.Latencies);
        Assert.Equal((1e-6, false), (slowLatency.BudgetMs, slowLatency.Passed));
        Assert.Contains(slowLatency.P95Ms.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + " ms over 10 runs at features 1x4 exceeds the budget", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportInstall_OversizedGateFigures_IsRefusedAndNothingStored()
    {
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var token = await _server.RegisterAsync("device-flood");
        await _server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
        var report = new InstallReport { Model = "iris-classifier", Version = "1.0.0", RolloutId = rollout.Id, Success = true, Reason = "installed", Gate = new GateFigures() };
        report.Gate.Metrics.AddRange(Enumerable.Range(0, 65).Select(i => new MetricFigure { Name = "m" + i }));

        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await _server.Devices.ReportInstallAsync(report, UpdateServerHost.Bearer(token)));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, ex.StatusCode);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Empty(status.Installs);
    }
}
