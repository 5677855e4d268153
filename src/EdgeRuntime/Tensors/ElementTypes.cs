using System.Runtime.CompilerServices;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

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
        return EdgeElementType.Unknown;
    }

    public static EdgeElementType FromOrt(OrtElementType type) => type switch
    {
        OrtElementType.Float => EdgeElementType.Float,
        OrtElementType.Double => EdgeElementType.Double,
        OrtElementType.Float16 => EdgeElementType.Float16,
        OrtElementType.Int8 => EdgeElementType.Int8,
        OrtElementType.Int16 => EdgeElementType.Int16,
        OrtElementType.Int32 => EdgeElementType.Int32,
        OrtElementType.Int64 => EdgeElementType.Int64,
        OrtElementType.UInt8 => EdgeElementType.UInt8,
        OrtElementType.UInt16 => EdgeElementType.UInt16,
        OrtElementType.UInt32 => EdgeElementType.UInt32,
        OrtElementType.UInt64 => EdgeElementType.UInt64,
        OrtElementType.Bool => EdgeElementType.Bool,
        OrtElementType.String => EdgeElementType.String,
        _ => EdgeElementType.Unknown,
    };

    public static OrtElementType ToOrt(EdgeElementType type) => type switch
    {
        EdgeElementType.Unknown or EdgeElementType.String => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a fixed-size element type."),
        _ => (OrtElementType)(int)type, // EdgeElementType mirrors ONNX's DataType numbering, as ORT's enum does.
    };

    public static int SizeOf(EdgeElementType type) => type switch
    {
        EdgeElementType.Float or EdgeElementType.Int32 or EdgeElementType.UInt32 => 4,
        EdgeElementType.Double or EdgeElementType.Int64 or EdgeElementType.UInt64 => 8,
        EdgeElementType.Float16 or EdgeElementType.Int16 or EdgeElementType.UInt16 => 2,
        EdgeElementType.Int8 or EdgeElementType.UInt8 or EdgeElementType.Bool => 1,
        _ => 0,
    };

    public static string Describe(EdgeElementType type) => type switch
    {
        EdgeElementType.Float => "float32",
        EdgeElementType.Double => "float64",
        EdgeElementType.Float16 => "float16",
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
        type is EdgeElementType.Float or EdgeElementType.Double or EdgeElementType.Float16;
}
