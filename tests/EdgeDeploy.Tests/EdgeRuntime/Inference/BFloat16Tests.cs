using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

/// <summary>bfloat16 inputs and outputs, checked bit for bit against raw ONNX Runtime on the same model.</summary>
public sealed class BFloat16Tests
{
    private static readonly float[] Floats = [0f, 1f, -1.5f, 3.140625f, 1e-3f, 65504f, 1.00390625f, -7.2e10f];

    [Fact]
    public void Schema_BFloat16Model_ReportsTheElementType()
    {
        using var model = EdgeModel.Load(Repo.Model("bfloat16.onnx"));

        Assert.Equal(EdgeElementType.BFloat16, model.Schema.FindInput("x")!.ElementType);
        Assert.Equal("x: bfloat16[n]", model.Schema.FindInput("x")!.ToString());
        Assert.Equal(EdgeElementType.BFloat16, model.Schema.FindOutput("narrowed")!.ElementType);
    }

    [Fact]
    public void Predict_BFloat16RoundTrip_MatchesRawOnnxRuntimeBitForBit()
    {
        var x = Floats.Select(f => (BFloat16)f).ToArray();
        using var model = EdgeModel.Load(Repo.Model("bfloat16.onnx"));

        var prediction = model.Predict(new Dictionary<string, EdgeTensor>
        {
            ["x"] = EdgeTensor.Create(x, [x.Length]),
            ["y"] = EdgeTensor.Create(Floats, [Floats.Length]),
        });

        var (same, widened, narrowed) = RunRaw(x, Floats);
        Assert.Equal(EdgeElementType.BFloat16, prediction["same"].ElementType);
        Assert.Equal(Bits(same), prediction["same"].ToArray<ushort>());
        Assert.Equal(Bits(x), prediction["same"].ToArray<ushort>());
        Assert.Equal(widened, prediction["widened"].ToArray<float>());
        Assert.Equal(Bits(narrowed), prediction["narrowed"].ToArray<ushort>());
        Assert.Equal(narrowed, prediction["narrowed"].ToArray<BFloat16>()); // read back as ONNX Runtime's type too
    }

    [Fact]
    public void CreateBFloat16_RawBits_SameAsFromOrtType()
    {
        var bits = Bits(Floats.Select(f => (BFloat16)f).ToArray());
        using var model = EdgeModel.Load(Repo.Model("bfloat16.onnx"));

        var prediction = model.Predict(new Dictionary<string, EdgeTensor>
        {
            ["x"] = EdgeTensor.CreateBFloat16(bits, [bits.Length]),
            ["y"] = EdgeTensor.Create(Floats, [Floats.Length]),
        });

        Assert.Equal(bits, prediction["same"].ToArray<ushort>());
        Assert.Equal(Floats.Select(f => (float)(BFloat16)f), prediction["widened"].ToArray<float>());
    }

    [Fact]
    public void Predict_BFloat16NaN_RejectedNamingTheInput()
    {
        using var model = EdgeModel.Load(Repo.Model("bfloat16.onnx"));
        BFloat16[] x = [(BFloat16)1f, (BFloat16)float.NaN];

        var ex = Assert.Throws<EdgeException>(() => model.Predict(new Dictionary<string, EdgeTensor>
        {
            ["x"] = EdgeTensor.Create(x, [2]),
            ["y"] = EdgeTensor.Create([1f, 2f], [2]),
        }));

        Assert.Equal(EdgeErrorCode.NonFiniteInput, ex.Code);
        Assert.Equal("Input 'x' contains NaN at flat index 1; the NonFiniteInputPolicy is Reject.", ex.Message);
    }

    [Fact]
    public void Json_BFloat16_ReadsNumbersAndWritesTheRoundedValues()
    {
        using var model = EdgeModel.Load(Repo.Model("bfloat16.onnx"));
        var inputs = TensorJson.ReadInputs("""{"x": [1.5, 3.14159, -2], "y": [1.00390625, 0.1, 65504]}""", model.Schema);

        var prediction = model.Predict(inputs);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            TensorJson.WritePrediction(writer, prediction);
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal([1.5, 3.140625, -2.0], doc.RootElement.GetProperty("same").GetProperty("data").EnumerateArray().Select(e => e.GetDouble()));
        var narrowed = doc.RootElement.GetProperty("narrowed").GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(new[] { 1.0f, 0.1f, 65504f }.Select(f => (float)(BFloat16)f), narrowed);
    }

    private static (BFloat16[] Same, float[] Widened, BFloat16[] Narrowed) RunRaw(BFloat16[] x, float[] y)
    {
        using var session = new InferenceSession(Repo.Model("bfloat16.onnx"));
        using var xv = OrtValue.CreateTensorValueFromMemory(x, [x.Length]);
        using var yv = OrtValue.CreateTensorValueFromMemory(y, [y.Length]);
        using var outputs = session.Run(new RunOptions(), ["x", "y"], [xv, yv], ["same", "widened", "narrowed"]);
        var list = outputs.ToList();
        return (list[0].GetTensorDataAsSpan<BFloat16>().ToArray(), list[1].GetTensorDataAsSpan<float>().ToArray(), list[2].GetTensorDataAsSpan<BFloat16>().ToArray());
    }

    private static ushort[] Bits(BFloat16[] values) => values.Select(v => v.value).ToArray();
}
