using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Finds NaN and infinity in floating-point buffers.</summary>
internal static class NonFinite
{
    public static int IndexOfFirst(EdgeElementType type, ReadOnlySpan<byte> data) => type switch
    {
        EdgeElementType.Float => IndexOfFirst(MemoryMarshal.Cast<byte, float>(data)),
        EdgeElementType.Double => IndexOfFirst(MemoryMarshal.Cast<byte, double>(data)),
        EdgeElementType.Float16 => IndexOfFirstHalf(MemoryMarshal.Cast<byte, Half>(data)),
        EdgeElementType.BFloat16 => IndexOfFirstBFloat16(MemoryMarshal.Cast<byte, ushort>(data)),
        _ => -1,
    };

    public static string Describe(EdgeElementType type, ReadOnlySpan<byte> data, int index)
    {
        double value = type switch
        {
            EdgeElementType.Float => MemoryMarshal.Cast<byte, float>(data)[index],
            EdgeElementType.Double => MemoryMarshal.Cast<byte, double>(data)[index],
            EdgeElementType.BFloat16 => EdgeDeploy.Runtime.Tensors.ElementTypes.BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(data)[index]),
            _ => (double)MemoryMarshal.Cast<byte, Half>(data)[index],
        };
        return double.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
    }

    private static int IndexOfFirst<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // x - x is +0 for finite x and NaN for NaN and ±Inf. OR-ing the bits of four such differences and comparing once
        // keeps the scan memory-bound on large inputs (an image batch is tens of MB checked on every run); a block
        // that fails is rescanned element by element below to find the index.
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            var v = 0;
            for (; v + 4 <= vectors.Length; v += 4)
            {
                var a = vectors[v] - vectors[v];
                var b = vectors[v + 1] - vectors[v + 1];
                var c = vectors[v + 2] - vectors[v + 2];
                var d = vectors[v + 3] - vectors[v + 3];
                var bits = Vector.AsVectorByte(a) | Vector.AsVectorByte(b) | Vector.AsVectorByte(c) | Vector.AsVectorByte(d);
                if (bits != Vector<byte>.Zero)
                {
                    break;
                }
            }

            for (; v < vectors.Length; v++)
            {
                if (Vector.AsVectorByte(vectors[v] - vectors[v]) != Vector<byte>.Zero)
                {
                    break;
                }
            }

            i = v * Vector<T>.Count;
        }

        for (; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOfFirstBFloat16(ReadOnlySpan<ushort> bits)
    {
        // All exponent bits set: infinity or NaN.
        for (var i = 0; i < bits.Length; i++)
        {
            if ((bits[i] & 0x7F80) == 0x7F80)
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOfFirstHalf(ReadOnlySpan<Half> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!Half.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }
}
