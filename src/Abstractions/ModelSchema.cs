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

/// <summary>A model's inputs, outputs and metadata.</summary>
public sealed class ModelSchema
{
    internal ModelSchema(
        IReadOnlyList<TensorSchema> inputs,
        IReadOnlyList<TensorSchema> outputs,
        string producerName,
        string graphName,
        string description,
        long version,
        IReadOnlyDictionary<string, string> customMetadata)
    {
        Inputs = inputs;
        Outputs = outputs;
        ProducerName = producerName;
        GraphName = graphName;
        Description = description;
        Version = version;
        CustomMetadata = customMetadata;
    }

    /// <summary>The inputs, in graph order.</summary>
    public IReadOnlyList<TensorSchema> Inputs { get; }

    /// <summary>The outputs, in graph order.</summary>
    public IReadOnlyList<TensorSchema> Outputs { get; }

    /// <summary>The tool that produced the model.</summary>
    public string ProducerName { get; }

    /// <summary>The graph's name.</summary>
    public string GraphName { get; }

    /// <summary>The model's doc string.</summary>
    public string Description { get; }

    /// <summary>The model version recorded in the file.</summary>
    public long Version { get; }

    /// <summary>Custom metadata properties from the model file.</summary>
    public IReadOnlyDictionary<string, string> CustomMetadata { get; }

    /// <summary>Finds an input by name.</summary>
    public TensorSchema? FindInput(string name) => Find(Inputs, name);

    /// <summary>Finds an output by name.</summary>
    public TensorSchema? FindOutput(string name) => Find(Outputs, name);

    private static TensorSchema? Find(IReadOnlyList<TensorSchema> list, string name)
    {
        foreach (var t in list)
        {
            if (t.Name == name)
            {
                return t;
            }
        }

        return null;
    }
}
