using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>The operator verbs of the AOT-published `edge` against the real server on 127.0.0.1.</summary>
[Collection(AotCollection.Name)]
public sealed class FleetCliTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{

    [Fact]
    public async Task PublishRolloutDevices_OperatorFlow_SteersARolloutThroughTheAdminApi()
    {
        using var device = new FleetDevice(Server, "kiosk-1", withTelemetry: true);
        var published = Ok("publish", Repo.Model("iris_classifier.edgepkg"));
        Assert.StartsWith("published: iris-classifier 1.0.0 sha256 ", published.StdOut);
        Assert.StartsWith("already published: iris-classifier 1.0.0", Ok("publish", Repo.Model("iris_classifier.edgepkg")).StdOut);

        var created = Ok("rollout", "create", "--model", "iris-classifier", "--version", "1.0.0", "--strategy", "staged", "--stages", "50,100",
            "--on-failure", "pause", "--max-error-rate", "0.01", "--device-timeout-seconds", "120", "--json");
        using var json = JsonDocument.Parse(created.StdOut);
        var id = json.RootElement.GetProperty("id").GetString()!;
        Assert.Equal("ROLLOUT_STRATEGY_STAGED", json.RootElement.GetProperty("strategy").GetString());
        Assert.Equal(0.01, json.RootElement.GetProperty("gates").GetProperty("maxErrorRate").GetDouble());
        Assert.Equal(120, json.RootElement.GetProperty("gates").GetProperty("deviceTimeoutSeconds").GetInt32());
        Assert.Equal("FAILURE_ACTION_PAUSE", json.RootElement.GetProperty("onFailure").GetString());

        await device.CheckInAsync();
        var status = Ok("rollout", "status", id).StdOut;
        Assert.Contains($"{id}  iris-classifier 1.0.0  Staged  active  stage 1/2 (50%)", status);
        Assert.Contains("devices: 1 targeted, 1 installed, 0 failed (0 silent), 0 pending", status);

        Assert.Contains("kiosk-1  last seen 20", Ok("devices").StdOut);
        Assert.Contains("runs nothing", Ok("devices").StdOut); // reported at check-in, before the install
        await device.CheckInAsync();
        Assert.Contains("runs iris-classifier 1.0.0  tags []  region=eu", Ok("devices").StdOut);

        device.ServeLabelledTraffic();
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync();
        var monitor = Ok("monitor", "status", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10", "--window-minutes", "0").StdOut;
        Assert.Matches(@"\s+45  0\.00% errors  \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms  accuracy 0\.9333 on 45 labels  \|  45 records  0\.00% missing  0:15 1:16 2:14", monitor);
        var drift = Ok("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0").StdOut;
        Assert.Matches(@"\n  sepal length \(cm\)\s+45\s+0\.0%\s", drift);
        Assert.Matches(@"\n  output label\s+45\s+0\.0%\s", drift);
        Assert.DoesNotContain("<- shifted", drift); // 45 of the model's own confidence rows: no evidence of a shift
        var slices = Ok("monitor", "slices", "--model", "iris-classifier", "--version", "1.0.0").StdOut;
        Assert.StartsWith("iris-classifier 1.0.0: slice  requests  labelled  online accuracy (model card)", slices);
        Assert.Matches(@"\n  petal_length<2\.5 +15 +15  1\.0000 \(1\.0000 on 15\)\r?\n", slices); // served the card's own rows: its figures
        Assert.Matches(@"\n  2\.5<=petal_length<5 +18 +18  0\.8889 \(0\.8889 on 18\)\r?\n", slices);
        Assert.DoesNotContain("worse than the card", slices);
        using (var slicesJson = JsonDocument.Parse(Ok("monitor", "slices", "--model", "iris-classifier", "--version", "1.0.0", "--json").StdOut))
        {
            var last = slicesJson.RootElement.GetProperty("slices")[2];
            Assert.Equal(("petal_length>=5", "12"), (last.GetProperty("name").GetString(), last.GetProperty("total").GetProperty("groundTruth").GetString())); // int64 is a JSON string
        }

        var rule = Ok("monitor", "alert-rule", "add", "--model", "iris-classifier", "--version", "1.0.0", "--metric", "error_rate", "--above", "0.5").StdOut;
        Assert.Matches(@"^ar-[0-9a-f]+  iris-classifier 1\.0\.0  error_rate above 0\.5  over 300 s, at least 20 samples", rule);
        Assert.Contains(rule.Split("  ")[0], Ok("monitor", "alert-rule", "list").StdOut);
        Assert.Equal("no alerts", Ok("monitor", "alerts").StdOut.Trim());
        Assert.StartsWith("deleted ar-", Ok("monitor", "alert-rule", "delete", rule.Split("  ")[0]).StdOut);
        var neither = Edge("monitor", "alert-rule", "add", "--model", "iris-classifier", "--metric", "error_rate");
        Assert.Equal((2, "error: InvalidArgument: give exactly one of --above and --below."), (neither.ExitCode, neither.StdErr.Trim()));

        Assert.Contains("paused  stage 1/2", Ok("rollout", "pause", id, "--reason", "maintenance window").StdOut);
        Assert.Contains("reason: paused by operator: maintenance window", Ok("rollout", "status").StdOut);
        Assert.Contains("active  stage 1/2", Ok("rollout", "resume", id).StdOut);
        Assert.Contains("active  stage 2/2 (100%)", Ok("rollout", "promote", id).StdOut);
        Assert.Contains("rolled_back", Ok("rollout", "rollback", id).StdOut);

        var resumeRolledBack = Edge("rollout", "resume", id);
        Assert.Equal(2, resumeRolledBack.ExitCode);
        Assert.StartsWith($"error: FailedPrecondition: Rollout {id} is rolled_back; resume applies to paused rollouts.", resumeRolledBack.StdErr);
    }

    [Fact]
    public async Task MonitorFairness_BiasedVersionServed_PrintsTheGroupOutsideTheRangeAndPerClassFigures()
    {
        // The biased sample, packed with a confidence set without group 1 (so the device gate cannot judge it), served
        // on the counterfactual held-out rows with their labels.
        using (var key = EdgeDeploy.Runtime.Packages.SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key")))
        {
            await Server.PublishAsync(Device.Store.Gate.FairnessPackages.Build(key, "fairness_biased", "iris-fairness", "1.0.0", c => !Device.Store.Gate.FairnessPackages.InGroup1(c), TimeSpan.FromDays(3650)));
        }

        Ok("rollout", "create", "--model", "iris-fairness", "--version", "1.0.0", "--strategy", "all-at-once");
        using var device = new FleetDevice(Server, "branch-1", withTelemetry: true);
        await device.CheckInAsync();
        using (var schema = EdgeDeploy.Runtime.EdgeModel.Load(Repo.Model("fairness_biased.onnx")))
        {
            foreach (var row in Device.Store.Gate.FairnessPackages.Confidence(schema.Schema))
            {
                device.Store.RecordGroundTruth(device.Store.Predict(row.Inputs).PredictionId, row.Label);
            }
        }

        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync();

        var text = Ok("monitor", "fairness", "--model", "iris-fairness", "--version", "1.0.0").StdOut;
        Assert.StartsWith("iris-fairness 1.0.0: fairness against reference group 'group=0' (positive class 1), acceptable ratio [0.8, 1.25], groups of at least 30 labelled predictions", text);
        Assert.Matches(@"\n  group=1  fnr_ratio +0\.6323 on 310 +0\.1419 on 310 +4\.4545  4\.4545  <- outside the range\r?\n", text);
        Assert.Matches(@"\n  group=1  positive_rate_ratio +0\.1917 on 600 +0\.5117 on 600 +0\.3746  0\.3746  <- outside the range\r?\n", text);
        Assert.Contains("classes over 1200 labelled predictions: min recall ", text, StringComparison.Ordinal);
        var rule = Ok("monitor", "alert-rule", "add", "--model", "iris-fairness", "--metric", "fnr_ratio", "--feature", "group=1", "--above", "1.25").StdOut;
        Assert.Matches(@"^ar-[0-9a-f]+  iris-fairness \(live versions\)  fnr_ratio\(group=1\) above 1\.25", rule);
    }

    [Fact]
    public async Task MonitorSlices_VersionBelowItsCardOnASlice_FlagsThatSlice()
    {
        // The C=0.05 model packed with the C=1 model's card: the card overstates it on the 2.5-5 cm petal slice
        // (0.8889 against the 0.7222 it really gets there), which is what online monitoring is for.
        using var temp = new TempDirectory();
        var package = temp.File("iris-2.0.0.edgepkg");
        Assert.Equal(0, ProcessRunner.Run(EdgePath, [
            "pack", "--model", Repo.Model("iris_classifier_v2.onnx"), "--name", "iris-classifier", "--version", "2.0.0", "--card", Repo.Model("iris_classifier.card.json"),
            "--e2e", Repo.Model("iris_classifier.confidence.jsonl"), "--e2e-from-model", "--confidence", Repo.Model("iris_classifier.confidence.jsonl"),
            "--metric", "accuracy", "--metric-output", "label", "--metric-min", "0.8", "--metric-max", "1", "--out", package], TimeSpan.FromMinutes(1)).ExitCode);
        Assert.Equal(0, ProcessRunner.Run(EdgePath, ["sign", package, "--key", Path.Combine(Repo.Models, "keys", "publisher.key")], TimeSpan.FromMinutes(1)).ExitCode);
        Ok("publish", package);
        Ok("rollout", "create", "--model", "iris-classifier", "--version", "2.0.0");
        using var device = new FleetDevice(Server, "kiosk-2", withTelemetry: true);
        await device.CheckInAsync();
        await device.CheckInAsync();
        device.ServeLabelledTraffic();
        Assert.True(device.Telemetry!.Flush(TimeSpan.FromSeconds(10)));
        await device.CheckInAsync();

        var slices = Ok("monitor", "slices", "--model", "iris-classifier", "--version", "2.0.0").StdOut;

        Assert.Matches(@"\n  petal_length<2\.5 +15 +15  1\.0000 \(1\.0000 on 15\)\r?\n", slices);
        Assert.Matches(@"\n  2\.5<=petal_length<5 +18 +18  0\.7222 \(0\.8889 on 18\)  <- worse than the card\r?\n", slices);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(slices, "worse than the card"));
    }

    [Fact]
    public void Commands_WrongOrMissingToken_AreRefusedClearly()
    {
        var wrong = ProcessRunner.Run(EdgePath, ["devices", "--server", Server.Address.ToString()], TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = "guess" });
        var missing = ProcessRunner.Run(EdgePath, ["devices", "--server", Server.Address.ToString()], TimeSpan.FromMinutes(1), environment: new Dictionary<string, string> { ["EDGE_OPERATOR_TOKEN"] = string.Empty });

        Assert.Equal(2, wrong.ExitCode);
        Assert.StartsWith("error: PermissionDenied: This call needs the operator credential.", wrong.StdErr);
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("error: Usage: no operator token: pass --token-file FILE or set EDGE_OPERATOR_TOKEN", missing.StdErr);
    }
}
