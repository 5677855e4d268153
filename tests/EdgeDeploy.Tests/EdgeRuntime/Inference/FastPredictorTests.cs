using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

public sealed class FastPredictorTests : IDisposable
{
    private readonly EdgeModel _iris = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));

    public void Dispose() => _iris.Dispose();

    [Fact]
    public void Run_CallerBuffers_MatchesPredictOnEveryTestRow()
    {
        var input = new float[4];
        var probabilities = new float[3];
        var label = new long[1];
        using var fast = _iris.CreateFastPredictor()
            .BindInput<float>("features", input, [1, 4])
            .BindOutput<float>("probabilities", probabilities, [1, 3])
            .BindOutput<long>("label", label, [1])
            .Build();

        foreach (var c in TestSets.ReadE2e(Repo.Model("iris_classifier.e2e.jsonl"), _iris.Schema))
        {
            c.Inputs["features"].AsSpan<float>().CopyTo(input);
            fast.Run();
            var expected = _iris.Predict(c.Inputs);
            Assert.Equal(expected["probabilities"].ToArray<float>(), probabilities);
            Assert.Equal(expected["label"].AsSpan<long>()[0], label[0]);
        }
    }

    [Fact]
    public void Run_SteadyState_AllocatesZeroManagedBytes()
    {
        using var fast = _iris.CreateFastPredictor().WithShape("features", [1, 4]).Build();
        new float[] { 5.1f, 3.5f, 1.4f, 0.2f }.CopyTo(fast.GetInput<float>("features"));
        for (var i = 0; i < 100; i++)
        {
            fast.Run();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            fast.Run();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(0L, fast.GetOutput<long>("label")[0]);
    }

    [Fact]
    public void Build_UnboundDynamicOutputs_ResolvesBatchFromInput()
    {
        using var fast = _iris.CreateFastPredictor().WithShape("features", [3, 4]).Build();

        Assert.Equal([3L, 3L], fast.GetShape("probabilities").ToArray());
        Assert.Equal([3L], fast.GetShape("label").ToArray());
        Assert.Equal(9, fast.GetOutput<float>("probabilities").Length);
    }

    [Fact]
    public void Build_DynamicInputWithoutShape_ThrowsNamingIt()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.CreateFastPredictor().Build());

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Equal("'features' has dynamic shape [batch, 4] and dimension 0 cannot be inferred; bind it or call WithShape.", ex.Message);
    }

    [Fact]
    public void BindInput_BufferLengthDiffersFromShape_ThrowsTensorDataMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.CreateFastPredictor().BindInput<float>("features", new float[5], [1, 4]));

        Assert.Equal(EdgeErrorCode.TensorDataMismatch, ex.Code);
        Assert.Equal("Input 'features' has shape [1, 4] (4 elements) but its buffer holds 5.", ex.Message);
    }

    [Fact]
    public void BindInput_WrongElementType_ThrowsInputTypeMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.CreateFastPredictor().BindInput<double>("features", new double[4], [1, 4]));

        Assert.Equal(EdgeErrorCode.InputTypeMismatch, ex.Code);
    }

    [Fact]
    public void BindOutput_WrongShape_ThrowsInvalidOutput()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.CreateFastPredictor().BindOutput<float>("probabilities", new float[4], [1, 4]));

        Assert.Equal(EdgeErrorCode.InvalidOutput, ex.Code);
        Assert.StartsWith("Output 'probabilities' has shape [1, 4] but the model expects [batch, 3]", ex.Message);
    }

    [Fact]
    public void BindInput_UnknownName_ThrowsUnexpectedInput()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.CreateFastPredictor().BindInput<float>("nope", new float[4], [1, 4]));

        Assert.Equal(EdgeErrorCode.UnexpectedInput, ex.Code);
    }

    [Fact]
    public void Run_NaNInCallerBuffer_ThrowsNonFiniteInput()
    {
        var input = new float[] { 1, 2, 3, 4 };
        using var fast = _iris.CreateFastPredictor().BindInput<float>("features", input, [1, 4]).Build();
        fast.Run();

        input[3] = float.NaN;
        var ex = Assert.Throws<EdgeException>(fast.Run);

        Assert.Equal(EdgeErrorCode.NonFiniteInput, ex.Code);
        Assert.Contains("at flat index 3", ex.Message);
    }

    [Fact]
    public void Build_StringModel_ThrowsInvalidArgumentPointingToPredict()
    {
        using var model = EdgeModel.Load(Repo.Model("all_types.onnx"));

        var ex = Assert.Throws<EdgeException>(() => model.CreateFastPredictor().Build());

        Assert.Contains("use EdgeModel.Predict", ex.Message);
    }

    [Fact]
    public void Run_AfterModelDisposed_KeepsWorkingUntilPredictorDisposed()
    {
        var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));
        var fast = model.CreateFastPredictor().WithShape("features", [1, 4]).Build();
        model.Dispose();

        new float[] { 6.7f, 3.0f, 5.2f, 2.3f }.CopyTo(fast.GetInput<float>("features"));
        fast.Run();
        Assert.Equal(2L, fast.GetOutput<long>("label")[0]);

        fast.Dispose();
        Assert.Throws<ObjectDisposedException>(fast.Run);
    }

    [Fact]
    public void GetOutput_WrongType_ThrowsInvalidArgument()
    {
        using var fast = _iris.CreateFastPredictor().WithShape("features", [1, 4]).Build();

        var ex = Assert.Throws<EdgeException>(() => fast.GetOutput<int>("label").Length);

        Assert.Equal("'label' holds int64 elements, not Int32.", ex.Message);
    }
}
