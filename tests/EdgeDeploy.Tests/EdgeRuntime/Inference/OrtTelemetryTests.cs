using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

/// <summary>
/// ONNX Runtime's official Linux builds send usage telemetry to Microsoft by default since 1.29, leaving a device id and
/// an event cache under ~/.cache/Microsoft/DeveloperTools/.onnxruntime (src/EdgeRuntime/Inference/OrtTelemetry.cs). An
/// offline device must not: the real binaries run with a fresh home and cache directory, which must stay empty.
/// </summary>
[Collection(AotCollection.Name)]
public sealed class OrtTelemetryTests(AotArtifacts artifacts) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Predict_EdgeCli_LeavesNoOnnxRuntimeTelemetryBehind()
    {
        // env -u: this test process has set the variable itself (it uses the runtime too), and children inherit it.
        var run = ProcessRunner.Run(
            "env", ["-u", "ORT_DISABLE_TELEMETRY", artifacts.RequireEdge(), "predict", Repo.Model("iris_classifier.onnx"), "-i", """{"features": [[6.7, 3.0, 5.2, 2.3]]}"""],
            TimeSpan.FromMinutes(1),
            environment: FreshHome());

        Assert.True(run.ExitCode == 0, run.All);
        AssertNothingWritten();
    }

    [Fact]
    public void Predict_CAbiInAPythonHost_LeavesNoOnnxRuntimeTelemetryBehind()
    {
        var library = Path.Combine(artifacts.RequireNativeLibrary(), "libedgeruntime.so");
        var run = ProcessRunner.Run(
            "bash", ["-c", $"unset ORT_DISABLE_TELEMETRY; echo '5.1 3.5 1.4 0.2' | python3 '{Path.Combine(Repo.Root, "samples", "native", "predict_iris.py")}' '{library}' '{Repo.Model("iris_classifier.edgepkg")}' '{Path.Combine(Repo.Models, "trust")}'"],
            TimeSpan.FromMinutes(1),
            environment: FreshHome());

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("label=0", run.StdOut, StringComparison.Ordinal); // it did load ONNX Runtime and predict
        AssertNothingWritten();
    }

    private Dictionary<string, string> FreshHome()
    {
        Directory.CreateDirectory(_temp.File("home"));
        Directory.CreateDirectory(_temp.File("cache"));
        return new Dictionary<string, string> { ["HOME"] = _temp.File("home"), ["XDG_CACHE_HOME"] = _temp.File("cache") };
    }

    private void AssertNothingWritten() =>
        Assert.Equal(
            [_temp.File("cache"), _temp.File("home")],
            Directory.GetFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
}
