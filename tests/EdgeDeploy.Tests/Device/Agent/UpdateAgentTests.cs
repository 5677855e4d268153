using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Agent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;
using EdgeDeploy.Tests.UpdateServer;

namespace EdgeDeploy.Tests.Device.Agent;

/// <summary>Real agents against the real server on 127.0.0.1, installing into real stores.</summary>
public sealed class UpdateAgentTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync(downloadChunkBytes: 1024);
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await _server.PublishAsync(SamplePackages.Iris("2.0.0", "iris_classifier_v2"));
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task RunOnce_AssignedVersions_AreDownloadedGatedInstalledAndReported()
    {
        var rollout = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(_server, "device-a");

        var cycle = await device.Agent.RunOnceAsync(CancellationToken.None);

        Assert.Equal(["iris-classifier 1.0.0"], cycle.Assigned);
        Assert.Equal(["1.0.0"], cycle.Installed);
        Assert.Equal("1.0.0", device.Store.ActiveVersion);
        Assert.Equal(2L, device.Store.Predict(Store.ModelStoreTests.Row([6.7f, 3.0f, 5.2f, 2.3f])).Prediction["label"].AsSpan<long>()[0]);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Equal((1, 1, 0), (status.TargetedDevices, status.InstalledDevices, status.FailedDevices));

        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", Strategy = RolloutStrategy.Canary, CanaryPercent = 100 }, UpdateServerHost.Operator);
        var next = await device.Agent.RunOnceAsync(CancellationToken.None);
        Assert.Equal(["2.0.0"], next.Installed);
        Assert.Equal("2.0.0", device.Store.ActiveVersion);

        var devices = await _server.Registry.ListDevicesAsync(new ListDevicesRequest(), UpdateServerHost.Operator);
        var seen = Assert.Single(devices.Devices);
        Assert.Equal("device-a", seen.DeviceId);
        Assert.True(seen.LastSeenUnixMs > 0);
        Assert.Equal("1.0.0", Assert.Single(seen.Installed).Version); // reported at the check-in before the upgrade
    }

    [Fact]
    public async Task RunOnce_InterruptedDownload_ResumesAfterAgentRestartWithoutRefetching()
    {
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "2.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        var size = (await _server.Registry.ListVersionsAsync(new ListVersionsRequest { Model = "iris-classifier" }, UpdateServerHost.Operator)).Versions.Single(v => v.Version == "2.0.0").Size;
        var state = Path.Combine(_server.TempPath, "device-b");

        var before = new Reports();
        using (var first = new FleetDevice(_server, "device-b", state, maxBytesPerCycle: 2048, downloadProgress: before))
        {
            var cycle = await first.Agent.RunOnceAsync(CancellationToken.None);
            Assert.Equal(["2.0.0"], cycle.Incomplete);
            Assert.Null(first.Store.ActiveVersion);
        }

        // The server may have streamed ahead of the cancelled call; what survives is what reached the disk.
        var part = Assert.Single(Directory.GetFiles(Path.Combine(state, "agent", "downloads"), "*.part"));
        Assert.Equal(2048, new FileInfo(part).Length);
        var servedBeforeRestart = _server.Metrics.BytesServed;

        var after = new Reports();
        using var restarted = new FleetDevice(_server, "device-b", state, downloadProgress: after);
        var resumed = await restarted.Agent.RunOnceAsync(CancellationToken.None);

        // Progress counts what is on disk: the first cycle ends at 2,048; the resumed one starts past it and ends at the size.
        Assert.Equal(new DownloadProgress("iris-classifier", "2.0.0", 2048, size), before.All[^1]);
        Assert.True(after.All[0].BytesDone > 2048, after.All[0].ToString());
        Assert.Equal(new DownloadProgress("iris-classifier", "2.0.0", size, size), after.All[^1]);
        Assert.Equal(after.All.Select(p => p.BytesDone).Order(), after.All.Select(p => p.BytesDone));

        Assert.Equal(["2.0.0"], resumed.Installed);
        Assert.Equal(size - 2048, _server.Metrics.BytesServed - servedBeforeRestart); // resumed at offset 2,048, nothing refetched
        Assert.False(File.Exists(part));
        Assert.Equal("2.0.0", restarted.Store.ActiveVersion);
    }

    [Fact]
    public async Task RunOnce_AssignmentSignedByAnotherKey_IsRefusedAndNothingChanges()
    {
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var impostor = SigningKey.Generate();
        using var device = new FleetDevice(_server, "device-c", serverKeyPem: impostor.ExportPublicKeyPem());

        var ex = await Assert.ThrowsAsync<EdgeException>(() => device.Agent.RunOnceAsync(CancellationToken.None));

        Assert.Equal(EdgeErrorCode.SignatureInvalid, ex.Code);
        Assert.Null(device.Store.ActiveVersion);
        Assert.Equal(0, _server.Metrics.BytesServed);
    }

    [Fact]
    public async Task RunOnce_VersionFailingTheGate_IsReportedAsFailedAndOldVersionKeepsServing()
    {
        await _server.PublishAsync(SamplePackages.Iris("3.0.0", "iris_classifier_v2", metricMin: 0.95));
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(_server, "device-d");
        await device.Agent.RunOnceAsync(CancellationToken.None);
        var bad = await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "3.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);

        var cycle = await device.Agent.RunOnceAsync(CancellationToken.None);

        Assert.StartsWith("3.0.0: gate: Accuracy is 0.866667", Assert.Single(cycle.Failed));
        Assert.Equal("1.0.0", device.Store.ActiveVersion);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = bad.Id }, UpdateServerHost.Operator);
        Assert.Equal((0, 1), (status.InstalledDevices, status.FailedDevices));
    }

    [Fact]
    public async Task RunOnce_ServerUnreachable_KeepsServingWithinOfflineGraceThenSuspends()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var server = await UpdateServerHost.StartAsync();
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        using var device = new FleetDevice(server, "device-e", stateDirectory: Path.Combine(_server.TempPath, "device-e"), clock: clock, offlineGrace: TimeSpan.FromHours(1));
        await device.CheckInAsync();
        await server.DisposeAsync(); // the server goes away

        clock.Advance(TimeSpan.FromMinutes(59));
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(device.CheckInAsync);
        Assert.Equal("1.0.0", device.Store.Predict(Store.ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f])).Version); // within the grace

        clock.Advance(TimeSpan.FromMinutes(2));
        await Assert.ThrowsAsync<Grpc.Core.RpcException>(device.CheckInAsync);
        var ex = Assert.Throws<EdgeException>(() => device.Store.Predict(Store.ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f])));
        Assert.Equal(EdgeErrorCode.OfflineGraceExpired, ex.Code);
        Assert.Contains("longer than the offline grace of 01:00:00", ex.Message);
        Assert.False(device.Agent.IsWithinOfflineGrace);
    }

    /// <summary>Collects progress reports as they are made (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class Reports : IProgress<DownloadProgress>
    {
        public List<DownloadProgress> All { get; } = [];

        public void Report(DownloadProgress value) => All.Add(value);
    }
}
