using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class SessionHookTests
{
    [Fact]
    public void Load_ConfigureSessionAndConfigEntry_AppliedToTheSession()
    {
        using var dir = new TempDirectory();
        var optimized = Path.Combine(dir.Path, "iris.ort");
        var calls = 0;
        var options = new EdgeModelOptions
        {
            ExecutionProvider = ExecutionProviderKind.Cpu,
            SessionConfigEntries = new Dictionary<string, string> { ["session.save_model_format"] = "ORT" },
            ConfigureSession = o =>
            {
                calls++;
                o.OptimizedModelFilePath = optimized;
            },
        };

        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), options);

        Assert.Equal(1, calls);
        Assert.True(File.Exists(optimized), "the hook's OptimizedModelFilePath was not written");
        var header = File.ReadAllBytes(optimized)[4..8];
        Assert.Equal("ORTM"u8.ToArray(), header); // the config entry chose ORT format over ONNX
        var bad = Assert.Throws<EdgeException>(() => model.Predict("features", EdgeTensor.Create(new float[3], [1, 3])));
        Assert.Equal(EdgeErrorCode.InputShapeMismatch, bad.Code); // validation is unchanged
    }

    [Fact]
    public void Load_ConfigureSessionThrows_ThrowsSessionConfigurationFailedNamingTheException()
    {
        var options = new EdgeModelOptions
        {
            ExecutionProvider = ExecutionProviderKind.Cpu,
            ConfigureSession = _ => throw new InvalidOperationException("no TensorRT here"),
        };

        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), options));

        Assert.Equal(EdgeErrorCode.SessionConfigurationFailed, ex.Code);
        Assert.Contains("InvalidOperationException: no TensorRT here", ex.Message);
        Assert.IsType<InvalidOperationException>(ex.InnerException);
    }

    [Fact]
    public void Load_ConfigureSessionMissingCustomOpLibrary_ThrowsSessionConfigurationFailed()
    {
        var options = new EdgeModelOptions
        {
            ExecutionProvider = ExecutionProviderKind.Cpu,
            ConfigureSession = o => o.RegisterCustomOpLibrary("/nonexistent/libcustom_ops.so"),
        };

        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), options));

        Assert.Equal(EdgeErrorCode.SessionConfigurationFailed, ex.Code);
        Assert.Contains("libcustom_ops.so", ex.Message);
    }

    [Fact]
    public void Load_SharedPrePackedWeights_BothModelsPredictAsAlone()
    {
        using var container = new PrePackedWeightsContainer();
        var options = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu, PrePackedWeights = container };
        var image = EdgeTensor.Create(ConvenientPathTests.Floats(3 * 16 * 16, seed: 4), [1, 3, 16, 16]);

        using var a = EdgeModel.Load(Repo.Model("cnn_dynamic.onnx"), options);
        using var b = EdgeModel.Load(File.ReadAllBytes(Repo.Model("cnn_dynamic.onnx")), options);
        using var alone = EdgeModel.Load(Repo.Model("cnn_dynamic.onnx"));

        var expected = alone.Predict("image", image)["probabilities"].ToArray<float>();
        Assert.Equal(expected, a.Predict("image", image)["probabilities"].ToArray<float>());
        Assert.Equal(expected, b.Predict("image", image)["probabilities"].ToArray<float>());
    }
}
