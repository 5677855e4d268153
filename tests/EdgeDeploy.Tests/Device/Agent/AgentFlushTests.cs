using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Agent;

/// <summary>Issue 15: what a device served after its last check-in reaches the server before the agent stops.</summary>
public sealed class AgentFlushTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync()
    {
        _server = await UpdateServerHost.StartAsync();
        await _server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        await _server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task RunAsync_CancelledAfterServing_SendsTheLastHealthAndTelemetryBeforeReturning()
    {
        using var device = new FleetDevice(_server, "kiosk-flush", withTelemetry: true);
        using var stop = new CancellationTokenSource();
        var running = device.Agent.RunAsync(stop.Token);
        await Poll.UntilAsync(() => device.Store.ActiveVersion is not null, () => "the agent installed nothing:\n" + _server.Log.Text, TimeSpan.FromSeconds(60));
        Assert.Equal("1.0.0", device.Store.ActiveVersion);
        device.ServeLabelledTraffic(2); // 90 predictions after the check-in: only the flush on stop can send them
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));

        var window = await StatsAsync();
        Assert.Equal((90L, 90L, 0L), (window.ReportedRequests, window.ReportedGroundTruth, window.ReportedErrors));
        Assert.Equal((90L, 90L), (window.Requests, window.GroundTruth)); // every telemetry record too
        Assert.Equal(42 / 45.0, window.ReportedOnlineMetric, 9);
    }

    [Fact]
    public async Task FlushAsync_ServerUnreachable_ReturnsFalseAndKeepsTelemetryForTheNextRun()
    {
        var state = Path.Combine(_server.TempPath, "kiosk-offline");
        using (var device = new FleetDevice(_server, "kiosk-offline", state, withTelemetry: true))
        {
            await device.CheckInAsync();
            device.ServeLabelledTraffic();
        }

        // The same device restarted against a port nobody listens on: nothing is sent, nothing is lost.
        using (var offline = new FleetDevice(_server, "kiosk-offline", state, withTelemetry: true, serverAddress: new Uri("http://127.0.0.1:1")))
        {
            Assert.False(await offline.Agent.FlushAsync(CancellationToken.None));
            Assert.NotNull(offline.Telemetry!.ReadBatch());
        }

        using (var online = new FleetDevice(_server, "kiosk-offline", state, withTelemetry: true))
        {
            Assert.True(await online.Agent.FlushAsync(CancellationToken.None));
            Assert.Null(online.Telemetry!.ReadBatch());
        }

        Assert.Equal(45L, (await StatsAsync()).Requests);
    }

    private async Task<VersionWindow> StatsAsync()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var stats = await _server.Registry.GetVersionStatsAsync(
            new VersionStatsRequest { Model = "iris-classifier", Version = "1.0.0", FromUnixMs = now - 600_000, ToUnixMs = now + 1000 }, UpdateServerHost.Operator);
        return Assert.Single(stats.Windows);
    }
}
