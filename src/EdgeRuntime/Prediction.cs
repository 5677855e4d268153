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

/// <summary>Counters of the prediction cache.</summary>
/// <param name="Hits">Lookups answered from the cache.</param>
/// <param name="Misses">Lookups that ran the model.</param>
/// <param name="Count">Entries held now.</param>
/// <param name="Capacity">Most entries held; 0 when the cache is off.</param>
public readonly record struct PredictionCacheStatistics(long Hits, long Misses, int Count, int Capacity);
