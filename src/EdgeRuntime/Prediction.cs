using System.Collections;

namespace EdgeDeploy.Runtime;

/// <summary>
/// The outputs of one prediction, by name, in the model's output order. Immutable. Tensor outputs read through
/// <see cref="Tensors"/> and the indexer; every output, sequences, maps and absent optional values included, reads
/// through <see cref="Values"/> and <see cref="GetValue"/>.
/// </summary>
public sealed class Prediction
{
    private readonly string[] _names;
    private readonly EdgeTensor[] _tensors;
    private EdgeValue[]? _values;
    private readonly bool _onlyTensors;

    internal Prediction(string[] names, EdgeTensor[] tensors)
    {
        _names = names;
        _tensors = tensors;
        _onlyTensors = true;
    }

    /// <summary>Outputs of any kind; <paramref name="values"/> entries that are tensors are also readable as tensors.</summary>
    private Prediction(EdgeValue[] values, string[] names)
    {
        _names = names;
        _values = values;
        _tensors = new EdgeTensor[values.Length];
        _onlyTensors = true;
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i].Kind == EdgeValueKind.Tensor)
            {
                _tensors[i] = values[i].Tensor;
            }
            else
            {
                _onlyTensors = false;
            }
        }
    }

    internal static Prediction FromValues(string[] names, EdgeValue[] values) => new(values, names);

    /// <summary>Output names in model order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>
    /// Output tensors, parallel to <see cref="Names"/>. Reading an entry whose output is a sequence, a map or an absent
    /// optional value throws <see cref="EdgeErrorCode.InvalidOutput"/>: read those through <see cref="Values"/>.
    /// </summary>
    public IReadOnlyList<EdgeTensor> Tensors => _onlyTensors ? _tensors : new TensorView(this);

    /// <summary>Every output as a value (tensor, sequence, map or none), parallel to <see cref="Names"/>.</summary>
    public IReadOnlyList<EdgeValue> Values => _values ??= Array.ConvertAll(_tensors, EdgeValue.FromTensor);

    /// <summary>True when every output is a tensor (always so for models whose outputs are all tensors).</summary>
    public bool HasOnlyTensors => _onlyTensors;

    /// <summary>The tensor output called <paramref name="name"/>.</summary>
    /// <exception cref="EdgeException">
    /// <see cref="EdgeErrorCode.InvalidOutput"/> when there is no such output or it is not a tensor (see <see cref="GetValue"/>).
    /// </exception>
    public EdgeTensor this[string name] => TensorAt(IndexOf(name));

    /// <summary>The output called <paramref name="name"/>, of any kind.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> when there is no such output.</exception>
    public EdgeValue GetValue(string name) => Values[IndexOf(name)];

    private int IndexOf(string name)
    {
        var index = Array.IndexOf(_names, name);
        return index >= 0
            ? index
            : throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output '{name}' is not an output of this model (outputs: {string.Join(", ", _names)}).") { TensorName = name };
    }

    private EdgeTensor TensorAt(int index) => _tensors[index]
        ?? throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output '{_names[index]}' is a {_values![index].Kind.ToString().ToLowerInvariant()}, not a tensor; read it with Prediction.GetValue or Prediction.Values.") { TensorName = _names[index] };

    private sealed class TensorView(Prediction owner) : IReadOnlyList<EdgeTensor>
    {
        public int Count => owner._names.Length;

        public EdgeTensor this[int index] => owner.TensorAt(index);

        public IEnumerator<EdgeTensor> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
