using System.Text;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Cli;

/// <summary>
/// The native AOT CLI's two binaries (src/Edge.Cli/EdgeNet.cs): `edge` carries the offline verbs only and hands the rest
/// to `edge-net` beside it. ServeCliTests checks the hand-over is an exec (same process id), ServeSharedOutboxTests and
/// CliHardeningTests that SIGTERM and sd_notify still reach the networked verbs.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class EdgeNetTests(AotArtifacts artifacts)
{
    [Fact]
    public void Publish_Edge_CarriesNoNetworkStackWhileEdgeNetDoes()
    {
        var edge = artifacts.RequireEdge();
        var edgeNet = Path.Combine(Path.GetDirectoryName(edge)!, "edge-net");
        Assert.True(File.Exists(edgeNet), "a native AOT publish of src/Edge.Cli puts edge-net beside edge");

        // Type and assembly names ILC keeps for what a binary reaches: Kestrel (edge serve), the gRPC client (agent,
        // fleet verbs) and Parquet (monitor export) belong to edge-net only.
        var offline = File.ReadAllBytes(edge);
        var complete = File.ReadAllBytes(edgeNet);
        foreach (var name in new[] { "Kestrel", "Grpc.Net.Client", "Parquet" })
        {
            var bytes = Encoding.ASCII.GetBytes(name);
            Assert.True(offline.AsSpan().IndexOf(bytes) < 0, $"edge carries {name}");
            Assert.True(complete.AsSpan().IndexOf(bytes) >= 0, $"edge-net lacks {name}: this check would prove nothing");
        }

        Assert.True(offline.Length < complete.Length / 2, $"edge {offline.Length} bytes, edge-net {complete.Length} bytes");

        // Each binary links to its own stripped symbols (a crash in `edge agent` must be symbolisable).
        var link = ProcessRunner.Run("readelf", ["--string-dump=.gnu_debuglink", edgeNet], TimeSpan.FromMinutes(1));
        Assert.Contains("edge-net.dbg", link.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(edgeNet + ".dbg"));
    }

    [Fact]
    public void Run_EdgeWithoutEdgeNet_PredictsAndNamesTheMissingBinaryForANetworkedVerb()
    {
        var published = Path.GetDirectoryName(artifacts.RequireEdge())!;
        using var temp = new TempDirectory();
        foreach (var file in new[] { "edge", "libonnxruntime.so", "libonnxruntime_providers_shared.so" })
        {
            File.Copy(Path.Combine(published, file), temp.File(file)); // keeps the execute bit
        }

        var predict = ProcessRunner.Run(temp.File("edge"), ["predict", Repo.Model("iris_classifier.onnx"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}"""], TimeSpan.FromMinutes(1));
        Assert.True(predict.ExitCode == 0, predict.All);
        Assert.StartsWith("""{"probabilities":""", predict.StdOut, StringComparison.Ordinal);

        // An offline verb's help and the version are answered by edge itself.
        var help = ProcessRunner.Run(temp.File("edge"), ["help", "store", "install"], TimeSpan.FromMinutes(1));
        Assert.True(help.ExitCode == 0, help.All);
        Assert.Contains("--memory-budget", help.StdOut, StringComparison.Ordinal);
        Assert.True(ProcessRunner.Run(temp.File("edge"), ["--version"], TimeSpan.FromMinutes(1)).ExitCode == 0);

        var agent = ProcessRunner.Run(temp.File("edge"), ["agent", "--help"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, agent.ExitCode);
        Assert.Equal(string.Empty, agent.StdOut);
        Assert.StartsWith($"error: FileNotFound: 'edge agent' runs in edge-net, which is not beside edge ({temp.File("edge-net")}).", agent.StdErr, StringComparison.Ordinal);

        // Copied without SQLite's library too: telemetry names what is missing (SQLite loads it on first use).
        var trust = temp.File("trust");
        SampleTrust.Create(trust);
        var store = temp.File("store");
        Assert.Equal(0, ProcessRunner.Run(temp.File("edge"), ["store", "install", Repo.Model("iris_classifier.edgepkg"), "--store", store, "--trust", trust], TimeSpan.FromMinutes(1)).ExitCode);
        var telemetry = ProcessRunner.Run(temp.File("edge"), ["store", "predict", "--store", store, "--trust", trust, "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}""", "--telemetry", temp.File("t.db")], TimeSpan.FromMinutes(1));
        Assert.Equal(2, telemetry.ExitCode);
        Assert.StartsWith("error: FileNotFound: SQLite's native library (libe_sqlite3) was not found", telemetry.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", telemetry.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_HelpAndAMistypedVerb_AnsweredForEveryVerbUnderTheNameEdge()
    {
        var edge = artifacts.RequireEdge();

        // edge-net answers both (the offline edge has no full command tree), under argv[0]'s name.
        var help = ProcessRunner.Run(edge, ["help"], TimeSpan.FromMinutes(1));
        Assert.True(help.ExitCode == 0, help.All);
        Assert.Contains("edge [command] [options]", help.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("edge-net", help.StdOut, StringComparison.Ordinal);
        foreach (var verb in new[] { "predict", "store", "agent", "serve", "rollout", "monitor" })
        {
            Assert.Contains($"\n  {verb} ", help.StdOut, StringComparison.Ordinal);
        }

        var typo = ProcessRunner.Run(edge, ["rolout", "status"], TimeSpan.FromMinutes(1));
        Assert.Equal(2, typo.ExitCode);
        Assert.StartsWith("error: Usage: Unrecognized command or argument 'rolout'. Did you mean 'rollout'?", typo.StdErr, StringComparison.Ordinal);
    }
}
