using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Device.Store.Gate;
using EdgeDeploy.Tests.Infrastructure;
using Grpc.Core;

namespace EdgeDeploy.Tests.UpdateServer.Monitoring;

/// <summary>
/// Fairness and per-class figures online: a real server, real agents serving the fairness sample models and recording
/// the true labels, alert rules on the card's fairness groups and a rollout whose gate follows them.
/// </summary>
public sealed class FairnessMonitoringTests : IAsyncLifetime
{
    private UpdateServerHost _server = null!;

    public async Task InitializeAsync() => _server = await UpdateServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task BiasedModel_PassesAGateBlindToTheGroup_OnlineFairnessAlertFiresAndRollsTheRolloutBack()
    {
        // The confidence set holds no group-1 row, so the device gate cannot judge that group (reported, not judged) and
        // installs the model; the fleet's labelled traffic shows what the gate could not.
        await _server.PublishAsync(Package("fairness_biased", c => !FairnessPackages.InGroup1(c)));
        var rollout = await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-fairness", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { FailOnAlerts = true, StageMinSeconds = 3600 } },
            UpdateServerHost.Operator);
        await AddRuleAsync("fairness_disparity", string.Empty, 1.25, below: false);
        var recall = await AddRuleAsync("min_class_recall", "group=1", 0.5, below: true);

        await ServeAsync(2);
        await _server.EvaluateRolloutsAsync();

        var card = FairnessPackages.CardMetrics("fairness_biased");
        var alerts = (await _server.Registry.ListAlertsAsync(new ListAlertsRequest(), UpdateServerHost.Operator)).Alerts;
        var disparity = Assert.Single(alerts, a => a.Metric == "fairness_disparity");
        Assert.Equal(1 / card["fpr_ratio@group=1"], disparity.Value, 9); // the group's false positive rate is 1/41 of the reference's
        Assert.Contains("fairness_disparity of iris-fairness 1.0.0 is 41 over the last 3600 s", disparity.Message, StringComparison.Ordinal);
        Assert.Contains(": fpr_ratio@group=1 0.02439 (group ", disparity.Message, StringComparison.Ordinal);
        var classRecall = Assert.Single(alerts, a => a.RuleId == recall.Id);
        Assert.Contains("min_class_recall(group=1) of iris-fairness 1.0.0 is", classRecall.Message, StringComparison.Ordinal);
        Assert.EndsWith(": class 1", classRecall.Message, StringComparison.Ordinal);

        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Equal("rolled_back", status.State);
        Assert.Contains(alerts, a => status.StateReason == $"health gate failed: alert {a.Id} is firing: {a.Message}"); // the fairness or the per-class alert

        // The install reports carry the gate's fairness figures; group 1 was not judged on the device.
        var install = status.Installs.First(i => i.Success);
        var gateFnr = install.Gate.Metrics.Single(m => m.Name == "fnr_ratio@group=1");
        Assert.Equal((0, true), (gateFnr.Cases, gateFnr.Passed));

        // The monitoring view: the same ratios as the card's (the agents served the card's held-out rows), and classes.
        var fairness = await _server.Registry.GetFairnessAsync(new VersionStatsRequest { Model = "iris-fairness", Version = "1.0.0", FromUnixMs = 0 }, UpdateServerHost.Operator);
        Assert.Equal(("group=0", 0.8, 1.25, 30, 2400L), (fairness.Reference, fairness.Min, fairness.Max, fairness.MinGroupSize, fairness.Labelled));
        foreach (var ratio in fairness.Ratios)
        {
            Assert.Equal(card[$"{ratio.Metric}@{ratio.Group}"], ratio.Ratio, 9);
            Assert.Equal(ratio.CardRatio, ratio.Ratio, 9);
            Assert.Equal((true, false), (ratio.Judged, ratio.Passed));
        }

        Assert.Equal(new[] { 0, 1 }, fairness.Classes.Select(c => c.ClassIndex));
    }

    [Fact]
    public async Task FairModel_SameTraffic_NoFairnessAlertAndTheRolloutGoesOn()
    {
        await _server.PublishAsync(Package("fairness_fair", null));
        var rollout = await _server.Registry.CreateRolloutAsync(
            new CreateRolloutRequest { Model = "iris-fairness", Version = "1.0.0", Strategy = RolloutStrategy.AllAtOnce, Gates = new HealthGates { FailOnAlerts = true, StageMinSeconds = 3600 } },
            UpdateServerHost.Operator);
        await AddRuleAsync("fairness_disparity", string.Empty, 1.25, below: false);
        await AddRuleAsync("fnr_ratio", "group=1", 1.25, below: false);

        await ServeAsync(1);
        await _server.EvaluateRolloutsAsync();

        Assert.Empty((await _server.Registry.ListAlertsAsync(new ListAlertsRequest(), UpdateServerHost.Operator)).Alerts);
        var status = await _server.Registry.GetRolloutAsync(new GetRolloutRequest { Id = rollout.Id }, UpdateServerHost.Operator);
        Assert.Equal("active", status.State);
        var fairness = await _server.Registry.GetFairnessAsync(new VersionStatsRequest { Model = "iris-fairness", Version = "1.0.0", FromUnixMs = 0 }, UpdateServerHost.Operator);
        Assert.All(fairness.Ratios, r => Assert.Equal((1.0, true, true), (r.Ratio, r.Judged, r.Passed)));
    }

    [Fact]
    public async Task CreateAlertRule_FairnessGroupTheCardLacks_IsRefused()
    {
        await _server.PublishAsync(Package("fairness_fair", null));

        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-fairness", Version = "1.0.0", Metric = "fnr_ratio", Feature = "group=7", Threshold = 1.25 }, UpdateServerHost.Operator));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("has no fairness group 'group=7'; it has: group=1", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Empty((await _server.Registry.ListAlertRulesAsync(new ListAlertRulesRequest(), UpdateServerHost.Operator)).Rules);
    }

    /// <summary>Named iris-*: the sample trust the server and agents use delegates only iris-* and diabetes-* to the sample publisher.</summary>
    private static byte[] Package(string stem, Func<ConfidenceCase, bool>? keep)
    {
        using var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key"));
        return FairnessPackages.Build(key, stem, "iris-fairness", "1.0.0", keep, TimeSpan.FromDays(3650));
    }

    private Task<AlertRule> AddRuleAsync(string metric, string feature, double threshold, bool below) =>
        _server.Registry.CreateAlertRuleAsync(
            new AlertRule { Model = "iris-fairness", Version = "1.0.0", Metric = metric, Feature = feature, Threshold = threshold, Below = below, WindowSeconds = 3600, MinSamples = 30 },
            UpdateServerHost.Operator).ResponseAsync;

    /// <summary>Each of <paramref name="devices"/> agents installs the rollout's version and serves the 1,200 held-out rows with their labels.</summary>
    private async Task ServeAsync(int devices)
    {
        using var schemaModel = EdgeModel.Load(Repo.Model("fairness_fair.onnx"));
        var rows = FairnessPackages.Confidence(schemaModel.Schema);
        for (var d = 0; d < devices; d++)
        {
            using var device = new FleetDevice(_server, $"branch-{d}", withTelemetry: true);
            await device.CheckInAsync();
            Assert.Equal("1.0.0", device.Store.ActiveVersion);
            foreach (var row in rows)
            {
                var prediction = device.Store.Predict(row.Inputs);
                device.Store.RecordGroundTruth(prediction.PredictionId, row.Label);
            }

            Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
            await device.CheckInAsync();
            Assert.Null(device.Telemetry.ReadBatch());
        }

        await _server.FlushCheckInsAsync();
    }
}
