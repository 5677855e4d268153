using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.UpdateServer;

/// <summary>The server process refusing to start: a coded line on stderr and exit 2, not an unhandled exception.</summary>
public sealed class ServerStartupTests
{
    private static readonly string Dll = Path.Combine(Repo.Root, "src", "UpdateServer", "bin", "Release", "net10.0", "EdgeDeploy.UpdateServer.dll");

    [Fact]
    public void Start_CleartextOnAPublicAddress_ExitsTwoWithACodedLine()
    {
        using var temp = new TempDirectory();
        var trust = temp.File("trust");
        SampleTrust.Create(trust);

        var run = Server(temp, trust, "--urls", "http://0.0.0.0:0");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.StartsWith("error: ConfigurationInvalid: ", line);
        Assert.Contains("0.0.0.0", line);
        Assert.DoesNotContain("Unhandled exception", run.All); // a refusal, not a crash (exit 134 before)
    }

    [Fact]
    public void Start_TrustDirectoryWithoutRoot_ExitsTwoNamingIt()
    {
        using var temp = new TempDirectory();
        var trust = temp.File("empty-trust");
        Directory.CreateDirectory(trust);

        var run = Server(temp, trust, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("root.json", run.StdErr);
        Assert.Contains("error: ", run.StdErr);
        Assert.DoesNotContain("Unhandled exception", run.All);
    }

    private static ProcessResult Server(TempDirectory temp, string trust, params string[] extra) => ProcessRunner.Run(
        "dotnet",
        [Dll, .. extra, "--EdgeDeploy:HttpUrls=", $"--EdgeDeploy:DataDirectory={temp.File("data")}", $"--EdgeDeploy:TrustDirectory={trust}",
         $"--EdgeDeploy:OperatorToken={UpdateServerHost.OperatorToken}", $"--EdgeDeploy:EnrollmentToken={UpdateServerHost.EnrollmentToken}"],
        TimeSpan.FromMinutes(1),
        workingDirectory: temp.Path);
}
