using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Aot;

[Collection(AotCollection.Name)]
public sealed class AotPublishTests
{
    private readonly AotArtifacts _artifacts;

    public AotPublishTests(AotArtifacts artifacts) => _artifacts = artifacts;

    [Fact]
    public void PublishAot_EdgeCli_SucceedsWithoutTrimOrAotWarnings()
    {
        AssertCleanPublish(_artifacts.Cli);
        Assert.True(File.Exists(_artifacts.Cli.Executable("edge")));
    }

    [Fact]
    public void PublishAot_SmokeProject_SucceedsWithoutTrimOrAotWarnings()
    {
        AssertCleanPublish(_artifacts.Smoke);
    }

    [Fact]
    public void Run_PublishedSmokeBinary_PassesEveryCheck()
    {
        AssertCleanPublish(_artifacts.Smoke);

        var run = ProcessRunner.Run(_artifacts.Smoke.Executable("aot-smoke"), [Repo.Models], TimeSpan.FromMinutes(1));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("ok   all element types", run.StdOut);
        Assert.Contains("ok   protobuf round trip", run.StdOut);
        Assert.EndsWith("aot-smoke: all checks passed", run.StdOut.TrimEnd());
    }

    [Fact]
    public void PublishAot_OurAssemblies_ReportTrimWarningsInDetail()
    {
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Runtime", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Abstractions", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Packaging", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Device", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Protos", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:aot-smoke", _artifacts.SmokeRsp);
        Assert.Contains("--nosinglewarnassembly:EdgeDeploy.Runtime", _artifacts.CliRsp);
        Assert.Contains("--nosinglewarnassembly:edge", _artifacts.CliRsp);
    }

    [Fact]
    public void PublishAot_TrimUnsafeCodeInOurAssembly_FailsThePublish()
    {
        Assert.NotEqual(0, _artifacts.Canary.Process.ExitCode);
        Assert.Contains("IL2057", _artifacts.Canary.Process.All);
        Assert.Contains("Canary.cs", _artifacts.Canary.Process.All);
    }

    private static void AssertCleanPublish(PublishResult publish)
    {
        Assert.True(publish.Process.ExitCode == 0, publish.Process.All);
        var warnings = publish.Process.All.Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(warnings.Count == 0, string.Join('\n', warnings));
        Assert.Contains("Generating native code", publish.Process.StdOut); // ILC ran, so its analysis ran
    }
}
