using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>
/// One model output of any ONNX kind: a tensor, a sequence of values, a map (keys and values as two parallel 1-D tensors)
/// or an absent optional value. Tensor outputs are also on <see cref="EdgeTensor"/>-typed APIs; sequences and maps only
/// here. Immutable.
/// </summary>
public sealed class EdgeValue
{
    private static readonly EdgeValue[] NoItems = [];

    private readonly EdgeTensor? _tensor;
    private readonly EdgeValue[] _items;
    private readonly EdgeTensor? _keys;
    private readonly EdgeTensor? _values;

    private EdgeValue(EdgeValueKind kind, EdgeTensor? tensor, EdgeValue[] items, EdgeTensor? keys, EdgeTensor? values)
    {
        Kind = kind;
        _tensor = tensor;
        _items = items;
        _keys = keys;
        _values = values;
    }

    /// <summary>An absent optional value.</summary>
    public static EdgeValue None { get; } = new(EdgeValueKind.None, null, NoItems, null, null);

    /// <summary>What this value is.</summary>
    public EdgeValueKind Kind { get; }

    /// <summary>The tensor of a <see cref="EdgeValueKind.Tensor"/> value.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> for any other kind.</exception>
    public EdgeTensor Tensor => _tensor ?? throw WrongKind(EdgeValueKind.Tensor);

    /// <summary>The items of a <see cref="EdgeValueKind.Sequence"/>.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> for any other kind.</exception>
    public IReadOnlyList<EdgeValue> Items => Kind == EdgeValueKind.Sequence ? _items : throw WrongKind(EdgeValueKind.Sequence);

    /// <summary>The keys of a <see cref="EdgeValueKind.Map"/>: a 1-D int64 or string tensor, in the map's order.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> for any other kind.</exception>
    public EdgeTensor Keys => _keys ?? throw WrongKind(EdgeValueKind.Map);

    /// <summary>The values of a <see cref="EdgeValueKind.Map"/>: a 1-D tensor parallel to <see cref="Keys"/>.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidOutput"/> for any other kind.</exception>
    public EdgeTensor MapValues => _values ?? throw WrongKind(EdgeValueKind.Map);

    /// <summary>The number of items (sequence), entries (map) or elements (tensor); 0 for <see cref="EdgeValueKind.None"/>.</summary>
    public int Count => Kind switch
    {
        EdgeValueKind.Tensor => _tensor!.ElementCount,
        EdgeValueKind.Sequence => _items.Length,
        EdgeValueKind.Map => _keys!.ElementCount,
        _ => 0,
    };

    /// <summary>A tensor value.</summary>
    public static EdgeValue FromTensor(EdgeTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new EdgeValue(EdgeValueKind.Tensor, tensor, NoItems, null, null);
    }

    /// <summary>A sequence of values (copied into the value).</summary>
    public static EdgeValue Sequence(IEnumerable<EdgeValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var array = items.ToArray();
        if (Array.Exists(array, i => i is null))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "A sequence cannot contain null items.");
        }

        return new EdgeValue(EdgeValueKind.Sequence, null, array, null, null);
    }

    /// <summary>A map from <paramref name="keys"/> (1-D, int64 or string) to <paramref name="values"/> (1-D, same length).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the tensors do not form a map.</exception>
    public static EdgeValue Map(EdgeTensor keys, EdgeTensor values)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.Rank != 1 || values.Rank != 1 || keys.ElementCount != values.ElementCount)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"A map needs 1-D keys and values of the same length, not {keys} and {values}.");
        }

        if (keys.ElementType is not (EdgeElementType.Int64 or EdgeElementType.String))
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Map keys must be int64 or string, not {ElementTypes.Describe(keys.ElementType)}.");
        }

        return new EdgeValue(EdgeValueKind.Map, null, NoItems, keys, values);
    }

    /// <summary>A <see cref="EdgeValueKind.Map"/> as a dictionary, e.g. <c>ToDictionary&lt;long, float&gt;()</c> for a ZipMap row.</summary>
    /// <exception cref="EdgeException">When this is not a map or the types do not match its keys and values.</exception>
    public Dictionary<TKey, TValue> ToDictionary<TKey, TValue>()
        where TKey : notnull
    {
        var keys = Keys.AsSpan<TKey>();
        var values = MapValues.AsSpan<TValue>();
        var result = new Dictionary<TKey, TValue>(keys.Length);
        for (var i = 0; i < keys.Length; i++)
        {
            result[keys[i]] = values[i];
        }

        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        EdgeValueKind.Tensor => _tensor!.ToString(),
        EdgeValueKind.Sequence => $"sequence of {_items.Length}" + (_items.Length > 0 ? $" ({_items[0]}, ...)" : string.Empty),
        EdgeValueKind.Map => $"map({ElementTypes.Describe(_keys!.ElementType)}, {ElementTypes.Describe(_values!.ElementType)}) of {_keys.ElementCount}",
        _ => "none",
    };

    private EdgeException WrongKind(EdgeValueKind wanted) =>
        new(EdgeErrorCode.InvalidOutput, $"The value is a {Kind.ToString().ToLowerInvariant()}, not a {wanted.ToString().ToLowerInvariant()}.");
}
