using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Tests.Infrastructure;

namespace EdgeDeploy.Tests.EdgeRuntime.Json;

public sealed class TensorJsonTests : IDisposable
{
    private readonly EdgeModel _iris = EdgeModel.Load(Repo.Model("iris_classifier.onnx"));

    public void Dispose() => _iris.Dispose();

    [Fact]
    public void ReadInputs_NestedArrays_InfersShape()
    {
        var inputs = TensorJson.ReadInputs("""{"features": [[1, 2, 3, 4], [5, 6, 7, 8]]}""", _iris.Schema);

        Assert.Equal([2L, 4L], inputs["features"].Shape.ToArray());
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], inputs["features"].ToArray<float>());
    }

    [Fact]
    public void ReadInputs_ShapeAndData_UsesGivenShape()
    {
        var inputs = TensorJson.ReadInputs("""{"features": {"shape": [1, 4], "data": [1, 2, 3, 4]}}""", _iris.Schema);

        Assert.Equal([1L, 4L], inputs["features"].Shape.ToArray());
    }

    [Fact]
    public void ReadInputs_TestSetLine_UnwrapsInputs()
    {
        var line = File.ReadLines(Repo.Model("iris_classifier.e2e.jsonl")).First();

        var inputs = TensorJson.ReadInputs(line, _iris.Schema);

        Assert.Equal(["features"], inputs.Keys);
    }

    [Fact]
    public void ReadInputs_NaNString_ParsesAsNaN()
    {
        var inputs = TensorJson.ReadInputs("""{"features": [[1, "NaN", "Infinity", "-Infinity"]]}""", _iris.Schema);

        var values = inputs["features"].ToArray<float>();
        Assert.True(float.IsNaN(values[1]));
        Assert.Equal(float.PositiveInfinity, values[2]);
        Assert.Equal(float.NegativeInfinity, values[3]);
    }

    [Fact]
    public void ReadInputs_RaggedArrays_ThrowsInvalidJson()
    {
        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadInputs("""{"features": [[1, 2, 3, 4], [5, 6]]}""", _iris.Schema));

        Assert.Equal(EdgeErrorCode.InvalidJson, ex.Code);
        Assert.Equal("Input 'features': nested arrays are ragged at depth 1: expected 4 elements.", ex.Message);
    }

    [Fact]
    public void ReadInputs_TextWhereNumberExpected_ThrowsInvalidJsonNamingElement()
    {
        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadInputs("""{"features": [[1, 2, true, 4]]}""", _iris.Schema));

        Assert.Equal(EdgeErrorCode.InvalidJson, ex.Code);
        Assert.Equal("Input 'features' element 2: true is not a valid float32 value.", ex.Message);
    }

    [Fact]
    public void ReadInputs_IntegerOutOfRange_ThrowsInvalidJson()
    {
        using var model = EdgeModel.Load(Repo.Model("all_types.onnx"));
        var schema = model.Schema;

        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadTensor(JsonDocument.Parse("[[300]]").RootElement, "in_uint8", EdgeElementType.UInt8));

        Assert.Equal("Input 'in_uint8' element 0: 300 is not a valid uint8 value.", ex.Message);
        Assert.NotNull(schema.FindInput("in_uint8"));
    }

    [Fact]
    public void ReadInputs_UnknownInput_ThrowsUnexpectedInput()
    {
        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadInputs("""{"petals": [1]}""", _iris.Schema));

        Assert.Equal(EdgeErrorCode.UnexpectedInput, ex.Code);
    }

    [Fact]
    public void ReadInputs_MalformedJson_ThrowsInvalidJson()
    {
        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadInputs("""{"features": [[1, 2""", _iris.Schema));

        Assert.Equal(EdgeErrorCode.InvalidJson, ex.Code);
        Assert.StartsWith("Input is not valid JSON:", ex.Message);
    }

    [Fact]
    public void ReadInputs_ShapeDisagreesWithData_ThrowsTensorDataMismatch()
    {
        var ex = Assert.Throws<EdgeException>(() => TensorJson.ReadInputs("""{"features": {"shape": [2, 4], "data": [1, 2, 3, 4]}}""", _iris.Schema));

        Assert.Equal(EdgeErrorCode.TensorDataMismatch, ex.Code);
        Assert.Equal("Input 'features': shape [2, 4] holds 8 elements but 4 were given.", ex.Message);
    }

    [Fact]
    public void WritePrediction_ThenReadBack_RoundTripsValues()
    {
        var prediction = _iris.Predict(TensorJson.ReadInputs("""{"features": [[5.1, 3.5, 1.4, 0.2]]}""", _iris.Schema));
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            TensorJson.WritePrediction(writer, prediction);
        }

        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
        var probabilities = TensorJson.ReadTensor(doc.RootElement.GetProperty("probabilities"), "probabilities", EdgeElementType.Float);
        var label = TensorJson.ReadTensor(doc.RootElement.GetProperty("label"), "label", EdgeElementType.Int64);
        Assert.Equal(prediction["probabilities"].ToArray<float>(), probabilities.ToArray<float>());
        Assert.Equal(prediction["label"].ToArray<long>(), label.ToArray<long>());
    }
}
