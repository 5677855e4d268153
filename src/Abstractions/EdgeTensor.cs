using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>
/// An immutable dense tensor: an element type, a shape and the elements in row-major order.
/// <see cref="Create{T}(T[], ReadOnlySpan{long})"/> wraps the caller's array without copying, so the caller must not
/// change it while the tensor is in use.
/// </summary>
public sealed class EdgeTensor
{
    private readonly Array _data;
    private readonly long[] _shape;

    private EdgeTensor(Array data, long[] shape, EdgeElementType elementType)
    {
        _data = data;
        _shape = shape;
        ElementType = elementType;
    }

    /// <summary>The element type.</summary>
    public EdgeElementType ElementType { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (product of <see cref="Shape"/>).</summary>
    public int ElementCount => _data.Length;

    internal Array Data => _data;

    internal long[] ShapeArray => _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied) as a tensor of the given shape.</summary>
    /// <typeparam name="T">float, double, Half, sbyte, short, int, long, byte, ushort, uint, ulong, bool or ONNX Runtime's BFloat16.</typeparam>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.TensorDataMismatch"/> when the length does not match the shape.</exception>
    public static EdgeTensor Create<T>(T[] data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        var type = ElementTypes.Of<T>();
        if (type == EdgeElementType.Unknown)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Element type {typeof(T).Name} is not supported; use float, double, Half, sbyte, short, int, long, byte, ushort, uint, ulong, bool, BFloat16 or string.");
        }

        return new EdgeTensor(data, CheckShape(data.Length, shape), type);
    }

    /// <summary>Wraps a string array (not copied) as a string tensor of the given shape.</summary>
    public static EdgeTensor Create(string[] data, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var s in data)
        {
            if (s is null)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, "String tensors cannot contain null elements.");
            }
        }

        return new EdgeTensor(data, CheckShape(data.Length, shape), EdgeElementType.String);
    }

    /// <summary>
    /// Wraps raw bfloat16 bit patterns (not copied; each the upper 16 bits of a float32) as a
    /// <see cref="EdgeElementType.BFloat16"/> tensor.
    /// </summary>
    public static EdgeTensor CreateBFloat16(ushort[] bits, ReadOnlySpan<long> shape)
    {
        ArgumentNullException.ThrowIfNull(bits);
        return new EdgeTensor(bits, CheckShape(bits.Length, shape), EdgeElementType.BFloat16);
    }

    /// <summary>A 1-D tensor over <paramref name="data"/>.</summary>
    public static EdgeTensor Create<T>(T[] data)
        where T : unmanaged => Create(data, [data?.Length ?? 0]);

    /// <summary>
    /// The elements as a read-only span. A <see cref="EdgeElementType.BFloat16"/> tensor reads as ONNX Runtime's BFloat16
    /// or as <see cref="ushort"/> bit patterns, whichever it was created from.
    /// </summary>
    /// <exception cref="EdgeException">When <typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public ReadOnlySpan<T> AsSpan<T>()
    {
        if (_data is T[] typed)
        {
            return typed;
        }

        if (ElementType == EdgeElementType.BFloat16 && (typeof(T) == typeof(ushort) || ElementTypes.IsBFloat16Type<T>()))
        {
            return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(_data)), _data.Length);
        }

        throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Tensor holds {ElementTypes.Describe(ElementType)} elements, not {typeof(T).Name}.");
    }

    /// <summary>A copy of the elements.</summary>
    public T[] ToArray<T>() => AsSpan<T>().ToArray();

    /// <summary>
    /// The element at <paramref name="index"/> (row-major, as in <see cref="AsSpan{T}"/>) as a <see cref="double"/>,
    /// whatever the numeric element type: for reading a feature or a score without switching on <see cref="ElementType"/>.
    /// </summary>
    /// <returns><see cref="double.NaN"/> when the index is outside the tensor or its elements are not numbers (strings, booleans).</returns>
    public double ValueAt(int index) => index < 0 || index >= ElementCount ? double.NaN : ElementType switch
    {
        EdgeElementType.Float => AsSpan<float>()[index],
        EdgeElementType.Double => AsSpan<double>()[index],
        EdgeElementType.Int64 => AsSpan<long>()[index],
        EdgeElementType.Int32 => AsSpan<int>()[index],
        EdgeElementType.Int16 => AsSpan<short>()[index],
        EdgeElementType.Int8 => AsSpan<sbyte>()[index],
        EdgeElementType.UInt64 => AsSpan<ulong>()[index],
        EdgeElementType.UInt32 => AsSpan<uint>()[index],
        EdgeElementType.UInt16 => AsSpan<ushort>()[index],
        EdgeElementType.UInt8 => AsSpan<byte>()[index],
        EdgeElementType.Float16 => (double)AsSpan<Half>()[index],
        EdgeElementType.BFloat16 => ElementTypes.BFloat16ToSingle(AsSpan<ushort>()[index]),
        _ => double.NaN,
    };

    /// <summary>The raw bytes of a fixed-size tensor (empty for strings).</summary>
    internal ReadOnlySpan<byte> AsBytes() => ElementType == EdgeElementType.String
        ? default
        : MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(_data), checked(_data.Length * ElementTypes.SizeOf(ElementType)));

    internal static EdgeTensor Wrap(Array data, long[] shape, EdgeElementType type) => new(data, shape, type);

    /// <inheritdoc/>
    public override string ToString() => $"{ElementTypes.Describe(ElementType)}{Shapes.Format(_shape)}";

    private static long[] CheckShape(int length, ReadOnlySpan<long> shape)
    {
        var count = Shapes.ElementCount(shape);
        if (count != length)
        {
            throw new EdgeException(
                EdgeErrorCode.TensorDataMismatch,
                count < 0
                    ? $"Shape {Shapes.Format(shape)} is invalid: dimensions must be non-negative and their product must fit in 64 bits."
                    : $"Shape {Shapes.Format(shape)} holds {count} elements but {length} were supplied.");
        }

        return shape.ToArray();
    }
}
