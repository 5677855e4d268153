using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Native;

/// <summary>Copies between caller memory and tensors, checking sizes against the element type and shape.</summary>
internal static unsafe class NativeTensors
{
    public static EdgeTensor FromBuffer(EdgeElementType type, long[] shape, void* data, nuint bytes) => type switch
    {
        EdgeElementType.Float => Copy<float>(type, shape, data, bytes),
        EdgeElementType.Double => Copy<double>(type, shape, data, bytes),
        EdgeElementType.Float16 => Copy<Half>(type, shape, data, bytes),
        EdgeElementType.BFloat16 => Copy<ushort>(type, shape, data, bytes),
        EdgeElementType.Int8 => Copy<sbyte>(type, shape, data, bytes),
        EdgeElementType.UInt8 => Copy<byte>(type, shape, data, bytes),
        EdgeElementType.Int16 => Copy<short>(type, shape, data, bytes),
        EdgeElementType.UInt16 => Copy<ushort>(type, shape, data, bytes),
        EdgeElementType.Int32 => Copy<int>(type, shape, data, bytes),
        EdgeElementType.UInt32 => Copy<uint>(type, shape, data, bytes),
        EdgeElementType.Int64 => Copy<long>(type, shape, data, bytes),
        EdgeElementType.UInt64 => Copy<ulong>(type, shape, data, bytes),
        EdgeElementType.Bool => Copy<bool>(type, shape, data, bytes),
        _ => throw new EdgeException(EdgeErrorCode.InputTypeMismatch, $"Element type {(int)type} is not supported through the C ABI (strings are .NET-only)."),
    };

    public static void ToBuffer(EdgeTensor value, NativeTensor* target)
    {
        if (value.ElementType == EdgeElementType.String)
        {
            throw new EdgeException(EdgeErrorCode.InvalidOutput, "String outputs are not supported through the C ABI.");
        }

        if (value.Rank > NativeTensor.MaxRank)
        {
            throw new EdgeException(EdgeErrorCode.InvalidOutput, $"The output has rank {value.Rank}; the C ABI supports up to {NativeTensor.MaxRank}.");
        }

        var bytes = value.AsBytes();
        var capacity = target->DataBytes;
        target->ElementType = (int)value.ElementType;
        target->Rank = value.Rank;
        for (var d = 0; d < value.Rank; d++)
        {
            target->Shape[d] = value.Shape[d];
        }

        target->DataBytes = (nuint)bytes.Length;
        if ((nuint)bytes.Length > capacity || (target->Data == null && bytes.Length > 0))
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"The output needs {bytes.Length} bytes; the buffer holds {capacity} (data_bytes now says how many are needed).");
        }

        bytes.CopyTo(new Span<byte>(target->Data, bytes.Length));
    }

    private static EdgeTensor Copy<T>(EdgeElementType type, long[] shape, void* data, nuint bytes)
        where T : unmanaged
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new EdgeException(EdgeErrorCode.InputShapeMismatch, $"Input shape has a negative dimension ({d}).");
            }

            count = checked(count * d);
        }

        var expected = checked(count * sizeof(T));
        if ((ulong)expected != bytes || (data == null && count > 0))
        {
            throw new EdgeException(EdgeErrorCode.TensorDataMismatch, $"Shape [{string.Join(",", shape)}] of {type} needs {expected} bytes; {bytes} were given.");
        }

        var array = new T[count];
        new ReadOnlySpan<byte>(data, (int)expected).CopyTo(MemoryMarshal.AsBytes(array.AsSpan()));
        return EdgeTensor.Wrap(array, shape, type);
    }
}
