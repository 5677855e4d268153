using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace EdgeDeploy.Runtime.Tensors;

/// <summary>Maps EdgeDeploy element types onto ONNX Runtime's and back.</summary>
internal static class OrtElementTypes
{
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
        OrtElementType.BFloat16 => EdgeElementType.BFloat16,
        _ => EdgeElementType.Unknown,
    };

    public static OrtElementType ToOrt(EdgeElementType type) => type switch
    {
        EdgeElementType.Unknown or EdgeElementType.String => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a fixed-size element type."),
        _ => (OrtElementType)(int)type, // EdgeElementType mirrors ONNX's DataType numbering, as ORT's enum does.
    };
}
