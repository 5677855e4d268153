using EdgeDeploy.Runtime;
using EdgeDeploy.Serving.Protocol;
using Google.Protobuf;
using Inference;

namespace EdgeDeploy.Serving.Grpc;

/// <summary>Tensors in gRPC's two forms: typed <see cref="InferTensorContents"/> and raw bytes.</summary>
internal static class GrpcTensors
{
    public static Dictionary<string, EdgeTensor> Inputs(ModelInferRequest request)
    {
        var raw = request.RawInputContents;
        if (raw.Count > 0 && raw.Count != request.Inputs.Count)
        {
            throw new EdgeException(EdgeErrorCode.TensorDataMismatch, $"raw_input_contents has {raw.Count} entries for {request.Inputs.Count} inputs.");
        }

        var tensors = new Dictionary<string, EdgeTensor>(request.Inputs.Count, StringComparer.Ordinal);
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            var type = V2Tensors.ParseDatatype(input.Datatype, input.Name);
            var shape = input.Shape.ToArray();
            var tensor = raw.Count > 0
                ? V2Tensors.FromRaw(input.Name, type, shape, raw[i].Span)
                : FromContents(input.Name, type, shape, input.Contents ?? new InferTensorContents());
            if (!tensors.TryAdd(input.Name, tensor))
            {
                throw V2Tensors.Invalid(EdgeErrorCode.InvalidArgument, input.Name, $"Input '{input.Name}' is given twice.");
            }
        }

        return tensors;
    }

    public static List<RequestedOutput>? Outputs(ModelInferRequest request, bool raw) =>
        request.Outputs.Count == 0 ? null : [.. request.Outputs.Select(o => new RequestedOutput(o.Name, raw))];

    public static ModelInferResponse Response(string model, string requestId, Runtime.Store.ServedPrediction served, List<ServedOutput> outputs, bool raw)
    {
        var response = new ModelInferResponse
        {
            ModelName = model,
            ModelVersion = served.Version,
            Id = requestId,
        };
        response.Parameters.Add("prediction_id", new InferParameter { StringParam = InferenceCall.Id(served) });
        foreach (var output in outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = V2Tensors.Datatype(output.Tensor.ElementType) };
            tensor.Shape.Add(output.Tensor.Shape.ToArray());
            if (raw || output.Tensor.ElementType is EdgeElementType.Float16 or EdgeElementType.BFloat16)
            {
                response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(V2Tensors.ToRaw(output.Tensor)));
            }
            else
            {
                tensor.Contents = Contents(output.Tensor);
            }

            response.Outputs.Add(tensor);
        }

        // raw_output_contents is all or nothing: when one output must be raw (FP16, BF16), every output is.
        if (response.RawOutputContents.Count > 0 && response.RawOutputContents.Count != outputs.Count)
        {
            response.RawOutputContents.Clear();
            foreach (var (output, tensor) in outputs.Zip(response.Outputs))
            {
                tensor.Contents = null;
                response.RawOutputContents.Add(UnsafeByteOperations.UnsafeWrap(V2Tensors.ToRaw(output.Tensor)));
            }
        }

        return response;
    }

    private static InferTensorContents Contents(EdgeTensor t)
    {
        var c = new InferTensorContents();
        switch (t.ElementType)
        {
            case EdgeElementType.Bool: c.BoolContents.Add(t.ToArray<bool>()); break;
            case EdgeElementType.Int8: foreach (var v in t.AsSpan<sbyte>()) { c.IntContents.Add(v); } break;
            case EdgeElementType.Int16: foreach (var v in t.AsSpan<short>()) { c.IntContents.Add(v); } break;
            case EdgeElementType.Int32: c.IntContents.Add(t.ToArray<int>()); break;
            case EdgeElementType.Int64: c.Int64Contents.Add(t.ToArray<long>()); break;
            case EdgeElementType.UInt8: foreach (var v in t.AsSpan<byte>()) { c.UintContents.Add(v); } break;
            case EdgeElementType.UInt16: foreach (var v in t.AsSpan<ushort>()) { c.UintContents.Add(v); } break;
            case EdgeElementType.UInt32: c.UintContents.Add(t.ToArray<uint>()); break;
            case EdgeElementType.UInt64: c.Uint64Contents.Add(t.ToArray<ulong>()); break;
            case EdgeElementType.Float: c.Fp32Contents.Add(t.ToArray<float>()); break;
            case EdgeElementType.Double: c.Fp64Contents.Add(t.ToArray<double>()); break;
            case EdgeElementType.String: foreach (var v in t.AsSpan<string>()) { c.BytesContents.Add(ByteString.CopyFromUtf8(v)); } break;
            default: throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output element type {t.ElementType} has no typed gRPC contents.");
        }

        return c;
    }

    private static EdgeTensor FromContents(string name, EdgeElementType type, long[] shape, InferTensorContents c)
    {
        var count = V2Tensors.Count(shape, name);
        Array data = type switch
        {
            EdgeElementType.Bool => c.BoolContents.ToArray(),
            EdgeElementType.Int8 => Narrow(c.IntContents, name, v => checked((sbyte)v)),
            EdgeElementType.Int16 => Narrow(c.IntContents, name, v => checked((short)v)),
            EdgeElementType.Int32 => c.IntContents.ToArray(),
            EdgeElementType.Int64 => c.Int64Contents.ToArray(),
            EdgeElementType.UInt8 => Narrow(c.UintContents, name, v => checked((byte)v)),
            EdgeElementType.UInt16 => Narrow(c.UintContents, name, v => checked((ushort)v)),
            EdgeElementType.UInt32 => c.UintContents.ToArray(),
            EdgeElementType.UInt64 => c.Uint64Contents.ToArray(),
            EdgeElementType.Float => c.Fp32Contents.ToArray(),
            EdgeElementType.Double => c.Fp64Contents.ToArray(),
            EdgeElementType.String => c.BytesContents.Select(b => b.ToStringUtf8()).ToArray(),
            _ => throw V2Tensors.Invalid(EdgeErrorCode.InvalidArgument, name, $"Input '{name}': {V2Tensors.Datatype(type)} data must be sent as raw_input_contents."),
        };
        return data.Length == count
            ? EdgeTensor.Wrap(data, shape, type)
            : throw V2Tensors.Invalid(EdgeErrorCode.TensorDataMismatch, name, $"Input '{name}' has shape [{string.Join(", ", shape)}] ({count} elements) but its {V2Tensors.Datatype(type)} contents hold {data.Length}.");
    }

    private static T[] Narrow<TIn, T>(IReadOnlyList<TIn> values, string name, Func<TIn, T> narrow)
    {
        try
        {
            return [.. values.Select(narrow)];
        }
        catch (OverflowException)
        {
            throw V2Tensors.Invalid(EdgeErrorCode.InvalidArgument, name, $"Input '{name}': a value is out of its datatype's range.");
        }
    }
}
