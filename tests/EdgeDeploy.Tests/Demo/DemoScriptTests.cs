using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Demo;

/// <summary>The README's main command, end to end, with its key lines asserted (reusing the AOT-published `edge`).</summary>
[Collection(AotCollection.Name)]
public sealed class DemoScriptTests(AotArtifacts artifacts)
{
    [Fact]
    public void DemoScript_FreshRun_CompletesEveryStepAndTheFleetRollouts()
    {
        var run = ProcessRunner.Run(
            "bash",
            [Path.Combine(Repo.Root, "scripts", "demo.sh")],
            TimeSpan.FromMinutes(10),
            Repo.Root,
            new Dictionary<string, string> { ["EDGE_BIN"] = artifacts.RequireEdge() });

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
        Assert.Matches(@"health 2\.0\.0: \d+ requests, 0\.00% errors, p95 [\d.]+ ms, accuracy 0\.8667 on \d+ labels", output);
        Assert.Matches(@"iris-classifier 3\.0\.0  Staged  rolled_back", output);
        Assert.Matches(@"reason: health gate failed: [123] of 3 devices failed to install", output);
        Assert.Equal(6, System.Text.RegularExpressions.Regex.Matches(output, "runs iris-classifier 2.0.0").Count);
        Assert.Matches(@"accuracy 0\.8667 on \d+", output[output.IndexOf("== monitoring v2", StringComparison.Ordinal)..]);
        Assert.Matches(@"  petal length \(cm\)  \d+  0\.0%  \d\.\d{4}  \d\.\d{4}  \d\.\d{4}", output);
        var slices = output[output.IndexOf("== accuracy per model-card slice", StringComparison.Ordinal)..].ReplaceLineEndings("\n");
        var v1 = slices[slices.IndexOf("iris-classifier 1.0.0: slice", StringComparison.Ordinal)..slices.IndexOf("iris-classifier 2.0.0: slice", StringComparison.Ordinal)];
        Assert.Matches(@"  petal_length<2\.5\s+\d+\s+\d+  1\.0000 \(1\.0000 on 15\)\n", v1);
        Assert.Matches(@"  2\.5<=petal_length<5\s+\d+\s+\d+  0\.8\d{3} \(0\.8889 on 18\)\n", v1); // v1 gets 16 of these 18 right
        Assert.Matches(@"iris-classifier 2\.0\.0: slice .*\n(.*\n)*  2\.5<=petal_length<5\s+\d+\s+\d+  0\.7\d{3} \(0\.7222 on 18\)\n", slices); // v2: 13 of 18
        Assert.Matches(@"FIRING  iris-classifier 2\.0\.0  since .+  slice_metric\(2\.5<=petal_length<5\) of iris-classifier 2\.0\.0 is 0\.7\d* over the last 300 s", slices);
        Assert.Matches(@"\nconsole: http://127\.0\.0\.1:\d+/console  \(sign in with the operator token demo-operator\)\n", output.ReplaceLineEndings("\n"));
        Assert.EndsWith("demo complete\n", output.ReplaceLineEndings("\n"));
    }
}
