using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>One input or output of a model.</summary>
public sealed class TensorSchema
{
    internal TensorSchema(string name, EdgeElementType elementType, long[] shape, string?[] dimensionNames)
    {
        Name = name;
        ElementType = elementType;
        Shape = shape;
        DimensionNames = dimensionNames;
        IsFixedShape = Array.TrueForAll(shape, d => d >= 0);
    }

    /// <summary>The tensor's name in the graph.</summary>
    public string Name { get; }

    /// <summary>The element type; <see cref="EdgeElementType.Unknown"/> for element types this runtime cannot marshal.</summary>
    public EdgeElementType ElementType { get; }

    /// <summary>The dimensions; -1 marks a dynamic dimension.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The symbolic name of each dimension (e.g. "batch"), or null where the model gives none.</summary>
    public IReadOnlyList<string?> DimensionNames { get; }

    /// <summary>True when every dimension is fixed.</summary>
    public bool IsFixedShape { get; }

    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>Shape as text, dynamic dimensions by name, e.g. <c>[batch, 4]</c>.</summary>
    public string FormatShape() => Shapes.Format(((long[])Shape).AsSpan(), DimensionNames);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {ElementTypes.Describe(ElementType)}{FormatShape()}";
}
