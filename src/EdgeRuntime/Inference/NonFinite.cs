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
        _ => -1,
    };

    public static string Describe(EdgeElementType type, ReadOnlySpan<byte> data, int index)
    {
        double value = type switch
        {
            EdgeElementType.Float => MemoryMarshal.Cast<byte, float>(data)[index],
            EdgeElementType.Double => MemoryMarshal.Cast<byte, double>(data)[index],
            _ => (double)MemoryMarshal.Cast<byte, Half>(data)[index],
        };
        return double.IsNaN(value) ? "NaN" : value > 0 ? "+Infinity" : "-Infinity";
    }

    private static int IndexOfFirst<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // x - x is 0 for finite x and NaN for NaN and ±Inf: one vector compare per block on the happy path.
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            foreach (var v in vectors)
            {
                if (!Vector.EqualsAll(v - v, Vector<T>.Zero))
                {
                    break;
                }

                i += Vector<T>.Count;
            }
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
