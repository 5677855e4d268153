using System.Globalization;
using System.Text.Json;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>
/// Reads model inputs from JSON and writes predictions as JSON. A tensor is either nested arrays (shape inferred)
/// or <c>{"shape": [..], "data": [..]}</c>; an object with an <c>inputs</c> member (a test-set line) is unwrapped.
/// Floating-point tensors also accept the strings "NaN", "Infinity" and "-Infinity". Reflection-free, so AOT-safe.
/// </summary>
public static class TensorJson
{
    /// <summary>Parses one JSON object of named tensors, typed by the model's schema.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidJson"/> or <see cref="EdgeErrorCode.UnexpectedInput"/>.</exception>
    public static Dictionary<string, EdgeTensor> ReadInputs(string json, ModelSchema schema)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(schema);
        try
        {
            using var document = JsonDocument.Parse(json);
            return ReadInputs(document.RootElement, schema);
        }
        catch (JsonException ex)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"Input is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Parses a JSON object of named tensors, typed by the model's schema.</summary>
    public static Dictionary<string, EdgeTensor> ReadInputs(JsonElement root, ModelSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new EdgeException(EdgeErrorCode.InvalidJson, $"Input JSON must be an object of named tensors, not {root.ValueKind}.");
        }

        if (schema.FindInput("inputs") is null && root.TryGetProperty("inputs", out var wrapped) && wrapped.ValueKind == JsonValueKind.Object)
        {
            root = wrapped;
        }

