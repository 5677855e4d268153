using System.Text.Json;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Tests.Infrastructure;

internal sealed record E2eCase(Dictionary<string, EdgeTensor> Inputs, Dictionary<string, EdgeTensor> Expected)
{
    /// <summary>Expected outputs that are not tensors (a ZipMap's sequence of maps, sequences, optional values).</summary>
    public Dictionary<string, EdgeValue> Values { get; } = new(StringComparer.Ordinal);
}

/// <summary>Reads the end-to-end test sets that models/make_models.py wrote from scikit-learn's own outputs.</summary>
internal static class TestSets
{
    public static List<E2eCase> ReadE2e(string jsonlPath, ModelSchema schema)
    {
        var cases = new List<E2eCase>();
        foreach (var line in File.ReadLines(jsonlPath))
        {
            using var doc = JsonDocument.Parse(line);
            var inputs = TensorJson.ReadInputs(doc.RootElement.GetProperty("inputs"), schema);
            var expected = new Dictionary<string, EdgeTensor>();
            var c = new E2eCase(inputs, expected);
            foreach (var output in doc.RootElement.GetProperty("outputs").EnumerateObject())
            {
                var outputSchema = schema.FindOutput(output.Name)!;
                if (outputSchema.Kind == EdgeValueKind.Tensor && !outputSchema.IsOptional)
                {
                    expected[output.Name] = TensorJson.ReadTensor(output.Value, output.Name, outputSchema.ElementType);
                }
                else
                {
                    c.Values[output.Name] = TensorJson.ReadValue(output.Value, outputSchema);
                }
            }

            cases.Add(c);
        }

        return cases;
    }

    public static Dictionary<string, EdgeTensor> Inputs(params (string Name, EdgeTensor Tensor)[] items) =>
        items.ToDictionary(i => i.Name, i => i.Tensor);

    public static EdgeTensor IrisRow(params float[] features) => EdgeTensor.Create(features, [1, features.Length]);
}
