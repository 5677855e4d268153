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
