using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Serving.Protocol;

/// <summary>
/// Tensors in the Open Inference Protocol's forms: datatype names, JSON data (flat or nested, row-major) and raw bytes
/// (the binary tensor data extension and gRPC's raw contents: little-endian elements; BYTES as 4-byte length + bytes).
/// </summary>
internal static class V2Tensors
{
    public static string Datatype(EdgeElementType type) => type switch
    {
        EdgeElementType.Bool => "BOOL",
        EdgeElementType.UInt8 => "UINT8",
        EdgeElementType.UInt16 => "UINT16",
        EdgeElementType.UInt32 => "UINT32",
        EdgeElementType.UInt64 => "UINT64",
        EdgeElementType.Int8 => "INT8",
        EdgeElementType.Int16 => "INT16",
        EdgeElementType.Int32 => "INT32",
        EdgeElementType.Int64 => "INT64",
        EdgeElementType.Float16 => "FP16",
        EdgeElementType.Float => "FP32",
        EdgeElementType.Double => "FP64",
        EdgeElementType.BFloat16 => "BF16",
        EdgeElementType.String => "BYTES",
        _ => "UNKNOWN",
    };

    public static EdgeElementType ParseDatatype(string? datatype, string tensor) => datatype switch
    {
        "BOOL" => EdgeElementType.Bool,
        "UINT8" => EdgeElementType.UInt8,
        "UINT16" => EdgeElementType.UInt16,
        "UINT32" => EdgeElementType.UInt32,
        "UINT64" => EdgeElementType.UInt64,
        "INT8" => EdgeElementType.Int8,
        "INT16" => EdgeElementType.Int16,
        "INT32" => EdgeElementType.Int32,
        "INT64" => EdgeElementType.Int64,
        "FP16" => EdgeElementType.Float16,
        "FP32" => EdgeElementType.Float,
        "FP64" => EdgeElementType.Double,
        "BF16" => EdgeElementType.BFloat16,
        "BYTES" => EdgeElementType.String,
        _ => throw Invalid(EdgeErrorCode.InvalidArgument, tensor, $"Input '{tensor}' has datatype '{datatype}'; use BOOL, UINT8..UINT64, INT8..INT64, FP16, FP32, FP64, BF16 or BYTES."),
    };

    /// <summary>The element count of <paramref name="shape"/>, checked.</summary>
    public static int Count(long[] shape, string tensor)
    {
        var count = Shapes.ElementCount(shape);
        return count is < 0 or > int.MaxValue
            ? throw Invalid(EdgeErrorCode.TensorDataMismatch, tensor, $"Input '{tensor}' has an invalid shape {Shapes.Format(shape)}: dimensions must be non-negative.")
            : (int)count;
    }

    /// <summary>A tensor from V2 JSON <c>data</c>: a flat or nested array in row-major order (a single value for shape []).</summary>
    public static EdgeTensor FromJson(string tensor, EdgeElementType type, long[] shape, JsonElement data)
    {
        var count = Count(shape, tensor);
        var leaves = new List<JsonElement>(count);
        Flatten(data, leaves, tensor, depth: 0);
        if (leaves.Count != count)
        {
            throw Invalid(EdgeErrorCode.TensorDataMismatch, tensor, $"Input '{tensor}' has shape {Shapes.Format(shape)} ({count} elements) but its data holds {leaves.Count}.");
        }

        var array = ElementTypes.NewArray(type, count, tensor);
        for (var i = 0; i < count; i++)
        {
            if (type == EdgeElementType.BFloat16 ? !TrySetBFloat16((ushort[])array, i, leaves[i]) : !TrySet(array, i, leaves[i]))
            {
                throw Invalid(EdgeErrorCode.InvalidJson, tensor, $"Input '{tensor}': element {i} ({leaves[i].GetRawText()}) is not a {Datatype(type)} value.");
            }
        }

        return EdgeTensor.Wrap(array, shape, type);
    }

