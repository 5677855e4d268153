using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer.Monitoring;

/// <summary>
/// Issue 15: numbers an operator can trust. Real `edge agent` processes (the AOT binary) serve a known number of labelled
/// iris rows, the last cycle's included, against the real server; every monitoring view must report the same figures
/// for the same window, and drift must flag a shifted stream but not a clean replay at the demo's sample sizes.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class MonitoringConsistencyTests(AotArtifacts artifacts) : FleetCliTest(artifacts)
{
    private const int RowsPerCycle = 45; // models/iris_classifier.confidence.jsonl, the held-out split

    [Fact]
    public async Task EveryView_KnownLabelledTrafficIncludingTheLastCycle_ReportsTheSameCountsErrorRateAndAccuracy()
    {
        Ok("publish", Repo.Model("iris_classifier.edgepkg"));
        using var created = JsonDocument.Parse(Ok("rollout", "create", "--model", "iris-classifier", "--version", "1.0.0", "--json").StdOut);
        var rollout = created.RootElement.GetProperty("id").GetString()!;

        // Two devices, three cycles each: the rows served after the third check-in reach the server only through the
        // agent's flush on exit.
        await Task.WhenAll(Task.Run(() => Agent("kiosk-1", 3)), Task.Run(() => Agent("kiosk-2", 3)));
        const long expected = 2 * 3 * RowsPerCycle;
        const double accuracy = 42 / 45.0; // v1 gets 42 of the 45 held-out rows right

        using var status = Json("rollout", "status", rollout);
        var health = status.RootElement.GetProperty("health")[0];
        Assert.Equal(expected, long.Parse(health.GetProperty("requests").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(expected, long.Parse(health.GetProperty("groundTruth").GetString()!, CultureInfo.InvariantCulture));
        Assert.Equal(accuracy, health.GetProperty("onlineMetric").GetDouble(), 9);
        Assert.False(health.TryGetProperty("errorRate", out var rate) && rate.GetDouble() != 0);

        using var stats = Json("monitor", "status", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10", "--window-minutes", "0");
        var window = Assert.Single(stats.RootElement.GetProperty("windows").EnumerateArray());
        Assert.Equal(expected, Int(window, "reportedRequests"));
        Assert.Equal(expected, Int(window, "requests")); // telemetry records: every prediction (no sampling)
        Assert.Equal(expected, Int(window, "reportedGroundTruth"));
        Assert.Equal(expected, Int(window, "groundTruth"));
        Assert.Equal(accuracy, window.GetProperty("reportedOnlineMetric").GetDouble(), 9);
        Assert.Equal(accuracy, window.GetProperty("onlineMetric").GetDouble(), 9);
        Assert.Equal(0, Int(window, "reportedErrors"));

        using var drift = Json("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10");
        Assert.All(drift.RootElement.GetProperty("features").EnumerateArray(), f => Assert.Equal(expected, Int(f, "samples")));

        using var slices = Json("monitor", "slices", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10");
        var all = slices.RootElement.GetProperty("all");
        Assert.Equal((expected, expected), (Int(all, "requests"), Int(all, "groundTruth")));
        Assert.Equal(accuracy, all.GetProperty("onlineMetric").GetDouble(), 9);
        Assert.Equal(expected, slices.RootElement.GetProperty("slices").EnumerateArray().Sum(s => Int(s.GetProperty("total"), "requests"))); // the card's slices partition the inputs

        // The text views print the same figures in one unit (ms) and say which window they cover.
        var text = Ok("monitor", "status", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10", "--window-minutes", "0").StdOut;
        Assert.Matches(@$"  \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d-\d\d:\d\d:\d\d\s+{expected}  0\.00% errors  [\d.]+/[\d.]+/[\d.]+ ms  accuracy 0\.9333 on {expected} labels  \|  {expected} records", text);
        Assert.Matches(@$"health 1\.0\.0 since the stage started \(\d\d:\d\d:\d\d UTC\): {expected} requests, 0\.00% errors, latency p95 \d+\.\d{{3}} ms, accuracy 0\.9333 on {expected} labels", Ok("rollout", "status", rollout).StdOut);
        Assert.Matches(@$"  all predictions\s+{expected}\s+{expected}  0\.9333", Ok("monitor", "slices", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10").StdOut);
    }

    [Fact]
    public async Task Drift_CleanHeldOutReplayAndShiftedStream_FlagsOnlyTheShiftedFeature()
    {
        // v1's drift reference: the 105 training rows. The demo's sample sizes: devices replaying the 45 held-out rows each
        // cycle (hundreds of observations, the same rows over and over), then one device with a miscalibrated sensor.
        Ok("publish", Repo.Model("iris_classifier.edgepkg"));
        Ok("rollout", "create", "--model", "iris-classifier", "--version", "1.0.0");
        await Task.WhenAll(Enumerable.Range(1, 3).Select(i => Task.Run(() => Agent($"kiosk-{i}", 4))));

        using var clean = Json("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10");
        var features = clean.RootElement.GetProperty("features").EnumerateArray().ToList();
        Assert.All(features, f => Assert.Equal(3 * 4 * RowsPerCycle, Int(f, "samples")));
        Assert.All(features, f => Assert.False(f.TryGetProperty("shifted", out var s) && s.GetBoolean(), $"{f.GetProperty("name")} flagged on a clean replay: {f}"));
        var cleanText = Ok("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0", "--minutes", "10").StdOut;
        Assert.DoesNotContain("shifted", cleanText.Split('\n')[..^2].Aggregate((a, b) => a + b)); // only the rule line names it
        Assert.Matches(@"  sepal width \(cm\)\s+540\s+0\.0%\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+ \(ks\)", cleanText);

        // Sepal width read 0.5 cm high on one device: 3 cycles of 45 rows.
        var shifted = Temp.File("shifted.jsonl");
        File.WriteAllLines(shifted, File.ReadLines(Repo.Model("iris_classifier.confidence.jsonl")).Select(line =>
        {
            var row = System.Text.Json.Nodes.JsonNode.Parse(line)!;
            var data = row["inputs"]!["features"]!["data"]!.AsArray();
            data[1] = data[1]!.GetValue<double>() + 0.5;
            return row.ToJsonString();
        }));
        // Now, not a second earlier: the clean agents' last flush can land within a second before this line.
        var since = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        Agent("kiosk-9", 3, shifted);

        using var drifted = Json("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0", "--since", since);
        var byName = drifted.RootElement.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        var width = byName["sepal width (cm)"];
        Assert.Equal(3 * RowsPerCycle, Int(width, "samples"));
        Assert.True(width.GetProperty("shifted").GetBoolean(), width.ToString());
        Assert.True(width.GetProperty("pValue").GetDouble() < 0.01);
        Assert.All(byName.Where(kv => kv.Key.Contains("length", StringComparison.Ordinal)).Select(kv => kv.Value), f => Assert.False(f.TryGetProperty("shifted", out var s) && s.GetBoolean(), f.ToString()));
        Assert.Matches(@"  sepal width \(cm\)\s+135\s+0\.0%\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+<0\.0001 \(ks\)  <- shifted", Ok("monitor", "drift", "--model", "iris-classifier", "--version", "1.0.0", "--since", since).StdOut);
    }

    [Fact]
    public void MonitorStatus_UnknownModel_ExitsTwoWithNotFound()
    {
        var run = Edge("monitor", "status", "--model", "no-such-model", "--version", "1.0.0");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: NotFound: no-such-model 1.0.0 is not published.", run.StdErr.Trim());
        Assert.Empty(run.StdOut);
    }

    private void Agent(string device, int cycles, string? traffic = null)
    {
        var dir = Temp.File(device);
        Directory.CreateDirectory(dir);
        var key = Path.Combine(dir, "assignment.pub");
        File.WriteAllText(key, Server.AssignmentPublicKeyPem);
        SampleTrust.Create(Path.Combine(dir, "trust"));
        var run = ProcessRunner.Run(EdgePath, [
            "agent", "--server", Server.Address.ToString(), "--device-id", device, "--server-key", key, "--store", Path.Combine(dir, "store"),
            "--trust", Path.Combine(dir, "trust"), "--telemetry", Path.Combine(dir, "telemetry.db"), "--interval", "0.2", "--cycles", cycles.ToString(CultureInfo.InvariantCulture),
            "--traffic", traffic ?? Repo.Model("iris_classifier.confidence.jsonl")], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string> { ["EDGE_ENROLLMENT_TOKEN"] = UpdateServerHost.EnrollmentToken });
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(cycles, run.StdOut.Split('\n').Count(l => l.Contains($"served {RowsPerCycle} labelled rows", StringComparison.Ordinal)));
        Assert.Contains("stopping: last health and telemetry sent", run.StdOut);
    }

    private static long Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : 0; // int64 is a JSON string; 0 is left out

    private JsonDocument Json(params string[] args) => JsonDocument.Parse(Ok([.. args, "--json"]).StdOut);
}
