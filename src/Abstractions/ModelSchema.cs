namespace EdgeDeploy.Runtime;

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
