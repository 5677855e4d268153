using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

/// <summary>Every validation error, with its exact message: they are part of the product.</summary>
public sealed class InputValidationTests : IDisposable
{
    private readonly EdgeModel _iris = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));

    public void Dispose() => _iris.Dispose();

    [Fact]
    public void Predict_MissingInput_ThrowsMissingInputNamingIt()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.Predict(new Dictionary<string, EdgeTensor>()));

        Assert.Equal(EdgeErrorCode.MissingInput, ex.Code);
        Assert.Equal("features", ex.TensorName);
        Assert.Equal("Input 'features' is required by the model but was not supplied (expected features: float32[batch, 4]).", ex.Message);
    }

    [Fact]
    public void Predict_ExtraInput_ThrowsUnexpectedInputNamingIt()
    {
        var inputs = TestSets.Inputs(("features", TestSets.IrisRow(1, 2, 3, 4)), ("colour", EdgeTensor.Create(new[] { 1f })));

        var ex = Assert.Throws<EdgeException>(() => _iris.Predict(inputs));

        Assert.Equal(EdgeErrorCode.UnexpectedInput, ex.Code);
        Assert.Equal("colour", ex.TensorName);
        Assert.Equal("Input 'colour' is not an input of this model (inputs: features).", ex.Message);
    }

    [Fact]
    public void Predict_WrongElementType_ThrowsInputTypeMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.Predict("features", EdgeTensor.Create(new[] { 1.0, 2, 3, 4 }, [1, 4])));

        Assert.Equal(EdgeErrorCode.InputTypeMismatch, ex.Code);
        Assert.Equal("Input 'features' has element type float64 but the model expects float32.", ex.Message);
    }

    [Fact]
    public void Predict_WrongRank_ThrowsInputRankMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.Predict("features", EdgeTensor.Create(new[] { 1f, 2, 3, 4 })));

        Assert.Equal(EdgeErrorCode.InputRankMismatch, ex.Code);
        Assert.Equal("Input 'features' has rank 1 (shape [4]) but the model expects rank 2 (shape [batch, 4]).", ex.Message);
    }

    [Fact]
    public void Predict_WrongFixedDimension_ThrowsInputShapeMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.Predict("features", EdgeTensor.Create(new[] { 1f, 2, 3, 4, 5 }, [1, 5])));

        Assert.Equal(EdgeErrorCode.InputShapeMismatch, ex.Code);
        Assert.Equal("Input 'features' has shape [1, 5] but the model expects [batch, 4]: dimension 1 is 5, expected 4.", ex.Message);
    }

    [Fact]
    public void Predict_AnyBatchSize_IsAcceptedForDynamicDimension()
    {
        var rows = Enumerable.Repeat(new[] { 5.1f, 3.5f, 1.4f, 0.2f }, 7).SelectMany(r => r).ToArray();

        var prediction = _iris.Predict("features", EdgeTensor.Create(rows, [7, 4]));

        Assert.Equal([7L], prediction["label"].Shape.ToArray());
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Predict_NonFiniteFloat_ThrowsNonFiniteInputWithIndex(float bad, string described)
    {
        var ex = Assert.Throws<EdgeException>(() => _iris.Predict("features", TestSets.IrisRow(1, 2, bad, 4)));

        Assert.Equal(EdgeErrorCode.NonFiniteInput, ex.Code);
        Assert.Equal($"Input 'features' contains {described} at flat index 2; the NonFiniteInputPolicy is Reject.", ex.Message);
    }

    [Fact]
    public void Predict_NaNPastVectorWidth_IsFound()
    {
        var rows = new float[64 * 4];
        rows[201] = float.NaN;

        var ex = Assert.Throws<EdgeException>(() => _iris.Predict("features", EdgeTensor.Create(rows, [64, 4])));

        Assert.Contains("at flat index 201", ex.Message);
    }

    [Fact]
    public void Predict_NonFiniteDoubleAndHalf_AreRejected()
    {
        using var model = EdgeModel.Load(Repo.Model("all_types.onnx"));
        var inputs = AllTypesInputs();
        inputs["in_double"] = EdgeTensor.Create(new[] { 0, 0, 0, 0, double.NegativeInfinity, 0 }, [2, 3]);
        var ex = Assert.Throws<EdgeException>(() => model.Predict(inputs));
        Assert.Equal("Input 'in_double' contains -Infinity at flat index 4; the NonFiniteInputPolicy is Reject.", ex.Message);

        inputs = AllTypesInputs();
        inputs["in_float16"] = EdgeTensor.Create(new[] { Half.Zero, Half.NaN, Half.Zero, Half.Zero, Half.Zero, Half.Zero }, [2, 3]);
        ex = Assert.Throws<EdgeException>(() => model.Predict(inputs));
        Assert.Equal("Input 'in_float16' contains NaN at flat index 1; the NonFiniteInputPolicy is Reject.", ex.Message);
    }

    [Fact]
    public void Predict_NaNWithAllowPolicy_ReachesTheModel()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_classifier.onnx"), new EdgeModelOptions { NonFiniteInputs = NonFiniteInputPolicy.Allow });

        var prediction = model.Predict("features", TestSets.IrisRow(1, float.NaN, 3, 4));

        Assert.All(prediction["probabilities"].ToArray<float>(), p => Assert.True(float.IsNaN(p)));
    }

    [Fact]
    public void Create_LengthDoesNotMatchShape_ThrowsTensorDataMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeTensor.Create(new[] { 1f, 2, 3 }, [1, 4]));

        Assert.Equal(EdgeErrorCode.TensorDataMismatch, ex.Code);
        Assert.Equal("Shape [1, 4] holds 4 elements but 3 were supplied.", ex.Message);
    }

    [Fact]
    public void Create_NegativeDimension_ThrowsTensorDataMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeTensor.Create(new[] { 1f }, [-1]));

        Assert.Equal(EdgeErrorCode.TensorDataMismatch, ex.Code);
        Assert.Contains("dimensions must be non-negative", ex.Message);
    }

    [Fact]
    public void Create_UnsupportedClrType_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<EdgeException>(() => EdgeTensor.Create(new[] { 'a' }));

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.StartsWith("Element type Char is not supported", ex.Message);
    }

    [Fact]
    public void AsSpan_WrongType_ThrowsInvalidArgument()
    {
        var ex = Assert.Throws<EdgeException>(() => TestSets.IrisRow(1, 2, 3, 4).AsSpan<double>().Length);

        Assert.Equal("Tensor holds float32 elements, not Double.", ex.Message);
    }

    private static Dictionary<string, EdgeTensor> AllTypesInputs()
    {
        long[] s = [2, 3];
        return new Dictionary<string, EdgeTensor>
        {
            ["in_float"] = EdgeTensor.Create(new float[6], s),
            ["in_double"] = EdgeTensor.Create(new double[6], s),
            ["in_float16"] = EdgeTensor.Create(new Half[6], s),
            ["in_int8"] = EdgeTensor.Create(new sbyte[6], s),
            ["in_int16"] = EdgeTensor.Create(new short[6], s),
            ["in_int32"] = EdgeTensor.Create(new int[6], s),
            ["in_int64"] = EdgeTensor.Create(new long[6], s),
            ["in_uint8"] = EdgeTensor.Create(new byte[6], s),
            ["in_uint16"] = EdgeTensor.Create(new ushort[6], s),
            ["in_uint32"] = EdgeTensor.Create(new uint[6], s),
            ["in_uint64"] = EdgeTensor.Create(new ulong[6], s),
            ["in_bool"] = EdgeTensor.Create(new bool[6], s),
            ["in_string"] = EdgeTensor.Create(new[] { "", "", "", "", "", "" }, s),
        };
    }
}
