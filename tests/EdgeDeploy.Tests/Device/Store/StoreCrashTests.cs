using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.Device.Store;

/// <summary>
/// kill -9 during activation: a real `edge store install` child process is stopped at a named step and killed with
/// SIGKILL; on restart the store must serve a valid model, old or new depending on whether the pointer rename happened.
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

    private static ModelStore Open(string dir, TrustStore trust) => ModelStore.Open(new ModelStoreOptions
    {
        Directory = Path.Combine(dir, "store"),
        Trust = trust,
        ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
    });
}
