namespace EdgeDeploy.Runtime;

/// <summary>Tensor element types. Values match ONNX's <c>TensorProto.DataType</c>.</summary>
public enum EdgeElementType
{
    /// <summary>Not a tensor, or an element type this runtime cannot marshal.</summary>
    Unknown = 0,

    /// <summary>32-bit IEEE float (<see cref="float"/>).</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer (<see cref="byte"/>).</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer (<see cref="sbyte"/>).</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer (<see cref="ushort"/>).</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer (<see cref="short"/>).</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer (<see cref="int"/>).</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer (<see cref="long"/>).</summary>
    Int64 = 7,

    /// <summary>UTF-8 string (<see cref="string"/>).</summary>
    String = 8,

    /// <summary>Boolean, one byte per element (<see cref="bool"/>).</summary>
    Bool = 9,

    /// <summary>16-bit IEEE float (<see cref="Half"/>).</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float (<see cref="double"/>).</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer (<see cref="uint"/>).</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer (<see cref="ulong"/>).</summary>
    UInt64 = 13,

    /// <summary>
    /// Brain floating point: the upper 16 bits of a 32-bit IEEE float. Create tensors from ONNX Runtime's
    /// <c>Microsoft.ML.OnnxRuntime.Tensors.BFloat16</c> (<see cref="EdgeTensor.Create{T}(T[], ReadOnlySpan{long})"/>) or from raw
    /// bits (<see cref="EdgeTensor.CreateBFloat16(ushort[], ReadOnlySpan{long})"/>); read them as either with <see cref="EdgeTensor.AsSpan{T}"/>.
    /// </summary>
    BFloat16 = 16,
}
