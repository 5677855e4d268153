using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Inference;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class EdgeModelLoadTests
{
    [Fact]
    public void Load_SampleClassifier_ExposesSchemaWithDynamicBatch()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));

        var input = Assert.Single(model.Schema.Inputs);
        Assert.Equal("features", input.Name);
        Assert.Equal(EdgeElementType.Float, input.ElementType);
        Assert.Equal([-1L, 4L], input.Shape);
        Assert.Equal("batch", input.DimensionNames[0]);
        Assert.False(input.IsFixedShape);
        Assert.Equal("features: float32[batch, 4]", input.ToString());
        Assert.Equal(["probabilities", "label"], model.Schema.Outputs.Select(o => o.Name));
        Assert.Equal(EdgeElementType.Int64, model.Schema.Outputs[1].ElementType);
        Assert.Equal("edgedeploy-make_models", model.Schema.ProducerName);
    }

    [Fact]
    public void Load_FromBytes_MatchesLoadFromFile()
    {
        using var fromFile = EdgeModel.Load(Repo.Model("diabetes_regressor.onnx"));
        using var fromBytes = EdgeModel.Load(File.ReadAllBytes(Repo.Model("diabetes_regressor.onnx")));
        var x = EdgeTensor.Create(Enumerable.Range(0, 10).Select(i => i * 0.01f).ToArray(), [1, 10]);

        Assert.Equal(
            fromFile.Predict("features", x)["prediction"].ToArray<float>(),
            fromBytes.Predict("features", x)["prediction"].ToArray<float>());
    }

    [Fact]
    public void Load_MissingFile_ThrowsModelNotFound()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load("/nonexistent/model.onnx"));
        Assert.Equal(EdgeErrorCode.ModelNotFound, ex.Code);
        Assert.Contains("/nonexistent/model.onnx", ex.Message);
    }

    [Fact]
    public void Load_GarbageBytes_ThrowsInvalidModel()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load("this is not an onnx model"u8.ToArray()));
        Assert.Equal(EdgeErrorCode.InvalidModel, ex.Code);
        Assert.StartsWith("The model could not be loaded:", ex.Message);
    }

    [Fact]
    public void Load_TruncatedModel_ThrowsInvalidModel()
    {
        var bytes = File.ReadAllBytes(Repo.Model("iris_classifier.onnx"));
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(bytes[..(bytes.Length / 2)]));
        Assert.Equal(EdgeErrorCode.InvalidModel, ex.Code);
    }

    [Fact]
    public void Load_EmptyBytes_ThrowsInvalidModel()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Array.Empty<byte>()));
        Assert.Equal(EdgeErrorCode.InvalidModel, ex.Code);
        Assert.Equal("The model bytes are empty.", ex.Message);
    }

    [Fact]
    public void Load_FileOverSizeLimit_ThrowsPayloadTooLargeWithoutReading()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { MaxModelBytes = 100 }));
        Assert.Equal(EdgeErrorCode.PayloadTooLarge, ex.Code);
        Assert.Contains("over the configured limit of 100 bytes", ex.Message);
    }

    [Fact]
    public void Load_NegativeThreads_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { IntraOpThreads = -1 }));
        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public void Load_CudaRequestedOnCpuBuild_ThrowsExecutionProviderUnavailable()
    {
        Assert.DoesNotContain(SessionFactory.CudaProviderName, SessionFactory.LoadedProviders());

        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cuda }));

        Assert.Equal(EdgeErrorCode.ExecutionProviderUnavailable, ex.Code);
        Assert.Contains("CUDA was requested but is unavailable", ex.Message);
        Assert.Contains("no CUDA execution provider", ex.Message);
        Assert.Contains("EdgeOnnxRuntimeGpu=true", ex.Message);
    }

    [Fact]
    public void Load_AutoOnCpuBuild_RunsOnCpuAndReportsWhy()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Auto });

        Assert.Equal(ExecutionProviderKind.Auto, model.ExecutionProvider.Requested);
        Assert.Equal(ExecutionProviderKind.Cpu, model.ExecutionProvider.Active);
        Assert.Contains("no CUDA execution provider", model.ExecutionProvider.FallbackReason);
        Assert.Contains("CPUExecutionProvider", model.ExecutionProvider.AvailableProviders);
    }

    [Fact]
    public void Load_CpuRequested_ReportsNoFallback()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });

        Assert.Equal(ExecutionProviderKind.Cpu, model.ExecutionProvider.Active);
        Assert.Null(model.ExecutionProvider.FallbackReason);
    }

    [Fact]
    public void Open_AutoWhenCudaListedButFailsToStart_FallsBackToCpuWithOrtReason()
    {
        // Pretend the build lists CUDA: ORT's real AppendExecutionProvider_CUDA then fails on this CPU-only build,
        // which is the same path a GPU build takes on a machine without a usable device.
        var path = Repo.Model("iris_classifier.onnx");
        using var model = EdgeModel.Open(o => new InferenceSession(path, o), new EdgeModelOptions(), path, ["CUDAExecutionProvider", "CPUExecutionProvider"]);

        Assert.Equal(ExecutionProviderKind.Cpu, model.ExecutionProvider.Active);
        Assert.StartsWith("CUDA device 0 could not start:", model.ExecutionProvider.FallbackReason);
        var prediction = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f));
        Assert.Equal(0L, prediction["label"].AsSpan<long>()[0]);
    }

    [Fact]
    public void Open_CudaWhenListedButFailsToStart_ThrowsExecutionProviderUnavailable()
    {
        var path = Repo.Model("iris_classifier.onnx");
        var ex = Assert.Throws<EdgeException>(() => EdgeModel.Open(
            o => new InferenceSession(path, o),
            new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cuda, CudaDeviceId = 3 },
            path,
            ["CUDAExecutionProvider", "CPUExecutionProvider"]));

        Assert.Equal(EdgeErrorCode.ExecutionProviderUnavailable, ex.Code);
        Assert.Contains("CUDA device 3 could not start", ex.Message);
    }

    [Fact]
    public void Predict_AfterDispose_ThrowsDisposed()
    {
        var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        model.Dispose();

        var ex = Assert.Throws<EdgeException>(() => model.Predict("features", TestSets.IrisRow(1, 2, 3, 4)));
        Assert.Equal(EdgeErrorCode.Disposed, ex.Code);
    }
}
