using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>
/// One input or output of a model. Inputs are always tensors; an output may also be a sequence or a map
/// (<see cref="Kind"/>) and may be optional (<see cref="IsOptional"/>).
/// </summary>
public sealed class TensorSchema
{
    internal TensorSchema(string name, EdgeElementType elementType, long[] shape, string?[] dimensionNames)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
        DimensionNames = dimensionNames;
        IsFixedShape = Array.TrueForAll(shape, d => d >= 0);
        Kind = EdgeValueKind.Tensor;
    }

    private TensorSchema(string name, EdgeValueKind kind, bool optional, EdgeElementType elementType, EdgeElementType keyType, TensorSchema? element)
    {
        Name = name;
        Kind = kind;
        IsOptional = optional;
        ElementType = elementType;
        KeyType = keyType;
        Element = element;
        Shape = [];
        DimensionNames = [];
        IsFixedShape = true;
    }

    /// <summary>The tensor's name in the graph.</summary>
    public string Name { get; }

    /// <summary>
    /// The element type of a tensor, or of a map's values; <see cref="EdgeElementType.Unknown"/> for sequences (see
    /// <see cref="Element"/>) and element types this runtime cannot marshal.
    /// </summary>
    public EdgeElementType ElementType { get; }

    /// <summary>The dimensions; -1 marks a dynamic dimension. Empty for sequences and maps.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The symbolic name of each dimension (e.g. "batch"), or null where the model gives none.</summary>
    public IReadOnlyList<string?> DimensionNames { get; }

    /// <summary>True when every dimension is fixed.</summary>
    public bool IsFixedShape { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary><see cref="EdgeValueKind.Tensor"/>, <see cref="EdgeValueKind.Sequence"/> or <see cref="EdgeValueKind.Map"/> (never None).</summary>
    public EdgeValueKind Kind { get; }

    /// <summary>True for an ONNX <c>optional(...)</c> output: a run may return <see cref="EdgeValue.None"/> for it.</summary>
    public bool IsOptional { get; private init; }

    /// <summary>A map's key type (int64 or string); <see cref="EdgeElementType.Unknown"/> for other kinds.</summary>
    public EdgeElementType KeyType { get; }

    /// <summary>What a sequence holds (a tensor or a map, named like the output); null for other kinds.</summary>
    public TensorSchema? Element { get; }

    /// <summary>Shape as text, dynamic dimensions by name, e.g. <c>[batch, 4]</c>.</summary>
    public string FormatShape() => Shapes.Format(((long[])Shape).AsSpan(), DimensionNames);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DescribeType()}";

    /// <summary>The type without the name, e.g. <c>float32[batch, 4]</c>, <c>seq(map(int64, float32))</c>, <c>optional(float32[3])</c>.</summary>
    public string DescribeType()
    {
        var inner = Kind switch
        {
            EdgeValueKind.Sequence => $"seq({Element?.DescribeType() ?? "unknown"})",
            EdgeValueKind.Map => $"map({ElementTypes.Describe(KeyType)}, {ElementTypes.Describe(ElementType)})",
            _ => $"{ElementTypes.Describe(ElementType)}{FormatShape()}",
        };
        return IsOptional ? $"optional({inner})" : inner;
    }

    internal static TensorSchema Sequence(string name, TensorSchema element, bool optional = false) =>
        new(name, EdgeValueKind.Sequence, optional, EdgeElementType.Unknown, EdgeElementType.Unknown, element);

    internal static TensorSchema Map(string name, EdgeElementType keyType, EdgeElementType valueType, bool optional = false) =>
        new(name, EdgeValueKind.Map, optional, valueType, keyType, null);

    internal TensorSchema AsOptional()
    {
        if (Kind == EdgeValueKind.Tensor)
        {
            return new TensorSchema(Name, ElementType, (long[])Shape, (string?[])DimensionNames) { IsOptional = true };
        }

        return new TensorSchema(Name, Kind, true, ElementType, KeyType, Element);
    }
}
