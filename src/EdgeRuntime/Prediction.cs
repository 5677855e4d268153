namespace EdgeDeploy.Runtime;

/// <summary>The outputs of one prediction, by name, in the model's output order. Immutable.</summary>
public sealed class Prediction
{
    private readonly string[] _names;
    private readonly EdgeTensor[] _tensors;

    internal Prediction(string[] names, EdgeTensor[] tensors)
    {
        _names = names;
        _tensors = tensors;
    }

    /// <summary>Output names in model order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Output tensors, parallel to <see cref="Names"/>.</summary>
    public IReadOnlyList<EdgeTensor> Tensors => _tensors;

    /// <summary>The output called <paramref name="name"/>.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> when there is no such output.</exception>
    public EdgeTensor this[string name]
    {
        get
        {
            var index = Array.IndexOf(_names, name);
            return index >= 0
                ? _tensors[index]
                : throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output '{name}' is not an output of this model (outputs: {string.Join(", ", _names)}).") { TensorName = name };
        }
    }
}
