using EdgeDeploy.Runtime.Tensors;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Checks inputs against the schema before ONNX Runtime sees them, so errors name the input and the problem.</summary>
internal static class InputValidator
{
    public static void CheckNames(ModelSchema schema, in InputSet inputs)
    {
        foreach (var input in schema.Inputs)
        {
            if (!inputs.TryGet(input.Name, out _))
            {
                throw new EdgeException(
                    EdgeErrorCode.MissingInput,
                    $"Input '{input.Name}' is required by the model but was not supplied (expected {input}).")
                { TensorName = input.Name };
            }
        }

        if (inputs.Count != schema.Inputs.Count)
        {
            foreach (var name in inputs.Names)
            {
                if (schema.FindInput(name) is null)
                {
                    throw new EdgeException(
                        EdgeErrorCode.UnexpectedInput,
                        $"Input '{name}' is not an input of this model (inputs: {string.Join(", ", schema.Inputs.Select(i => i.Name))}).")
                    { TensorName = name };
                }
            }
        }
    }

    /// <summary>Checks element type, rank and fixed dimensions of one tensor against its schema.</summary>
    public static void CheckTensor(TensorSchema schema, EdgeElementType type, ReadOnlySpan<long> shape, string role = "Input")
    {
        var code = role == "Input" ? (EdgeErrorCode?)null : EdgeErrorCode.InvalidOutput;
        if (type != schema.ElementType)
        {
            throw new EdgeException(
                code ?? EdgeErrorCode.InputTypeMismatch,
                $"{role} '{schema.Name}' has element type {ElementTypes.Describe(type)} but the model expects {ElementTypes.Describe(schema.ElementType)}.")
            { TensorName = schema.Name };
        }

        if (shape.Length != schema.Rank)
        {
            throw new EdgeException(
                code ?? EdgeErrorCode.InputRankMismatch,
                $"{role} '{schema.Name}' has rank {shape.Length} (shape {Shapes.Format(shape)}) but the model expects rank {schema.Rank} (shape {schema.FormatShape()}).")
            { TensorName = schema.Name };
        }

        for (var i = 0; i < shape.Length; i++)
        {
            var expected = schema.Shape[i];
            if (shape[i] < 0 || (expected >= 0 && shape[i] != expected))
            {
                throw new EdgeException(
                    code ?? EdgeErrorCode.InputShapeMismatch,
                    $"{role} '{schema.Name}' has shape {Shapes.Format(shape)} but the model expects {schema.FormatShape()}: dimension {i} is {shape[i]}, expected {(expected >= 0 ? expected.ToString(System.Globalization.CultureInfo.InvariantCulture) : "any non-negative size")}.")
                { TensorName = schema.Name };
            }
        }
    }

    public static void CheckFinite(string name, EdgeElementType type, ReadOnlySpan<byte> data)
    {
        var index = NonFinite.IndexOfFirst(type, data);
        if (index >= 0)
        {
            throw new EdgeException(
                EdgeErrorCode.NonFiniteInput,
                $"Input '{name}' contains {NonFinite.Describe(type, data, index)} at flat index {index}; the NonFiniteInputPolicy is Reject.")
            { TensorName = name };
        }
    }
}
