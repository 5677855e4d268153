using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Moves tensors between managed arrays and ONNX Runtime values.</summary>
internal static class OrtMarshal
{
    /// <summary>
    /// An OrtValue over the tensor's own memory (pinned, no copy) or, for strings, a native string tensor.
    /// The returned handle must be freed after the OrtValue is disposed.
    /// </summary>
    public static OrtValue ToOrtValue(EdgeTensor tensor, out GCHandle pin)
    {
        if (tensor.ElementType == EdgeElementType.String)
        {
            pin = default;
            var strings = (string[])tensor.Data;
            var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, tensor.ShapeArray);
            for (var i = 0; i < strings.Length; i++)
            {
                value.StringTensorSetElementAt(strings[i].AsSpan(), i);
            }

            return value;
        }

        pin = GCHandle.Alloc(tensor.Data, GCHandleType.Pinned);
        var bytes = (long)tensor.ElementCount * ElementTypes.SizeOf(tensor.ElementType);
        return OrtValue.CreateTensorValueWithData(
            OrtMemoryInfo.DefaultInstance,
            OrtElementTypes.ToOrt(tensor.ElementType),
            tensor.ShapeArray,
            pin.AddrOfPinnedObject(),
            bytes);
    }

    /// <summary>
    /// Copies an ORT output of any kind into a managed value: tensors, sequences (of tensors or maps), maps (keys and values
    /// as two 1-D tensors) and absent optional values.
    /// </summary>
    public static EdgeValue ToValue(OrtValue value, string name)
    {
        switch (value.OnnxType)
        {
            case OnnxValueType.ONNX_TYPE_TENSOR:
                return EdgeValue.FromTensor(FromOrtValue(value, name));
            case OnnxValueType.ONNX_TYPE_SEQUENCE:
                var count = value.GetValueCount();
                var items = new EdgeValue[count];
                for (var i = 0; i < count; i++)
                {
                    using var item = value.GetValue(i, OrtAllocator.DefaultInstance);
                    items[i] = ToValue(item, name);
                }

                return EdgeValue.Sequence(items);
            case OnnxValueType.ONNX_TYPE_MAP:
                using (var keys = value.GetValue(0, OrtAllocator.DefaultInstance))
                using (var values = value.GetValue(1, OrtAllocator.DefaultInstance))
                {
                    return EdgeValue.Map(FromOrtValue(keys, name), FromOrtValue(values, name));
                }

            case OnnxValueType.ONNX_TYPE_OPTIONAL or OnnxValueType.ONNX_TYPE_UNKNOWN:
                // ORT hands back an absent optional value as an unallocated OrtValue of no type.
                return EdgeValue.None;
            default:
                throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Output '{name}' is a {value.OnnxType}, which this runtime cannot read.") { TensorName = name };
        }
    }

    /// <summary>Copies an ORT output into a managed tensor.</summary>
    public static EdgeTensor FromOrtValue(OrtValue value, string name)
    {
        if (value.OnnxType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"Output '{name}' is a {value.OnnxType}; only tensor outputs are supported.") { TensorName = name };
        }

        var info = value.GetTensorTypeAndShape();
        var type = OrtElementTypes.FromOrt(info.ElementDataType);
        var count = checked((int)info.ElementCount);
        if (type == EdgeElementType.String)
        {
            return EdgeTensor.Wrap(value.GetStringTensorAsArray(), info.Shape, type);
        }

        var array = ElementTypes.NewArray(type, count, name);
        var source = value.GetTensorMutableRawData();
        source.CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), source.Length));
        return EdgeTensor.Wrap(array, info.Shape, type);
    }
}
