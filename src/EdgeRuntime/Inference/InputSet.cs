namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// The inputs of one call without a dictionary where one input serves: either a single named tensor or the caller's
/// dictionary. Lets <see cref="EdgeModel.Predict(string, EdgeTensor)"/> validate and run with nothing allocated for the lookup.
/// </summary>
internal readonly struct InputSet
{
    private readonly string? _name;
    private readonly EdgeTensor? _single;
    private readonly IReadOnlyDictionary<string, EdgeTensor>? _all;

    public InputSet(string name, EdgeTensor tensor)
    {
        _name = name;
        _single = tensor;
        _all = null;
    }

    public InputSet(IReadOnlyDictionary<string, EdgeTensor> inputs)
    {
        _name = null;
        _single = null;
        _all = inputs;
    }

    public int Count => _all?.Count ?? 1;

    public bool TryGet(string name, out EdgeTensor tensor)
    {
        if (_all is not null)
        {
            return _all.TryGetValue(name, out tensor!);
        }

        tensor = _single!;
        return string.Equals(name, _name, StringComparison.Ordinal);
    }

    public EdgeTensor this[string name] => TryGet(name, out var tensor)
        ? tensor
        : throw new EdgeException(EdgeErrorCode.MissingInput, $"Input '{name}' was not supplied.") { TensorName = name };

    public IEnumerable<string> Names => _all?.Keys ?? [_name!];

    /// <summary>The dictionary form, allocated only where a caller needs one (the prediction cache, the store).</summary>
    public IReadOnlyDictionary<string, EdgeTensor> ToDictionary() =>
        _all ?? new Dictionary<string, EdgeTensor>(1, StringComparer.Ordinal) { [_name!] = _single! };
}
