using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Device.Store.Gate;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary><c>edge store install</c> (the AOT binary) prints the gate's load and peak memory, latency and metrics.</summary>
[Collection(AotCollection.Name)]
public sealed class StoreGateCliTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public StoreGateCliTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void StoreInstall_RunOverMemoryBudget_ExitsThreeNamingLoadAndPeak()
    {
        var trust = _temp.File("trust");
        SampleTrust.Create(trust);
        var package = _temp.File("hog.edgepkg");
        using (var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key")))
        {
            File.WriteAllBytes(package, GatePackages.MemoryHog(key, "iris-memory-hog"));
        }

        var run = ProcessRunner.Run(_edge, ["store", "install", package, "--store", _temp.File("store"), "--trust", trust, "--memory-budget", (128L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 3, run.All);
        Assert.Matches(@"rejected: iris-memory-hog 1\.0\.0 failed: needs \d+ bytes of memory at its peak while running \(load \d+\); the budget is 134217728", run.StdOut);
        Assert.Matches(@"memory: load \d+\.\d MiB, peak (2[5-9]\d|[3-9]\d\d|\d{4,})\.\d MiB", run.StdOut);
    }

    [Fact]
    public void StoreInstall_UnfairToOneGroup_ExitsThreeNamingTheGroupMetricAndRatio()
    {
        var trust = _temp.File("trust");
        SampleTrust.Create(trust);
        var package = _temp.File("credit.edgepkg");
        using (var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key")))
        {
            File.WriteAllBytes(package, FairnessPackages.Build(key, "fairness_biased", "iris-fairness", "1.0.0", validity: TimeSpan.FromDays(3650)));
        }

        var run = ProcessRunner.Run(_edge, ["store", "install", package, "--store", _temp.File("store"), "--trust", trust], TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 3, run.All);
        Assert.Matches(@"rejected: iris-fairness 1\.0\.0 failed: fairness: positive_rate_ratio@group=1 is 0\.3746, outside the acceptable disparity \[0\.8, 1\.25\] \(group 'group=1' positive rate 0\.1917 on 600 cases vs reference 'group=0' 0\.5117 on 600\)", run.StdOut);
        Assert.Contains("metric: fnr_ratio@group=1 4.45455 in [0.8, 1.25] on 600 cases (outside) (group 'group=1' fnr 0.6323 on 310 cases vs reference 'group=0' 0.1419 on 310)", run.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void StoreInstall_DeviceLatencyLimit_PrintsMeasuredP95AndMetrics()
    {
        var trust = _temp.File("trust");
        SampleTrust.Create(trust);
        var package = _temp.File("iris.edgepkg");
        var gate = new GateSpec
        {
            LatencyBudgets = [new LatencyBudget { Shape = [1, 4], P95Milliseconds = 10_000 }],
            Metrics = [new MetricSpec { Kind = GateMetricKind.TopKAccuracy, Output = "probabilities", K = 2, Min = 0.9, Max = 1 }],
        };
        using (var key = SigningKey.Load(Path.Combine(Repo.Models, "keys", "publisher.key")))
        {
            File.WriteAllBytes(package, PackageSigner.Sign(PackageFactory.BuildIris(validity: TimeSpan.FromDays(3650), customise: b => b.WithGate(gate)), key));
        }

        var slow = ProcessRunner.Run(_edge, ["store", "install", package, "--store", _temp.File("slow"), "--trust", trust, "--latency-budget-ms", "0.000001"], TimeSpan.FromMinutes(2));
        var trust2 = _temp.File("trust2");
        SampleTrust.Create(trust2); // a second device
        var fine = ProcessRunner.Run(_edge, ["store", "install", package, "--store", _temp.File("fine"), "--trust", trust2], TimeSpan.FromMinutes(2));

        Assert.True(slow.ExitCode == 3, slow.All);
        Assert.Matches(@"latency: p95 \d+(\.\d+)? ms at features 1x4 over 20 runs, budget 0 ms \(over\)", slow.StdOut);
        Assert.True(fine.ExitCode == 0, fine.All);
        Assert.Matches(@"latency: p95 \d+(\.\d+)? ms at features 1x4 over 20 runs, budget 10000 ms\n", fine.StdOut.ReplaceLineEndings("\n"));
        Assert.Contains("metric: accuracy 0.933333 in [0.85, 1] on 45 cases", fine.StdOut, StringComparison.Ordinal);
        Assert.Contains("metric: top2_accuracy", fine.StdOut, StringComparison.Ordinal);
        Assert.Contains("memory: load ", fine.StdOut, StringComparison.Ordinal);
    }
}
