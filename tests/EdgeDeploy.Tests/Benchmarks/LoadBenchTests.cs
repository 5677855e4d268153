using System.Text.RegularExpressions;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Benchmarks;

/// <summary>Keeps the load harness working: a short run must print its figures with no failed check-ins (no timing asserted).</summary>
[Collection(AotCollection.Name)] // builds in child processes: serialised with the other tests that build
public sealed class LoadBenchTests
{
    [Fact]
    public void LoadBench_ShortRun_PrintsThroughputAndLatencyWithoutErrors()
    {
        var run = ProcessRunner.Run(
            "dotnet",
            ["run", "-c", "Release", "--project", Path.Combine(Repo.Root, "benchmarks", "LoadBench"), "--", "--devices", "50", "--seconds", "1", "--warmup", "1", "--concurrency", "8", "--connections", "2"],
            TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.All);
        var measured = Regex.Matches(run.StdOut, @"measured\s+(\d+) check-ins/s\s+p50 [\d.]+ ms\s+p99 [\d.]+ ms\s+errors (\d+)");
        Assert.Equal(2, measured.Count);
        Assert.All(measured, m => Assert.True(long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0));
        Assert.All(measured, m => Assert.Equal("0", m.Groups[2].Value));
        Assert.Equal(2, Regex.Matches(run.StdOut, @"server\s+[\d.]+ us CPU per check-in").Count);
    }

    [Fact]
    public void LoadBench_TelemetryShortRun_PrintsRecordsPerSecond()
    {
        var run = ProcessRunner.Run(
            "dotnet",
            ["run", "-c", "Release", "--project", Path.Combine(Repo.Root, "benchmarks", "LoadBench"), "--", "--telemetry", "--seconds", "1", "--warmup", "1", "--streams", "2", "--batch", "100"],
            TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.All);
        var stored = Regex.Match(run.StdOut, @"measured\s+(\d+) records/s stored");
        Assert.True(stored.Success, run.StdOut);
        Assert.True(long.Parse(stored.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Matches(@"server\s+[\d.]+ us CPU per record", run.StdOut);
    }
}
