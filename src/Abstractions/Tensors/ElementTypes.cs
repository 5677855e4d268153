using System.Runtime.CompilerServices;

namespace EdgeDeploy.Runtime.Tensors;

/// <summary>Maps CLR types, EdgeDeploy element types and ONNX Runtime element types onto each other.</summary>
internal static class ElementTypes
{
    public static EdgeElementType Of<T>()
    {
        // typeof(T) comparisons fold to constants per instantiation under the JIT and AOT.
        if (typeof(T) == typeof(float)) { return EdgeElementType.Float; }
        if (typeof(T) == typeof(double)) { return EdgeElementType.Double; }
        if (typeof(T) == typeof(Half)) { return EdgeElementType.Float16; }
        if (typeof(T) == typeof(sbyte)) { return EdgeElementType.Int8; }
        if (typeof(T) == typeof(short)) { return EdgeElementType.Int16; }
        if (typeof(T) == typeof(int)) { return EdgeElementType.Int32; }
        if (typeof(T) == typeof(long)) { return EdgeElementType.Int64; }
        if (typeof(T) == typeof(byte)) { return EdgeElementType.UInt8; }
        if (typeof(T) == typeof(ushort)) { return EdgeElementType.UInt16; }
        if (typeof(T) == typeof(uint)) { return EdgeElementType.UInt32; }
        if (typeof(T) == typeof(ulong)) { return EdgeElementType.UInt64; }
        if (typeof(T) == typeof(bool)) { return EdgeElementType.Bool; }
        if (typeof(T) == typeof(string)) { return EdgeElementType.String; }
        return IsBFloat16Type<T>() ? EdgeElementType.BFloat16 : EdgeElementType.Unknown;
    }

    public static int SizeOf(EdgeElementType type) => type switch
    {
        EdgeElementType.Float or EdgeElementType.Int32 or EdgeElementType.UInt32 => 4,
        EdgeElementType.Double or EdgeElementType.Int64 or EdgeElementType.UInt64 => 8,
        EdgeElementType.Float16 or EdgeElementType.BFloat16 or EdgeElementType.Int16 or EdgeElementType.UInt16 => 2,
        EdgeElementType.Int8 or EdgeElementType.UInt8 or EdgeElementType.Bool => 1,
        _ => 0,
    };

    public static string Describe(EdgeElementType type) => type switch
    {
        EdgeElementType.Float => "float32",
        EdgeElementType.Double => "float64",
        EdgeElementType.Float16 => "float16",
        EdgeElementType.BFloat16 => "bfloat16",
        EdgeElementType.Int8 => "int8",
        EdgeElementType.Int16 => "int16",
        EdgeElementType.Int32 => "int32",
        EdgeElementType.Int64 => "int64",
        EdgeElementType.UInt8 => "uint8",
        EdgeElementType.UInt16 => "uint16",
        EdgeElementType.UInt32 => "uint32",
        EdgeElementType.UInt64 => "uint64",
        EdgeElementType.Bool => "bool",
        EdgeElementType.String => "string",
        _ => "unknown",
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsFloatingPoint(EdgeElementType type) =>
        type is EdgeElementType.Float or EdgeElementType.Double or EdgeElementType.Float16 or EdgeElementType.BFloat16;

    /// <summary>
    /// True for a 2-byte struct named BFloat16 (ONNX Runtime's <c>Microsoft.ML.OnnxRuntime.Tensors.BFloat16</c>): this
    /// assembly has no dependencies, so the type is recognised by shape and name rather than referenced.
    /// </summary>
    public static bool IsBFloat16Type<T>() =>
        !RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() == 2 && typeof(T).Name == "BFloat16";

    /// <summary>The float a bfloat16 bit pattern stands for.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>The nearest bfloat16 (round to nearest even; NaN stays NaN).</summary>
    public static ushort SingleToBFloat16(float value)
    {
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }

        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>A managed array of <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public static Array NewArray(EdgeElementType type, int count, string name) => type switch
    {
        EdgeElementType.Float => new float[count],
        EdgeElementType.Double => new double[count],
        EdgeElementType.Float16 => new Half[count],
        EdgeElementType.BFloat16 => new ushort[count],
        EdgeElementType.Int8 => new sbyte[count],
        EdgeElementType.Int16 => new short[count],
        EdgeElementType.Int32 => new int[count],
        EdgeElementType.Int64 => new long[count],
        EdgeElementType.UInt8 => new byte[count],
        EdgeElementType.UInt16 => new ushort[count],
        EdgeElementType.UInt32 => new uint[count],
        EdgeElementType.UInt64 => new ulong[count],
        EdgeElementType.Bool => new bool[count],
        EdgeElementType.String => new string[count],
        _ => throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Tensor '{name}' has an element type this runtime cannot marshal.") { TensorName = name },
    };
}
