using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Demo;

/// <summary>The README's main command, end to end, with its key lines asserted (reusing the AOT-published `edge`).</summary>
[Collection(AotCollection.Name)]
public sealed class DemoScriptTests(AotArtifacts artifacts)
{
    [Fact]
    public void DemoScript_FreshRun_CompletesEveryStepAndTheFleetRollouts()
    {
        // The demo's output goes to a temporary directory: a test run never overwrites the user's artifacts/demo.
        using var demoDir = new TempDirectory();
        var demoOut = Path.Combine(Repo.Root, "artifacts", "demo");
        var userDemo = Directory.Exists(demoOut) ? Directory.GetLastWriteTimeUtc(demoOut) : (DateTime?)null;
        var run = ProcessRunner.Run(
            "bash",
            [Path.Combine(Repo.Root, "scripts", "demo.sh")],
            TimeSpan.FromMinutes(10),
            Repo.Root,
            new Dictionary<string, string> { ["EDGE_BIN"] = artifacts.RequireEdge(), ["EDGE_DEMO_OUT"] = demoDir.Path });
        Assert.Equal(userDemo, Directory.Exists(demoOut) ? Directory.GetLastWriteTimeUtc(demoOut) : null);

        Assert.True(run.ExitCode == 0, run.All);
        var output = run.StdOut;
        Assert.Contains("valid: iris-classifier 1.0.0 signed by publisher 'sample-publisher'", output);
        Assert.Contains("invalid: SignatureInvalid", run.All); // the demo changes a byte of the signed manifest
        Assert.Contains("rejected: ", output); // the store gate refuses 3.0.0
        Assert.Contains("published: iris-classifier 2.0.0", output);
        Assert.Matches(@"iris-classifier 1\.0\.0  AllAtOnce  completed  stage 1/1 \(100%\)\s+devices: 6 targeted, 6 installed, 0 failed", output);
        Assert.Contains("-- stage 1 passed its gates:", output);
        Assert.Matches(@"iris-classifier 2\.0\.0  Staged  active  stage 2/2 \(100%\)", output);
        Assert.Matches(@"iris-classifier 2\.0\.0  Staged  completed  stage 2/2 \(100%\)\s+devices: 6 targeted, 6 installed", output);
        Assert.Matches(@"health 2\.0\.0 since the stage started \(\d\d:\d\d:\d\d UTC\): \d+ requests, 0\.00% errors, latency p95 \d+\.\d{3} ms, accuracy 0\.8667 on \d+ labels", output);
        Assert.Matches(@"iris-classifier 3\.0\.0  Staged  rolled_back", output);
        Assert.Matches(@"reason: health gate failed: [123] of 3 devices failed to install or stopped reporting \(\d failed, \d silent past \d+ s\); the install gate \(at least \d+% must succeed\) allows none", output);
        Assert.DoesNotContain("at most 0 may", output);
        Assert.Equal(7, System.Text.RegularExpressions.Regex.Matches(output, "runs iris-classifier 2.0.0").Count); // the six kiosks and the seventh with the shifted sensor
        Assert.Matches(@"      6 stopping: last health and telemetry sent", output); // every agent flushed its last cycle

        // One window, every view: the same request count (health reports, telemetry records, drift samples, slice totals).
        var monitoring = output[output.IndexOf("== monitoring v2", StringComparison.Ordinal)..output.IndexOf("== a seventh device", StringComparison.Ordinal)];
        var status = System.Text.RegularExpressions.Regex.Match(monitoring, @"\n  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d-\d\d:\d\d:\d\d\s+(\d+)  0\.00% errors  [\d.]+/[\d.]+/[\d.]+ ms  accuracy 0\.8667 on (\d+) labels  \|  (\d+) records");
        Assert.True(status.Success, monitoring);
        var requests = status.Groups[1].Value;
        Assert.Equal((requests, requests), (status.Groups[2].Value, status.Groups[3].Value));
        Assert.Matches(@$"\n  petal length \(cm\)\s+{requests}\s+0\.0%\s+\d\.\d{{4}}\s+\d\.\d{{4}}\s+\d\.\d{{4}}\s+[\d.]+ \(ks\)\n", monitoring);
        Assert.DoesNotContain("<- shifted", monitoring); // the clean replay: no feature flagged
        Assert.Matches(@$"iris-classifier 2\.0\.0: slice .*\n  all predictions\s+{requests}\s+{requests}  0\.8667\n", monitoring.ReplaceLineEndings("\n"));
        var shifted = output[output.IndexOf("== a seventh device", StringComparison.Ordinal)..];
        Assert.Matches(@"\n  sepal width \(cm\)\s+135\s+0\.0%\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+<?[\d.]+ \(ks\)  <- shifted\n", shifted.ReplaceLineEndings("\n"));
        Assert.DoesNotMatch(@"  (sepal|petal) length \(cm\).*<- shifted", shifted); // the untouched features stay put
        Assert.DoesNotContain("warning", run.All, StringComparison.OrdinalIgnoreCase);
        var slices = output[output.IndexOf("== accuracy per model-card slice", StringComparison.Ordinal)..].ReplaceLineEndings("\n");
        var v1 = slices[slices.IndexOf("iris-classifier 1.0.0: slice", StringComparison.Ordinal)..slices.IndexOf("iris-classifier 2.0.0: slice", StringComparison.Ordinal)];
        Assert.Matches(@"  petal_length<2\.5\s+\d+\s+\d+  1\.0000 \(1\.0000 on 15\)\n", v1);
        Assert.Matches(@"  2\.5<=petal_length<5\s+\d+\s+\d+  0\.8\d{3} \(0\.8889 on 18\)\n", v1); // v1 gets 16 of these 18 right
        Assert.Matches(@"iris-classifier 2\.0\.0: slice .*\n(.*\n)*  2\.5<=petal_length<5\s+\d+\s+\d+  0\.7\d{3} \(0\.7222 on 18\)\n", slices); // v2: 13 of 18
        Assert.Matches(@"FIRING  iris-classifier 2\.0\.0  since .+  slice_metric\(2\.5<=petal_length<5\) of iris-classifier 2\.0\.0 is 0\.7\d* over the last 300 s", slices);
        Assert.Matches(@"\nconsole: http://127\.0\.0\.1:\d+/console  \(sign in with the operator token demo-operator\)\n", output.ReplaceLineEndings("\n"));
        // The loop: the drift alert reaches the receiver as a signed webhook, which exports, retrains and publishes 2.1.0;
        // it rolls out through its stages to the seven devices.
        Assert.Matches(@"FIRING  iris-classifier 2\.0\.0  since .+  psi\(sepal width \(cm\)\) of iris-classifier 2\.0\.0 is [\d.]+ over the last 10 s", output);
        Assert.Matches(@"receiver: msg_\w+: psi\(sepal width \(cm\)\) of iris-classifier 2\.0\.0 is [\d.]+ \(threshold 0\.2\): retraining", output);
        Assert.Matches(@"retrain: iris-classifier 2\.1\.0 \(from 2\.0\.0, held-out accuracy 0\.\d+\) published and rolling out", output);
        Assert.Matches(@"iris-classifier 2\.1\.0  Staged  completed  stage 2/2 \(100%\)\s+devices: 7 targeted, 7 installed, 0 failed", output);
        Assert.EndsWith("demo complete\n", output.ReplaceLineEndings("\n"));
    }
}
