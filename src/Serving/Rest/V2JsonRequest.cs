using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Serving.Protocol;

namespace EdgeDeploy.Serving.Rest;

/// <summary>
/// A V2 REST infer request: <c>{"id", "parameters", "inputs": [{"name", "shape", "datatype", "parameters", "data"}],
/// "outputs": [{"name", "parameters"}]}</c>, read with <see cref="JsonDocument"/> (no reflection). With the binary tensor
/// data extension the JSON is the first <c>Inference-Header-Content-Length</c> bytes and an input whose parameters
/// carry <c>binary_data_size</c> takes that many bytes, in input order, from what follows.
/// </summary>
internal sealed class V2JsonRequest
{
    public string? Id { get; private init; }

    public required Dictionary<string, EdgeTensor> Inputs { get; init; }

    public List<RequestedOutput>? Outputs { get; private init; }

    public bool BinaryOutputs { get; private init; }

    public static V2JsonRequest Parse(ReadOnlyMemory<byte> body, int headerLength)
    {
        if (headerLength < 0 || headerLength > body.Length)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"Inference-Header-Content-Length {headerLength} is outside the {body.Length}-byte body.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body[..headerLength], new JsonDocumentOptions { MaxDepth = 40 });
        }
        catch (JsonException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"The request body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
            {
                throw new EdgeException(EdgeErrorCode.InvalidJson, "The request must be a JSON object with an \"inputs\" array.");
            }

            var binary = body[headerLength..];
            var tensors = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
            foreach (var input in inputs.EnumerateArray())
            {
                var name = input.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new EdgeException(EdgeErrorCode.InvalidJson, "Every input needs a \"name\".");
                var type = V2Tensors.ParseDatatype(input.TryGetProperty("datatype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null, name);
                var shape = Shape(input, name);
                EdgeTensor tensor;
                if (Parameter(input, "binary_data_size") is { } size)
                {
                    var length = size.ValueKind == JsonValueKind.Number && size.TryGetInt32(out var l) && l >= 0 ? l
                        : throw V2Tensors.Invalid(EdgeErrorCode.InvalidJson, name, $"Input '{name}': binary_data_size must be a non-negative integer.");
                    if (length > binary.Length)
                    {
                        throw V2Tensors.Invalid(EdgeErrorCode.TensorDataMismatch, name, $"Input '{name}' declares {length} bytes of binary data but only {binary.Length} remain.");
                    }

                    tensor = V2Tensors.FromRaw(name, type, shape, binary.Span[..length]);
                    binary = binary[length..];
                }
                else
                {
                    tensor = input.TryGetProperty("data", out var data)
                        ? V2Tensors.FromJson(name, type, shape, data)
                        : throw V2Tensors.Invalid(EdgeErrorCode.InvalidJson, name, $"Input '{name}' has neither \"data\" nor a binary_data_size parameter.");
                }

                if (!tensors.TryAdd(name, tensor))
                {
                    throw V2Tensors.Invalid(EdgeErrorCode.InvalidJson, name, $"Input '{name}' is given twice.");
                }
            }

            var binaryOutputs = Parameter(root, "binary_data_output") is { ValueKind: JsonValueKind.True };
            List<RequestedOutput>? outputs = null;
            if (root.TryGetProperty("outputs", out var requested) && requested.ValueKind == JsonValueKind.Array)
            {
                outputs = [];
                foreach (var output in requested.EnumerateArray())
                {
                    var name = output.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : throw new EdgeException(EdgeErrorCode.InvalidJson, "Every requested output needs a \"name\".");
                    var binaryData = Parameter(output, "binary_data") is { } b ? b.ValueKind == JsonValueKind.True : binaryOutputs;
                    outputs.Add(new RequestedOutput(name, binaryData));
                }
            }

            return new V2JsonRequest
            {
                Id = root.TryGetProperty("id", out var id) ? id.ValueKind == JsonValueKind.String ? id.GetString() : id.GetRawText() : null,
                Inputs = tensors,
                Outputs = outputs,
                BinaryOutputs = binaryOutputs,
            };
        }
    }

    /// <summary>Reads <c>Inference-Header-Content-Length</c>; null when absent (the whole body is JSON).</summary>
    public static int? HeaderLength(string? header) =>
        header is null ? null
        : int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length
        : throw new EdgeException(EdgeErrorCode.InvalidJson, $"Inference-Header-Content-Length '{header}' is not a byte count.");

    private static long[] Shape(JsonElement input, string name)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw V2Tensors.Invalid(EdgeErrorCode.InvalidJson, name, $"Input '{name}' needs a \"shape\" array.");
        }

        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            dims[i++] = dim.ValueKind == JsonValueKind.Number && dim.TryGetInt64(out var v) && v >= 0 ? v
                : throw V2Tensors.Invalid(EdgeErrorCode.InvalidJson, name, $"Input '{name}': shape entries must be non-negative integers.");
        }

        return dims;
    }

    private static JsonElement? Parameter(JsonElement owner, string name) =>
        owner.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty(name, out var value)
            ? value
            : null;
}
