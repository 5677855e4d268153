using EdgeDeploy.Protos.V1;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using static EdgeDeploy.Tests.Infrastructure.TelemetryFixture;

namespace EdgeDeploy.Tests.UpdateServer.Replicas;

/// <summary>The leader applies retention on its own, every RetentionInterval: telemetry older than TelemetryRetention goes.</summary>
public sealed class RetentionTests
{
    [Fact]
    public async Task Retention_TelemetryOlderThanTheSetting_IsPrunedByTheLeaderOnItsInterval()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await UpdateServerHost.StartAsync(clock: clock, settings: ["--EdgeDeploy:TelemetryRetention=30.00:00:00", "--EdgeDeploy:RetentionInterval=01:00:00"]);
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        var token = await server.RegisterAsync("sensor-1");
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        await server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        await IngestAsync(server, UpdateServerHost.Bearer(token), Batch("1-2", Prediction(100, label: 0, timestampMs: now), Prediction(200, label: 1, timestampMs: now)));
        var before = server.TelemetryStore.Count();

        clock.Advance(TimeSpan.FromDays(31)); // the background tick fires: retention is due and the records are past 30 days
        var after = before;
        for (var i = 0; i < 200 && after.Predictions > 0; i++)
        {
            await Task.Delay(50);
            after = server.TelemetryStore.Count();
        }

        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(1, 2, 0), before);
        Assert.Equal(new EdgeDeploy.UpdateServer.Storage.TelemetryCounts(0, 0, 0), after);
    }

    [Fact]
    public async Task Retention_MorePredictionsThanTheCap_DropsTheOldestWholeHoursOnly()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await UpdateServerHost.StartAsync(clock: clock, settings: ["--EdgeDeploy:TelemetryMaxPredictions=3", "--EdgeDeploy:RetentionInterval=01:00:00"]);
        await server.PublishAsync(File.ReadAllBytes(Repo.Model("iris_classifier.edgepkg")));
        var token = await server.RegisterAsync("sensor-1");
        await server.Registry.CreateRolloutAsync(new CreateRolloutRequest { Model = "iris-classifier", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce }, UpdateServerHost.Operator);
        await server.Devices.CheckInAsync(new CheckInRequest(), UpdateServerHost.Bearer(token));
        var hour = clock.GetUtcNow().ToUnixTimeMilliseconds() / 3_600_000 * 3_600_000;
        // Two predictions three hours ago, one two hours ago, two in this hour: five, all younger than the 30-day age limit.
        await IngestAsync(server, UpdateServerHost.Bearer(token), Batch("1-5",
            Prediction(100, label: 0, timestampMs: hour - (3 * 3_600_000)), Prediction(100, label: 0, timestampMs: hour - (3 * 3_600_000) + 1),
            Prediction(100, label: 0, timestampMs: hour - (2 * 3_600_000)),
            Prediction(100, label: 0, timestampMs: hour + 1), Prediction(100, label: 0, timestampMs: hour + 2)));
        var before = server.TelemetryStore.Count().Predictions;

        clock.Advance(TimeSpan.FromHours(1)); // retention is due
        var after = before;
        for (var i = 0; i < 200 && after == before; i++)
        {
            await Task.Delay(50);
            after = server.TelemetryStore.Count().Predictions;
        }

        // The newest three fit the cap (two this hour, one two hours ago); the hour three hours ago would make five, so it goes.
        Assert.Equal((5L, 3L), (before, after));
        var kept = server.TelemetryStore.Summarize("iris-classifier", "1.0.0", hour - (2 * 3_600_000), hour + 3_600_000);
        Assert.Equal(3L, kept.Requests);
    }

    [Theory]
    [InlineData("--EdgeDeploy:TelemetryMaxPredictions=-1", "EdgeDeploy:TelemetryMaxPredictions must be 0 (no cap) or more; it is -1.")]
    [InlineData("--EdgeDeploy:TelemetryRetention=00:30:00", "EdgeDeploy:TelemetryRetention must be at least 01:00:00; it is 00:30:00.")]
    [InlineData("--EdgeDeploy:HealthRetention=00:00:00", "EdgeDeploy:HealthRetention must be at least 01:00:00; it is 00:00:00.")]
    [InlineData("--EdgeDeploy:RetentionInterval=00:00:00", "EdgeDeploy:RetentionInterval must be positive; it is 0.")]
    [InlineData("--EdgeDeploy:ChangePollInterval=00:05:00", "EdgeDeploy:ChangePollInterval must be at most 00:01:00; it is 00:05:00.")]
    public async Task Start_BadRetentionOrPollSetting_FailsNamingTheSetting(string setting, string message)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => UpdateServerHost.StartAsync(settings: [setting]));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
