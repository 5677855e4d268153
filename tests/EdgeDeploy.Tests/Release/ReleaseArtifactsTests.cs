using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Release;

/// <summary>
/// What an operator installs from: the release tarball (built by scripts/release.sh from the run's AOT publishes), its
/// systemd units (systemd-analyze verify, with the paths pointed at the unpacked tarball), and the `dotnet tool` package.
/// </summary>
[Collection(AotCollection.Name)] // reuses the published edge and libedgeruntime.so; builds in child processes
public sealed class ReleaseArtifactsTests : IDisposable
{
    private readonly AotArtifacts _artifacts;
    private readonly TempDirectory _temp = new();

    public ReleaseArtifactsTests(AotArtifacts artifacts) => _artifacts = artifacts;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ReleaseScript_Tarball_RunsEdgeOnTheSamplePackageAndItsUnitsVerify()
    {
        var edge = _artifacts.RequireEdge();
        var native = _artifacts.RequireAgentLibrary();
        var build = ProcessRunner.Run("bash", [Path.Combine(Repo.Root, "scripts/release.sh"), "0.1.0-test"], TimeSpan.FromMinutes(10), workingDirectory: Repo.Root, environment: new Dictionary<string, string>
        {
            ["EDGE_PUBLISHED"] = Path.GetDirectoryName(edge)!,
            ["NATIVE_PUBLISHED"] = native,
        });
        Assert.True(build.ExitCode == 0, build.All);
        var tarball = Path.Combine(Repo.Root, build.StdOut.Trim().Split('\n')[^1]);
        Assert.EndsWith("edgedeploy-0.1.0-test-linux-x64.tar.gz", tarball);

        var unpack = ProcessRunner.Run("tar", ["-xzf", tarball, "-C", _temp.Path], TimeSpan.FromMinutes(2));
        Assert.True(unpack.ExitCode == 0, unpack.All);
        var root = _temp.File("edgedeploy-0.1.0-test-linux-x64");
        foreach (var file in new[] { "bin/edge", "bin/edge-net", "bin/libonnxruntime.so", "bin/libe_sqlite3.so", "lib/libe_sqlite3.so", "lib/libedgeruntime.so", "lib/libedgeagent.so", "lib/libonnxruntime.so", "include/edgeruntime.h", "include/edgeagent.h", "server/EdgeDeploy.UpdateServer", "systemd/edgedeploy-server.service", "systemd/edge-agent.service", "samples/predict_iris.c", "LICENSE", "README.md" })
        {
            Assert.True(File.Exists(Path.Combine(root, file)), $"{file} is missing from the tarball");
        }

        // The unpacked edge, not the one from the build tree, verifies and serves the signed sample package.
        var released = Path.Combine(root, "bin/edge");
        var trust = _temp.File("trust");
        Run(released, "root", "trust", "--trust", trust, Path.Combine(Repo.Models, "trust", "root-v1.json"));
        Run(released, "root", "update", "--trust", trust, Path.Combine(Repo.Models, "trust", "root.json"));
        Assert.StartsWith("valid: iris-classifier 1.0.0", Run(released, "verify", Repo.Model("iris_classifier.edgepkg"), "--trust", trust).StdOut);
        Assert.Contains("\"label\"", Run(released, "predict", Repo.Model("iris_classifier.onnx"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}""").StdOut);

        // Telemetry needs SQLite beside the binary (before it was in the tarball, this crashed with DllNotFoundException).
        var store = _temp.File("store");
        Run(released, "store", "install", Repo.Model("iris_classifier.edgepkg"), "--store", store, "--trust", trust);
        Assert.Contains("1.0.0", Run(released, "store", "predict", "--store", store, "--trust", trust, "--telemetry", _temp.File("telemetry.db"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}""").StdOut);
        Assert.True(new FileInfo(_temp.File("telemetry.db")).Length > 0);

        // A networked verb from the tarball: edge hands it to the edge-net beside it.
        Assert.Contains("--server", Run(released, "agent", "--help").StdOut);

        // systemd-analyze checks ExecStart exists and is executable, so point the units at the unpacked tree.
        foreach (var unit in new[] { "edgedeploy-server.service", "edge-agent.service" })
        {
            var text = File.ReadAllText(Path.Combine(root, "systemd", unit)).Replace("/opt/edgedeploy/server", Path.Combine(root, "server"), StringComparison.Ordinal).Replace("/opt/edgedeploy/bin", Path.Combine(root, "bin"), StringComparison.Ordinal);
            var path = _temp.File(unit);
            File.WriteAllText(path, text);
            var verify = ProcessRunner.Run("systemd-analyze", ["verify", path], TimeSpan.FromMinutes(1));
            Assert.True(verify.ExitCode == 0 && verify.StdErr.Trim().Length == 0, $"{unit}: {verify.All}");
            Assert.Contains("Type=notify", text);
            Assert.Contains("NoNewPrivileges=yes", text);
            Assert.Contains("ProtectSystem=strict", text);
        }
    }

    [Fact]
    public void DotnetTool_InstalledFromALocalFeed_RunsVersion()
    {
        var version = $"0.1.0-tool.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        var feed = _temp.File("feed");
        var pack = ProcessRunner.Run("dotnet", ["pack", Path.Combine(Repo.Root, "src/Edge.Cli"), "-c", "Release", "-o", feed, $"-p:Version={version}", "-nologo"], TimeSpan.FromMinutes(10));
        Assert.True(pack.ExitCode == 0, pack.All);
        Assert.True(File.Exists(Path.Combine(feed, $"EdgeDeploy.Cli.{version}.nupkg")), pack.All);

        var tools = _temp.File("tools");
        var install = ProcessRunner.Run("dotnet", ["tool", "install", "EdgeDeploy.Cli", "--version", version, "--tool-path", tools, "--add-source", feed], TimeSpan.FromMinutes(5), workingDirectory: _temp.Path);
        Assert.True(install.ExitCode == 0, install.All);

        var run = ProcessRunner.Run(Path.Combine(tools, "edge"), ["--version"], TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, run.All);
        Assert.StartsWith(version, run.StdOut.Trim());
    }

    private static ProcessResult Run(string executable, params string[] args)
    {
        var result = ProcessRunner.Run(executable, args, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: {result.All}");
        return result;
    }
}