    /// <summary>A tensor from raw little-endian bytes (BYTES: each element a 4-byte length and its UTF-8 bytes).</summary>
    public static EdgeTensor FromRaw(string tensor, EdgeElementType type, long[] shape, ReadOnlySpan<byte> raw)
    {
        var count = Count(shape, tensor);
        if (type == EdgeElementType.String)
        {
            var strings = new string[count];
            var offset = 0;
            for (var i = 0; i < count; i++)
            {
                if (raw.Length - offset < 4 || BinaryPrimitives.ReadUInt32LittleEndian(raw[offset..]) is var length && length > (uint)(raw.Length - offset - 4))
                {
                    throw Invalid(EdgeErrorCode.TensorDataMismatch, tensor, $"Input '{tensor}': raw BYTES data ends inside element {i} of {count}.");
                }

                strings[i] = Encoding.UTF8.GetString(raw.Slice(offset + 4, (int)length));
                offset += 4 + (int)length;
            }

            return offset == raw.Length
                ? EdgeTensor.Wrap(strings, shape, type)
                : throw Invalid(EdgeErrorCode.TensorDataMismatch, tensor, $"Input '{tensor}': raw BYTES data has {raw.Length - offset} bytes after its {count} elements.");
        }

        var size = ElementTypes.SizeOf(type);
        if ((long)count * size != raw.Length)
        {
            throw Invalid(EdgeErrorCode.TensorDataMismatch, tensor, $"Input '{tensor}' has shape {Shapes.Format(shape)} ({count} x {size} bytes) but {raw.Length} bytes of data.");
        }

        var array = ElementTypes.NewArray(type, count, tensor);
        raw.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), raw.Length));
        if (type == EdgeElementType.Bool && raw.ContainsAnyExcept((byte)0, (byte)1))
        {
            throw Invalid(EdgeErrorCode.InvalidJson, tensor, $"Input '{tensor}': raw BOOL data must be bytes 0 or 1.");
        }

        return EdgeTensor.Wrap(array, shape, type);
    }

    /// <summary>Writes a tensor's elements as a flat JSON array.</summary>
    public static void WriteJson(Utf8JsonWriter w, EdgeTensor t)
    {
        w.WriteStartArray();
        switch (t.ElementType)
        {
            case EdgeElementType.Float: foreach (var v in t.AsSpan<float>()) { Number(w, v); } break;
            case EdgeElementType.Double: foreach (var v in t.AsSpan<double>()) { Number(w, v); } break;
            case EdgeElementType.Float16: foreach (var v in t.AsSpan<Half>()) { Number(w, (float)v); } break;
            case EdgeElementType.BFloat16: foreach (var v in t.AsSpan<ushort>()) { Number(w, ElementTypes.BFloat16ToSingle(v)); } break;
            case EdgeElementType.Int8: foreach (var v in t.AsSpan<sbyte>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.Int16: foreach (var v in t.AsSpan<short>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.Int32: foreach (var v in t.AsSpan<int>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.Int64: foreach (var v in t.AsSpan<long>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.UInt8: foreach (var v in t.AsSpan<byte>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.UInt16: foreach (var v in t.AsSpan<ushort>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.UInt32: foreach (var v in t.AsSpan<uint>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.UInt64: foreach (var v in t.AsSpan<ulong>()) { w.WriteNumberValue(v); } break;
            case EdgeElementType.Bool: foreach (var v in t.AsSpan<bool>()) { w.WriteBooleanValue(v); } break;
            case EdgeElementType.String: foreach (var v in t.AsSpan<string>()) { w.WriteStringValue(v); } break;
            default: throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output element type {t.ElementType} has no V2 datatype.");
        }

        w.WriteEndArray();
    }

    /// <summary>The raw bytes of a tensor (BYTES: each element a 4-byte little-endian length and its UTF-8 bytes).</summary>
    public static byte[] ToRaw(EdgeTensor t)
    {
        if (t.ElementType != EdgeElementType.String)
        {
            return t.AsBytes().ToArray();
        }

        var buffer = new ArrayBufferWriter<byte>();
        foreach (var s in t.AsSpan<string>())
        {
            var length = Encoding.UTF8.GetByteCount(s);
            BinaryPrimitives.WriteUInt32LittleEndian(buffer.GetSpan(4), (uint)length);
            buffer.Advance(4);
            buffer.Advance(Encoding.UTF8.GetBytes(s, buffer.GetSpan(length)));
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static EdgeException Invalid(EdgeErrorCode code, string tensor, string message) => new(code, message) { TensorName = tensor };

    private static void Number(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            w.WriteStringValue(double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
        }
    }

    private static void Number(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v))
        {
            w.WriteNumberValue(v);
        }
        else
        {
            Number(w, (double)v);
        }
    }

    private static void Flatten(JsonElement e, List<JsonElement> leaves, string tensor, int depth)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            leaves.Add(e);
            return;
        }

        if (depth > 32)
        {
            throw Invalid(EdgeErrorCode.InvalidJson, tensor, $"Input '{tensor}': data is nested deeper than 32 levels.");
        }

        foreach (var item in e.EnumerateArray())
        {
            Flatten(item, leaves, tensor, depth + 1);
        }
    }

    private static bool TrySet(Array array, int i, JsonElement e)
    {
        switch (array)
        {
            case float[] a when TryDouble(e, out var d): a[i] = (float)d; return true;
            case double[] a when TryDouble(e, out var d): a[i] = d; return true;
            case Half[] a when TryDouble(e, out var d): a[i] = (Half)d; return true;
            case sbyte[] a when e.ValueKind == JsonValueKind.Number && e.TryGetSByte(out var v): a[i] = v; return true;
            case short[] a when e.ValueKind == JsonValueKind.Number && e.TryGetInt16(out var v): a[i] = v; return true;
            case int[] a when e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var v): a[i] = v; return true;
            case long[] a when e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v): a[i] = v; return true;
            case byte[] a when e.ValueKind == JsonValueKind.Number && e.TryGetByte(out var v): a[i] = v; return true;
            case uint[] a when e.ValueKind == JsonValueKind.Number && e.TryGetUInt32(out var v): a[i] = v; return true;
            case ulong[] a when e.ValueKind == JsonValueKind.Number && e.TryGetUInt64(out var v): a[i] = v; return true;
            case bool[] a when e.ValueKind is JsonValueKind.True or JsonValueKind.False: a[i] = e.GetBoolean(); return true;
            case string[] a when e.ValueKind == JsonValueKind.String: a[i] = e.GetString()!; return true;
            case ushort[] a when e.ValueKind == JsonValueKind.Number && e.TryGetUInt16(out var v): a[i] = v; return true;
            default: return false;
        }
    }

    private static bool TrySetBFloat16(ushort[] array, int i, JsonElement e)
    {
        if (!TryDouble(e, out var d))
        {
            return false;
        }

        array[i] = ElementTypes.SingleToBFloat16((float)d);
        return true;
    }

    private static bool TryDouble(JsonElement e, out double value)
    {
        if (e.ValueKind == JsonValueKind.Number)
        {
            return e.TryGetDouble(out value);
        }

        value = e.ValueKind == JsonValueKind.String ? e.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" or "inf" => double.PositiveInfinity,
            "-Infinity" or "-inf" => double.NegativeInfinity,
            _ => 0,
        } : 0;
        return e.ValueKind == JsonValueKind.String && (double.IsNaN(value) || double.IsInfinity(value));
    }
}
