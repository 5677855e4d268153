using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>
/// kill -9 during activation: a real `edge store install` child process is stopped at a named step and killed with
/// SIGKILL; on restart the store must serve a valid model, old or new depending on whether the pointer rename happened.
/// A power cut is covered by order: each rename is flushed with its directory before the pointer names the version.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class StoreCrashTests : IDisposable
{
    private readonly string _edge;
    private readonly TempDirectory _temp = new();

    public StoreCrashTests(AotArtifacts artifacts)
    {
        _edge = artifacts.RequireEdge();
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("staged", "1.0.0")]
    [InlineData("version-written", "1.0.0")]
    [InlineData("pointer-temp-written", "1.0.0")]
    [InlineData("pointer-renamed", "2.0.0")]
    public void Install_KilledAtStep_RestartServesAValidModel(string step, string expectedActive)
    {
        var dir = _temp.File(step);
        var trustDir = Path.Combine(dir, "trust");
        var trust = SampleTrust.Create(trustDir);
        using (var store = Open(dir, trust))
        {
            Assert.Equal(InstallOutcome.Activated, store.Install(Repo.Model("iris_classifier.edgepkg")).Outcome);
        }

        var v2 = Path.Combine(dir, "iris-2.0.0.edgepkg");
        File.WriteAllBytes(v2, UpdateServer.SamplePackages.Iris("2.0.0"));

        var line = ProcessRunner.KillWhen(
            _edge,
            ["store", "install", v2, "--store", Path.Combine(dir, "store"), "--trust", trustDir],
            l => l == $"paused at {step}",
            TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["EDGE_STORE_PAUSE_AT"] = step });
        Assert.Equal($"paused at {step}", line);

        using var reopened = Open(dir, TrustStore.Open(trustDir));
        Assert.Equal(expectedActive, reopened.ActiveVersion);
        var served = reopened.Predict(ModelStoreTests.Row([6.7f, 3.0f, 5.2f, 2.3f]));
        Assert.Equal(expectedActive, served.Version);
        Assert.Equal(2L, served.Prediction["label"].AsSpan<long>()[0]);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "store", "staging")));

        // Finishing the interrupted install afterwards works and serves the new version.
        var again = reopened.Install(v2);
        Assert.Contains(again.Outcome, new[] { InstallOutcome.Activated, InstallOutcome.AlreadyActive });
        Assert.Equal("2.0.0", reopened.ActiveVersion);
    }

    [Fact]
    public void Open_ActiveVersionDamagedOnDisk_FallsBackToPreviousVersion()
    {
        var dir = _temp.File("damaged");
        var trust = SampleTrust.Create(Path.Combine(dir, "trust"));
        using (var store = Open(dir, trust))
        {
            store.Install(Repo.Model("iris_classifier.edgepkg"));
            store.Install(UpdateServer.SamplePackages.Iris("2.0.0"));
        }

        var package = Path.Combine(dir, "store", "versions", "2.0.0", "package.edgepkg");
        File.WriteAllBytes(package, ZipEdit.Replace(File.ReadAllBytes(package), "model.onnx", b => [.. b[..^1], (byte)(b[^1] ^ 1)]));

        using var reopened = Open(dir, trust);
        Assert.Equal("1.0.0", reopened.ActiveVersion);
        Assert.Equal("1.0.0", reopened.Predict(ModelStoreTests.Row([5.1f, 3.5f, 1.4f, 0.2f])).Version);
    }

    [Fact]
    public void Install_PowerCut_EveryRenameIsFlushedWithItsDirectoryBeforeThePointerNamesTheVersion()
    {
        // kill -9 cannot undo a rename, a power cut can, unless the directory was flushed: a shim in the real edge
        // process (LD_PRELOAD; edge binds libc at link time, so its own calls pass through it too) logs each rename and
        // fsync in order.
        var shim = _temp.File("fs_trace.so");
        var gcc = ProcessRunner.Run("gcc", ["-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", shim, Path.Combine(Repo.Root, "tests", "EdgeDeploy.Tests", "Device", "Store", "Native", "fs_trace.c"), "-ldl"], TimeSpan.FromMinutes(1));
        Assert.True(gcc.ExitCode == 0, gcc.All);
        var dir = _temp.File("power");
        var trustDir = Path.Combine(dir, "trust");
        SampleTrust.Create(trustDir);
        var store = Path.Combine(dir, "store");
        Assert.Equal(0, ProcessRunner.Run(_edge, ["store", "install", Repo.Model("iris_classifier.edgepkg"), "--store", store, "--trust", trustDir], TimeSpan.FromMinutes(1)).ExitCode);
        var v2 = Path.Combine(dir, "iris-2.0.0.edgepkg");
        File.WriteAllBytes(v2, UpdateServer.SamplePackages.Iris("2.0.0"));
        var trace = _temp.File("trace.log");

        var install = ProcessRunner.Run(
            _edge, ["store", "install", v2, "--store", store, "--trust", trustDir], TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string> { ["LD_PRELOAD"] = shim, ["EDGE_FS_TRACE"] = trace });

        Assert.True(install.ExitCode == 0, install.All);
        var log = File.ReadAllLines(trace).Select(l => l.Split(' ')).ToList();
        var renames = log.Select((l, i) => (Line: l, Index: i)).Where(e => e.Line[0] == "rename" && e.Line[2].StartsWith(store + "/", StringComparison.Ordinal)).ToList();
        var commit = renames.Single(r => r.Line[2] == Path.Combine(store, "active.json")).Index;
        Assert.Contains(renames, r => r.Line[2] == Path.Combine(store, "versions", "2.0.0", "package.edgepkg"));
        Assert.All(renames, r =>
        {
            // Flushed after the rename, and (for everything but the pointer itself) before the pointer names the version.
            var flushed = log.FindIndex(r.Index + 1, l => l[0] == "fsync" && l[1] == Path.GetDirectoryName(r.Line[2]));
            Assert.True(flushed > r.Index && (r.Index == commit || flushed < commit), $"{string.Join(' ', r.Line)} is not followed by an fsync of its directory in time:\n{string.Join('\n', log.Select(l => string.Join(' ', l)))}");
        });
        var versionsFlushed = log.FindIndex(l => l[0] == "fsync" && l[1] == Path.Combine(store, "versions"));
        Assert.InRange(versionsFlushed, 0, commit); // versions/2.0.0's own entry
        Assert.True(log.Skip(commit + 1).Any(l => l[0] == "fsync" && l[1] == store), "the pointer's rename is never flushed");
    }

    private static ModelStore Open(string dir, TrustStore trust) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = Path.Combine(dir, "store"),
        Trust = trust,
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });
}
