using System.Buffers;
using EdgeDeploy.Runtime.Inference;
using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime;

/// <summary>
/// Describes a <see cref="FastPredictor"/>. Bind inputs and outputs to caller memory with fixed shapes; anything left
/// unbound gets a buffer owned by the predictor, sized from the schema (dynamic dimensions are resolved by name from the
/// bound inputs, e.g. "batch").
/// </summary>
public sealed class FastPredictorBuilder
{
    private readonly EdgeModel _model;
    private readonly Dictionary<string, Binding> _bindings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);

    internal FastPredictorBuilder(EdgeModel model) => _model = model;

    /// <summary>Binds input <paramref name="name"/> to <paramref name="buffer"/>; the predictor reads it on every run.</summary>
    public FastPredictorBuilder BindInput<T>(string name, Memory<T> buffer, ReadOnlySpan<long> shape)
        where T : unmanaged => Bind(name, buffer, shape, isInput: true);

    /// <summary>Binds output <paramref name="name"/> to <paramref name="buffer"/>; every run writes its result there.</summary>
    public FastPredictorBuilder BindOutput<T>(string name, Memory<T> buffer, ReadOnlySpan<long> shape)
        where T : unmanaged => Bind(name, buffer, shape, isInput: false);

    /// <summary>Gives an unbound input or output a concrete shape for its owned buffer.</summary>
    public FastPredictorBuilder WithShape(string name, ReadOnlySpan<long> shape)
    {
        _ = FindSchema(name);
        _shapes[name] = shape.ToArray();
        return this;
    }

    /// <summary>Validates every binding against the schema and creates the predictor.</summary>
    public FastPredictor Build()
    {
        var schema = _model.Schema;
        foreach (var tensor in schema.Inputs.Concat(schema.Outputs))
        {
            if (tensor.Kind != EdgeValueKind.Tensor || tensor.IsOptional)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"Output '{tensor.Name}' is {tensor.DescribeType()}; only tensors can live in caller memory, so use EdgeModel.Predict for this model.") { TensorName = tensor.Name };
            }

            if (tensor.ElementType == EdgeElementType.String)
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{tensor.Name}' is a string tensor; strings cannot live in caller memory, so use EdgeModel.Predict for this model.") { TensorName = tensor.Name };
            }
        }

        var dims = new Dictionary<string, long>(StringComparer.Ordinal);
        var plans = new List<Binding>();
        foreach (var input in schema.Inputs)
        {
            plans.Add(Plan(input, dims, isInput: true));
        }

        foreach (var output in schema.Outputs)
        {
            plans.Add(Plan(output, dims, isInput: false));
        }

        return new FastPredictor(_model, plans);
    }

    private FastPredictorBuilder Bind<T>(string name, Memory<T> buffer, ReadOnlySpan<long> shape, bool isInput)
        where T : unmanaged
    {
        var schema = isInput ? _model.Schema.FindInput(name) : _model.Schema.FindOutput(name);
        if (schema is null)
        {
            throw isInput
                ? new EdgeException(EdgeErrorCode.UnexpectedInput, $"Input '{name}' is not an input of this model (inputs: {string.Join(", ", _model.Schema.Inputs.Select(i => i.Name))}).") { TensorName = name }
                : new EdgeException(EdgeErrorCode.InvalidOutput, $"Output '{name}' is not an output of this model (outputs: {string.Join(", ", _model.Schema.Outputs.Select(o => o.Name))}).") { TensorName = name };
        }

        var type = ElementTypes.Of<T>();
        InputValidator.CheckTensor(schema, type, shape, isInput ? "Input" : "Output");
        var count = Shapes.ElementCount(shape);
        if (count != buffer.Length)
        {
            throw new EdgeException(EdgeErrorCode.TensorDataMismatch, $"{(isInput ? "Input" : "Output")} '{name}' has shape {Shapes.Format(shape)} ({count} elements) but its buffer holds {buffer.Length}.") { TensorName = name };
        }

        _bindings[name] = new Binding(schema, type, shape.ToArray(), buffer.Pin(), (long)buffer.Length * ElementTypes.SizeOf(type), null, isInput);
        return this;
    }

    private Binding Plan(TensorSchema schema, Dictionary<string, long> dims, bool isInput)
    {
        if (_bindings.TryGetValue(schema.Name, out var bound))
        {
            Remember(schema, bound.Shape, dims);
            return bound;
        }

        var shape = _shapes.TryGetValue(schema.Name, out var given) ? given : Resolve(schema, dims);
        InputValidator.CheckTensor(schema, schema.ElementType, shape, isInput ? "Input" : "Output");
        Remember(schema, shape, dims);
        var bytes = checked(Shapes.ElementCount(shape) * ElementTypes.SizeOf(schema.ElementType));
        var owned = GC.AllocateArray<byte>((int)bytes, pinned: true); // pinned: ORT keeps the address for the predictor's life
        return new Binding(schema, schema.ElementType, shape, default, bytes, owned, isInput);
    }

    private static long[] Resolve(TensorSchema schema, Dictionary<string, long> dims)
    {
        var shape = schema.Shape.ToArray();
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] >= 0)
            {
                continue;
            }

            var name = schema.DimensionNames[i];
            if (name is null || !dims.TryGetValue(name, out shape[i]))
            {
                throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{schema.Name}' has dynamic shape {schema.FormatShape()} and dimension {i} cannot be inferred; bind it or call WithShape.") { TensorName = schema.Name };
            }
        }

        return shape;
    }

    private static void Remember(TensorSchema schema, long[] shape, Dictionary<string, long> dims)
    {
        for (var i = 0; i < shape.Length; i++)
        {
            if (schema.DimensionNames[i] is { } name)
            {
                dims.TryAdd(name, shape[i]);
            }
        }
    }

    private TensorSchema FindSchema(string name) =>
        _model.Schema.FindInput(name) ?? _model.Schema.FindOutput(name)
        ?? throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{name}' is neither an input nor an output of this model.") { TensorName = name };

    internal sealed record Binding(TensorSchema Schema, EdgeElementType Type, long[] Shape, MemoryHandle Pin, long Bytes, byte[]? Owned, bool IsInput);
}