        var result = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            var input = schema.FindInput(property.Name)
                ?? throw new EdgeException(EdgeErrorCode.UnexpectedInput, $"Input '{property.Name}' is not an input of this model (inputs: {string.Join(", ", schema.Inputs.Select(i => i.Name))}).") { TensorName = property.Name };
            result[property.Name] = ReadTensor(property.Value, input.Name, input.ElementType);
        }

        return result;
    }

    /// <summary>Parses one tensor of a known element type.</summary>
    public static EdgeTensor ReadTensor(JsonElement element, string name, EdgeElementType type)
    {
        JsonElement data;
        long[] shape;
        if (element.ValueKind == JsonValueKind.Object)
        {
            if (!element.TryGetProperty("data", out data))
            {
                throw Invalid(name, "an object tensor needs a \"data\" member");
            }

            shape = element.TryGetProperty("shape", out var shapeElement) ? ReadShape(shapeElement, name) : InferShape(data, name);
        }
        else
        {
            data = element;
            shape = InferShape(element, name);
        }

        var values = new List<JsonElement>();
        Flatten(data, values);
        var count = Shapes.ElementCount(shape);
        if (count != values.Count)
        {
            throw new EdgeException(EdgeErrorCode.TensorDataMismatch, $"Input '{name}': shape {Shapes.Format(shape)} holds {count} elements but {values.Count} were given.") { TensorName = name };
        }

        var array = ElementTypes.NewArray(type, values.Count, name);
        for (var i = 0; i < values.Count; i++)
        {
            SetElement(array, type, i, values[i], name);
        }

        return EdgeTensor.Wrap(array, shape, type);
    }

    /// <summary>
    /// Writes <c>{"output": {"shape": [..], "data": [..]}, ...}</c>; outputs that are not tensors are written as
    /// <see cref="WriteValue"/> describes.
    /// </summary>
    public static void WritePrediction(Utf8JsonWriter writer, Prediction prediction)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(prediction);
        writer.WriteStartObject();
        for (var i = 0; i < prediction.Names.Count; i++)
        {
            writer.WritePropertyName(prediction.Names[i]);
            if (prediction.HasOnlyTensors)
            {
                WriteTensor(writer, prediction.Tensors[i]);
            }
            else
            {
                WriteValue(writer, prediction.Values[i]);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Writes a value of any kind: a tensor as <c>{"shape": [..], "data": [..]}</c>, a sequence as
    /// <c>{"sequence": [value, ...]}</c>, a map as <c>{"map": {"keys": [..], "values": [..]}}</c> (parallel arrays, in the
    /// map's order) and an absent optional value as <c>null</c>. <see cref="ReadValue"/> reads the same form back.
    /// </summary>
    public static void WriteValue(Utf8JsonWriter writer, EdgeValue value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        switch (value.Kind)
        {
            case EdgeValueKind.Tensor:
                WriteTensor(writer, value.Tensor);
                break;
            case EdgeValueKind.Sequence:
                writer.WriteStartObject();
                writer.WriteStartArray("sequence");
                foreach (var item in value.Items)
                {
                    WriteValue(writer, item);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                break;
            case EdgeValueKind.Map:
                writer.WriteStartObject();
                writer.WriteStartObject("map");
                writer.WriteStartArray("keys");
                WriteElements(writer, value.Keys);
                writer.WriteEndArray();
                writer.WriteStartArray("values");
                WriteElements(writer, value.MapValues);
                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    /// <summary>
    /// Parses an output value in the form <see cref="WriteValue"/> writes, typed by the output's schema (sequence items
    /// by <see cref="TensorSchema.Element"/>, map keys by <see cref="TensorSchema.KeyType"/>); <c>null</c> is an absent value.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidJson"/> when the JSON does not fit the schema.</exception>
    public static EdgeValue ReadValue(JsonElement element, TensorSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (element.ValueKind == JsonValueKind.Null)
        {
            return EdgeValue.None;
        }

        switch (schema.Kind)
        {
            case EdgeValueKind.Sequence:
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("sequence", out var items) || items.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(schema.Name, "a sequence is written {\"sequence\": [..]}");
                }

                var element0 = schema.Element ?? throw Invalid(schema.Name, "the model does not say what the sequence holds");
                return EdgeValue.Sequence([.. items.EnumerateArray().Select(i => ReadValue(i, element0))]);
            case EdgeValueKind.Map:
                if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("map", out var map) || map.ValueKind != JsonValueKind.Object
                    || !map.TryGetProperty("keys", out var keys) || !map.TryGetProperty("values", out var values)
                    || keys.ValueKind != JsonValueKind.Array || values.ValueKind != JsonValueKind.Array)
                {
                    throw Invalid(schema.Name, "a map is written {\"map\": {\"keys\": [..], \"values\": [..]}}");
                }

                try
                {
                    return EdgeValue.Map(ReadTensor(keys, schema.Name, schema.KeyType), ReadTensor(values, schema.Name, schema.ElementType));
                }
                catch (EdgeException ex) when (ex.Code == EdgeErrorCode.InvalidArgument)
                {
                    throw Invalid(schema.Name, ex.Message);
                }

            default:
                return EdgeValue.FromTensor(ReadTensor(element, schema.Name, schema.ElementType));
        }
    }

    /// <summary>Writes <c>{"shape": [..], "data": [..]}</c> with flat data.</summary>
    public static void WriteTensor(Utf8JsonWriter writer, EdgeTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(tensor);
        writer.WriteStartObject();
        writer.WriteStartArray("shape");
        foreach (var dim in tensor.Shape)
        {
            writer.WriteNumberValue(dim);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("data");
        WriteElements(writer, tensor);
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteElements(Utf8JsonWriter writer, EdgeTensor tensor)
    {
        switch (tensor.ElementType)
        {
            case EdgeElementType.Float: foreach (var v in tensor.AsSpan<float>()) { WriteFloating(writer, v); } break;
            case EdgeElementType.Double: foreach (var v in tensor.AsSpan<double>()) { WriteFloating(writer, v); } break;
            case EdgeElementType.Float16: foreach (var v in tensor.AsSpan<Half>()) { WriteFloating(writer, (float)v); } break;
            case EdgeElementType.BFloat16: foreach (var v in tensor.AsSpan<ushort>()) { WriteFloating(writer, ElementTypes.BFloat16ToSingle(v)); } break;
            case EdgeElementType.Int8: foreach (var v in tensor.AsSpan<sbyte>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.Int16: foreach (var v in tensor.AsSpan<short>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.Int32: foreach (var v in tensor.AsSpan<int>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.Int64: foreach (var v in tensor.AsSpan<long>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.UInt8: foreach (var v in tensor.AsSpan<byte>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.UInt16: foreach (var v in tensor.AsSpan<ushort>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.UInt32: foreach (var v in tensor.AsSpan<uint>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.UInt64: foreach (var v in tensor.AsSpan<ulong>()) { writer.WriteNumberValue(v); } break;
            case EdgeElementType.Bool: foreach (var v in tensor.AsSpan<bool>()) { writer.WriteBooleanValue(v); } break;
            case EdgeElementType.String: foreach (var v in tensor.AsSpan<string>()) { writer.WriteStringValue(v); } break;
            default: throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Cannot write {tensor.ElementType} tensors as JSON.");
        }
    }

    private static void WriteFloating(Utf8JsonWriter writer, double value)
    {
        // JSON has no NaN/Infinity literals: write them as the strings ReadTensor accepts.
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void WriteFloating(Utf8JsonWriter writer, float value)
    {
        if (float.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            WriteFloating(writer, (double)value);
        }
    }

    private static long[] ReadShape(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(name, "\"shape\" must be an array of non-negative integers");
        }

        var shape = new long[element.GetArrayLength()];
        var i = 0;
        foreach (var dim in element.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[i]) || shape[i] < 0)
            {
                throw Invalid(name, $"\"shape\"[{i}] must be a non-negative integer");
            }

            i++;
        }

        return shape;
    }

    private static long[] InferShape(JsonElement element, string name)
    {
        var shape = new List<long>();
        var current = element;
        while (current.ValueKind == JsonValueKind.Array)
        {
            var length = current.GetArrayLength();
            shape.Add(length);
            if (length == 0)
            {
                break;
            }

            current = current[0];
        }

        CheckRagged(element, shape, 0, name);
        return shape.ToArray();
    }

    private static void CheckRagged(JsonElement element, List<long> shape, int depth, string name)
    {
        if (depth == shape.Count)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                throw Invalid(name, "nested arrays are ragged (deeper in some places than others)");
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != shape[depth])
        {
            throw Invalid(name, $"nested arrays are ragged at depth {depth}: expected {shape[depth]} elements");
        }

        foreach (var child in element.EnumerateArray())
        {
            CheckRagged(child, shape, depth + 1, name);
        }
    }

    private static void Flatten(JsonElement element, List<JsonElement> values)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in element.EnumerateArray())
            {
                Flatten(child, values);
            }
        }
        else
        {
            values.Add(element);
        }
    }

    private static void SetElement(Array array, EdgeElementType type, int index, JsonElement value, string name)
    {
        try
        {
            switch (type)
            {
                case EdgeElementType.Float: ((float[])array)[index] = (float)ReadDouble(value); break;
                case EdgeElementType.Double: ((double[])array)[index] = ReadDouble(value); break;
                case EdgeElementType.Float16: ((Half[])array)[index] = (Half)ReadDouble(value); break;
                case EdgeElementType.BFloat16: ((ushort[])array)[index] = ElementTypes.SingleToBFloat16((float)ReadDouble(value)); break;
                case EdgeElementType.Int8: ((sbyte[])array)[index] = value.GetSByte(); break;
                case EdgeElementType.Int16: ((short[])array)[index] = value.GetInt16(); break;
                case EdgeElementType.Int32: ((int[])array)[index] = value.GetInt32(); break;
                case EdgeElementType.Int64: ((long[])array)[index] = value.GetInt64(); break;
                case EdgeElementType.UInt8: ((byte[])array)[index] = value.GetByte(); break;
                case EdgeElementType.UInt16: ((ushort[])array)[index] = value.GetUInt16(); break;
                case EdgeElementType.UInt32: ((uint[])array)[index] = value.GetUInt32(); break;
                case EdgeElementType.UInt64: ((ulong[])array)[index] = value.GetUInt64(); break;
                case EdgeElementType.Bool: ((bool[])array)[index] = value.GetBoolean(); break;
                case EdgeElementType.String: ((string[])array)[index] = value.GetString() ?? throw new InvalidOperationException("null"); break;
                default: throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Input '{name}' has an element type that JSON input does not support.") { TensorName = name };
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw new EdgeException(
                EdgeErrorCode.InvalidJson,
                $"Input '{name}' element {index}: {value.GetRawText()} is not a valid {ElementTypes.Describe(type)} value.",
                ex)
            { TensorName = name };
        }
    }

    private static double ReadDouble(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => value.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => double.Parse(s!, NumberStyles.Float, CultureInfo.InvariantCulture),
        },
        _ => throw new InvalidOperationException(value.ValueKind.ToString()),
    };

    private static EdgeException Invalid(string name, string problem) =>
        new(EdgeErrorCode.InvalidJson, $"Input '{name}': {problem}.") { TensorName = name };
}
