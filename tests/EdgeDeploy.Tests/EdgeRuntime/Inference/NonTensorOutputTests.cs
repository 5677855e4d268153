using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Inference;

/// <summary>Sequences, maps and optional outputs through the schema, Predict, JSON and test sets.</summary>
public sealed class NonTensorOutputTests
{
    [Fact]
    public void Load_ZipMapClassifier_SchemaDescribesTheSequenceOfMaps()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));

        var output = model.Schema.FindOutput("output_probability")!;
        Assert.Equal(EdgeValueKind.Sequence, output.Kind);
        Assert.False(output.IsOptional);
        Assert.Equal(EdgeValueKind.Map, output.Element!.Kind);
        Assert.Equal(EdgeElementType.Int64, output.Element.KeyType);
        Assert.Equal(EdgeElementType.Float, output.Element.ElementType);
        Assert.Equal("output_probability: seq(map(int64, float32))", output.ToString());
        Assert.Equal(EdgeValueKind.Tensor, model.Schema.FindOutput("label")!.Kind);
    }

    [Fact]
    public void Predict_ZipMapClassifier_MatchesScikitLearnProbabilities()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));
        var cases = TestSets.ReadE2e(Repo.Model("iris_zipmap.e2e.jsonl"), model.Schema);
        Assert.Equal(45, cases.Count);

        foreach (var c in cases)
        {
            var prediction = model.Predict(c.Inputs);

            Assert.False(prediction.HasOnlyTensors);
            Assert.Equal(c.Expected["label"].ToArray<long>(), prediction["label"].ToArray<long>());
            var expected = Assert.Single(c.Values["output_probability"].Items);
            var actual = Assert.Single(prediction.GetValue("output_probability").Items);
            Assert.Equal(EdgeValueKind.Map, actual.Kind);
            Assert.Equal(expected.Keys.ToArray<long>(), actual.Keys.ToArray<long>());
            PredictTests.AssertClose(expected.MapValues.AsSpan<float>(), actual.MapValues.AsSpan<float>(), 1e-5f);
        }
    }

    [Fact]
    public void Predict_BatchOfRows_OneMapPerRow()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));

        var prediction = model.Predict("features", EdgeTensor.Create([5.1f, 3.5f, 1.4f, 0.2f, 6.7f, 3.0f, 5.2f, 2.3f], [2, 4]));

        var rows = prediction.GetValue("output_probability");
        Assert.Equal(2, rows.Count);
        Assert.Equal(0L, rows.Items[0].ToDictionary<long, float>().MaxBy(p => p.Value).Key);
        Assert.Equal(2L, rows.Items[1].ToDictionary<long, float>().MaxBy(p => p.Value).Key);
    }

    [Fact]
    public void Predict_SequenceOfTensorsAndStringKeyedMaps_ReturnsEveryItem()
    {
        using var model = EdgeModel.Load(Repo.Model("sequence_outputs.onnx"));
        Assert.Equal("parts: seq(float32[batch, 3])", model.Schema.FindOutput("parts")!.ToString());
        Assert.Equal("named_scores: seq(map(string, float32))", model.Schema.FindOutput("named_scores")!.ToString());
        float[] x = [-1f, 0.5f, 2f, 3f, -2f, 0f];

        var prediction = model.Predict("x", EdgeTensor.Create(x, [2, 3]));

        var parts = prediction.GetValue("parts");
        Assert.Equal(EdgeValueKind.Sequence, parts.Kind);
        Assert.Equal(2, parts.Count);
        Assert.Equal(x, parts.Items[0].Tensor.ToArray<float>());
        Assert.Equal(x.Select(v => Math.Max(v, 0f)).ToArray(), parts.Items[1].Tensor.ToArray<float>());
        Assert.Equal([2L, 3L], parts.Items[1].Tensor.Shape.ToArray());
        var scores = prediction.GetValue("named_scores");
        Assert.Equal(2, scores.Count);
        var first = scores.Items[0].ToDictionary<string, float>();
        Assert.Equal(["bird", "cat", "dog"], first.Keys.Order());
        Assert.Equal("bird", first.MaxBy(p => p.Value).Key);
        Assert.Equal("cat", scores.Items[1].ToDictionary<string, float>().MaxBy(p => p.Value).Key);
        Assert.Equal(1.0, first.Values.Sum(), 5);
    }

    [Fact]
    public void Load_OptionalOutputs_SchemaMarksThemOptional()
    {
        using var model = EdgeModel.Load(Repo.Model("optional_outputs.onnx"));

        Assert.False(model.Schema.FindOutput("doubled")!.IsOptional);
        Assert.True(model.Schema.FindOutput("present")!.IsOptional);
        Assert.Equal("absent: optional(float32[n])", model.Schema.FindOutput("absent")!.ToString());
    }

    [Fact]
    public void Predict_OptionalOutputs_PresentIsItsValueAbsentIsNone()
    {
        // ONNX Runtime's managed Run segfaults on the empty 'absent' (its native GetValueType dereferences null): the runtime
        // reads these outputs through the C API, asking HasValue first. Repeated so a leak or double release would show.
        using var model = EdgeModel.Load(Repo.Model("optional_outputs.onnx"));

        for (var i = 0; i < 50; i++)
        {
            var prediction = model.Predict("x", EdgeTensor.Create([1f, -2.5f, i], [3]));

            Assert.False(prediction.HasOnlyTensors);
            Assert.Equal([2f, -5f, 2f * i], prediction["doubled"].ToArray<float>());
            var present = prediction.GetValue("present");
            Assert.Equal(EdgeValueKind.Tensor, present.Kind);
            Assert.Equal([1f, -2.5f, i], present.Tensor.ToArray<float>());
            Assert.Equal(EdgeValueKind.None, prediction.GetValue("absent").Kind);
            Assert.Same(EdgeValue.None, prediction.Values[2]);
        }
    }

    [Fact]
    public void Predict_OptionalPresentOrNotByTheData_FollowsEachCall()
    {
        using var model = EdgeModel.Load(Repo.Model("optional_positive.onnx"));

        var positive = model.Predict("x", EdgeTensor.Create([1f, 2f], [2]));
        var negative = model.Predict("x", EdgeTensor.Create([1f, -2f], [2]));
        var again = model.Predict("x", EdgeTensor.Create([0.5f], [1]));

        Assert.Equal([1f, 2f], positive.GetValue("positive").Tensor.ToArray<float>());
        Assert.Equal(EdgeValueKind.None, negative.GetValue("positive").Kind);
        Assert.Equal([-1f], negative["total"].ToArray<float>());
        Assert.Equal([0.5f], again.GetValue("positive").Tensor.ToArray<float>());
    }

    [Fact]
    public async Task PredictAsync_OptionalOutputs_SameValuesAndValidationKept()
    {
        using var model = EdgeModel.Load(Repo.Model("optional_positive.onnx"));
        using var cts = new CancellationTokenSource();
        var inputs = new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([-3f], [1]) };

        var prediction = await model.PredictAsync(inputs, cts.Token);
        var wrongType = Assert.Throws<EdgeException>(() => model.Predict("x", EdgeTensor.Create([1.0], [1])));
        var batch = model.PredictBatch([inputs, new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([3f], [1]) }]);

        Assert.Equal(EdgeValueKind.None, prediction.GetValue("positive").Kind);
        Assert.Equal(EdgeErrorCode.InputTypeMismatch, wrongType.Code);
        Assert.Equal(EdgeValueKind.None, batch[0].GetValue("positive").Kind);
        Assert.Equal([3f], batch[1].GetValue("positive").Tensor.ToArray<float>());
    }

    [Fact]
    public void Tensors_AbsentOptionalOutput_ThrowsInvalidOutputNamingGetValue()
    {
        using var model = EdgeModel.Load(Repo.Model("optional_outputs.onnx"));
        var prediction = model.Predict("x", EdgeTensor.Create([1f], [1]));

        var ex = Assert.Throws<EdgeException>(() => prediction.Tensors[2]);

        Assert.Equal(EdgeErrorCode.InvalidOutput, ex.Code);
        Assert.Equal("absent", ex.TensorName);
        Assert.Equal([1f], prediction.Tensors[1].ToArray<float>());
    }

    [Fact]
    public void FastPredictor_OptionalOutput_RefusedWithAClearMessage()
    {
        using var model = EdgeModel.Load(Repo.Model("optional_outputs.onnx"));

        var ex = Assert.Throws<EdgeException>(() => model.CreateFastPredictor().Build());

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("optional(float32[n])", ex.Message);
    }

    [Fact]
    public void Tensors_NonTensorOutput_ThrowsInvalidOutputNamingGetValue()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));
        var prediction = model.Predict("features", TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f));

        var ex = Assert.Throws<EdgeException>(() => prediction.Tensors[1]);

        Assert.Equal(EdgeErrorCode.InvalidOutput, ex.Code);
        Assert.Equal("output_probability", ex.TensorName);
        Assert.Contains("Prediction.GetValue", ex.Message);
        Assert.Equal(0L, prediction.Tensors[0].AsSpan<long>()[0]);
    }

    [Fact]
    public void FastPredictor_NonTensorOutput_RefusedWithAClearMessage()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));

        var ex = Assert.Throws<EdgeException>(() => model.CreateFastPredictor().Build());

        Assert.Equal(EdgeErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("seq(map(int64, float32))", ex.Message);
    }

    [Fact]
    public void PredictBatch_ZipMapModel_RunsEachRequest()
    {
        using var model = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));
        var requests = new[] { TestSets.IrisRow(5.1f, 3.5f, 1.4f, 0.2f), TestSets.IrisRow(6.7f, 3.0f, 5.2f, 2.3f) }
            .Select(t => (IReadOnlyDictionary<string, EdgeTensor>)new Dictionary<string, EdgeTensor> { ["features"] = t }).ToList();

        var results = model.PredictBatch(requests);

        Assert.Equal([0L, 2L], results.Select(r => r["label"].AsSpan<long>()[0]));
        Assert.All(results, r => Assert.Single(r.GetValue("output_probability").Items));
    }

    [Fact]
    public void Json_WriteThenReadValue_RoundTripsEveryKind()
    {
        using var zipmap = EdgeModel.Load(Repo.Model("iris_zipmap.onnx"));
        using var sequences = EdgeModel.Load(Repo.Model("sequence_outputs.onnx"));
        using var optional = EdgeModel.Load(Repo.Model("optional_outputs.onnx"));
        var predictions = new[]
        {
            (zipmap, zipmap.Predict("features", TestSets.IrisRow(6.7f, 3.0f, 5.2f, 2.3f))),
            (sequences, sequences.Predict("x", EdgeTensor.Create([1f, -2f, 3f], [1, 3]))),
            (optional, optional.Predict("x", EdgeTensor.Create([1.5f], [1]))),
        };

        foreach (var (model, prediction) in predictions)
        {
            var json = Write(prediction);
            using var doc = JsonDocument.Parse(json);
            foreach (var output in model.Schema.Outputs)
            {
                var back = TensorJson.ReadValue(doc.RootElement.GetProperty(output.Name), output);
                Assert.Equal(Write(prediction.GetValue(output.Name)), Write(back));
            }
        }

        Assert.Equal("null", Write(EdgeValue.None));
        Assert.EndsWith("\"absent\":null}", Write(predictions[2].Item2));
        Assert.Contains("\"output_probability\":{\"sequence\":[{\"map\":{\"keys\":[0,1,2],\"values\":[", Write(predictions[0].Item2));
    }

    [Fact]
    public void TestSetCodec_ExpectedValues_RoundTripAndOldTwoElementCasesStillRead()
    {
        using var model = EdgeModel.Load(Repo.Model("sequence_outputs.onnx"));
        var inputs = new Dictionary<string, EdgeTensor> { ["x"] = EdgeTensor.Create([1f, -2f, 3f], [1, 3]) };
        var prediction = model.Predict(inputs);
        var withValues = new EndToEndCase(inputs, new Dictionary<string, EdgeTensor>())
        {
            ExpectedValues = new Dictionary<string, EdgeValue> { ["parts"] = prediction.GetValue("parts"), ["named_scores"] = prediction.GetValue("named_scores"), ["gone"] = EdgeValue.None },
        };
        var plain = new EndToEndCase(inputs, new Dictionary<string, EdgeTensor> { ["y"] = EdgeTensor.Create([1f]) });

        var back = TestSetCodec.Read<EndToEndCase>(TestSetCodec.Write([withValues, plain]), "test");

        Assert.Equal(3, back[0].ExpectedValues.Count);
        Assert.Equal(Write(prediction.GetValue("parts")), Write(back[0].ExpectedValues["parts"]));
        Assert.Equal(Write(prediction.GetValue("named_scores")), Write(back[0].ExpectedValues["named_scores"]));
        Assert.Equal(EdgeValueKind.None, back[0].ExpectedValues["gone"].Kind);
        Assert.Empty(back[1].ExpectedValues);
        Assert.Equal([1f], back[1].ExpectedOutputs["y"].ToArray<float>());
    }

    [Fact]
    public void TestSetCodec_DeeplyNestedValue_RejectedAsMalformed()
    {
        var value = EdgeValue.FromTensor(EdgeTensor.Create([1f]));
        for (var i = 0; i < 12; i++)
        {
            value = EdgeValue.Sequence([value]);
        }

        var bytes = TestSetCodec.Write([new EndToEndCase(new Dictionary<string, EdgeTensor>(), new Dictionary<string, EdgeTensor>()) { ExpectedValues = new Dictionary<string, EdgeValue> { ["deep"] = value } }]);

        Assert.Equal(EdgeErrorCode.TestSetMalformed, Assert.Throws<EdgeException>(() => TestSetCodec.Read<EndToEndCase>(bytes, "deep set")).Code);
    }

    private static string Write(Prediction prediction)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            TensorJson.WritePrediction(writer, prediction);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Write(EdgeValue value)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            TensorJson.WriteValue(writer, value);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
