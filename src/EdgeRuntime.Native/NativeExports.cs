using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Native;

/// <summary>
/// The C ABI of libedgeruntime (native AOT shared library). Every export returns 0 or an <see cref="EdgeErrorCode"/>
/// value and never lets an exception cross the boundary; <c>edge_last_error</c> gives the message of the calling
/// thread's last failure. Handles are GCHandles to <see cref="NativeModel"/>.
/// </summary>
internal static unsafe partial class NativeExports
{
    private static readonly Lazy<IntPtr> VersionString = new(() => Marshal.StringToCoTaskMemUTF8(RuntimeInfo.Version));

    [ThreadStatic]
    private static IntPtr t_lastError;

    [UnmanagedCallersOnly(EntryPoint = "edge_version")]
    public static byte* Version() => (byte*)VersionString.Value;

    [UnmanagedCallersOnly(EntryPoint = "edge_last_error")]
    public static byte* LastError() => (byte*)t_lastError;

    /// <summary>Opens an .onnx file (trust_dir NULL) or a signed .edgepkg verified against trust_dir.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_model_open")]
    public static int Open(byte* path, byte* trustDir, IntPtr* model) => Guard(() =>
    {
        Require(path != null && model != null, "path and model must not be NULL.");
        *model = IntPtr.Zero;
        var file = Utf8(path);
        EdgeModel loaded;
        if (trustDir == null)
        {
            loaded = EdgeModel.Load(file);
        }
        else
        {
            var verified = new PackageVerifier(TrustStore.Open(Utf8(trustDir))).Verify(file);
            loaded = EdgeModel.Load(verified.ModelBytes);
        }

        *model = GCHandle.ToIntPtr(GCHandle.Alloc(new NativeModel(loaded)));
    });

    /// <summary>Releases a model; NULL is ignored. It returns nothing: a failure is only kept for edge_last_error.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_model_close")]
    public static void Close(IntPtr model)
    {
        if (model == IntPtr.Zero)
        {
            return;
        }

        // Not Guard: a successful close must not clear the message of the failure the caller may still read.
        try
        {
            var handle = GCHandle.FromIntPtr(model);
            try
            {
                (handle.Target as NativeModel)?.Dispose();
            }
            finally
            {
                handle.Free(); // the handle is gone even if releasing the session failed
            }
        }
        catch (Exception ex)
        {
            SetLastError($"{EdgeErrorCode.InvalidArgument}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Number of inputs (is_output 0) or outputs (is_output 1).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_model_tensor_count")]
    public static int TensorCount(IntPtr model, int isOutput, int* count) => Guard(() =>
    {
        Require(count != null, "count must not be NULL.");
        var m = Model(model);
        *count = (isOutput != 0 ? m.Model.Schema.Outputs : m.Model.Schema.Inputs).Count;
    });

    /// <summary>Describes one input or output: name (valid until close), element type, rank and shape (-1 for dynamic dims).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_model_tensor_info")]
    public static int TensorInfo(IntPtr model, int isOutput, int index, NativeTensor* info) => Guard(() =>
    {
        Require(info != null, "info must not be NULL.");
        var m = Model(model);
        var list = isOutput != 0 ? m.Model.Schema.Outputs : m.Model.Schema.Inputs;
        Require(index >= 0 && index < list.Count, $"index {index} is outside 0..{list.Count - 1}.");
        var t = list[index];
        Require(t.Rank <= NativeTensor.MaxRank, $"'{t.Name}' has rank {t.Rank}; the C ABI supports up to {NativeTensor.MaxRank}.");
        info->Name = (byte*)m.Name(t.Name);
        info->ElementType = (int)t.ElementType;
        info->Rank = t.Rank;
        for (var d = 0; d < t.Rank; d++)
        {
            info->Shape[d] = t.Shape[d];
        }

        info->Data = null;
        info->DataBytes = 0;
    });

    /// <summary>
    /// Runs the model. Inputs are read from the caller's buffers. For each output the caller sets name, data and
    /// data_bytes (capacity); on success the runtime fills element_type, rank, shape and data_bytes (bytes written).
    /// A buffer that is too small fails with PayloadTooLarge and data_bytes set to the size needed.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_predict")]
    public static int Predict(IntPtr model, NativeTensor* inputs, int inputCount, NativeTensor* outputs, int outputCount) => Guard(() =>
    {
        Require(outputCount >= 0 && (outputs != null || outputCount == 0), "tensor arrays must not be NULL when their count is positive.");
        var m = Model(model);
        var prediction = m.Model.Predict(ReadFeeds(inputs, inputCount));
        for (var o = 0; o < outputCount; o++)
        {
            var t = outputs + o;
            Require(t->Name != null, $"output {o} has no name.");
            var name = Utf8(t->Name);
            var value = prediction.GetValue(name);
            if (value.Kind != EdgeValueKind.Tensor)
            {
                throw new EdgeException(EdgeErrorCode.InvalidOutput, $"Output '{name}' is a {value.Kind.ToString().ToLowerInvariant()}, not a tensor; read it with edge_predict_values.") { TensorName = name };
            }

            NativeTensors.ToBuffer(value.Tensor, t);
        }
    });

    /// <summary>The kind of output <c>index</c> (EdgeValueKind: 1 tensor, 2 sequence, 3 map) and whether it is optional.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_model_output_kind")]
    public static int OutputKind(IntPtr model, int index, int* kind, int* optional) => Guard(() =>
    {
        Require(kind != null, "kind must not be NULL.");
        var outputs = Model(model).Model.Schema.Outputs;
        Require(index >= 0 && index < outputs.Count, $"index {index} is outside 0..{outputs.Count - 1}.");
        *kind = (int)outputs[index].Kind;
        if (optional != null)
        {
            *optional = outputs[index].IsOptional ? 1 : 0;
        }
    });

    /// <summary>Runs the model and keeps every output, of any kind, in a prediction handle (edge_prediction_free releases it).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_predict_values")]
    public static int PredictValues(IntPtr model, NativeTensor* inputs, int inputCount, IntPtr* prediction) => Guard(() =>
    {
        Require(prediction != null, "prediction must not be NULL.");
        *prediction = IntPtr.Zero;
        var m = Model(model);
        var result = m.Model.Predict(ReadFeeds(inputs, inputCount));
        *prediction = GCHandle.ToIntPtr(GCHandle.Alloc(new NativePrediction(result)));
    });

    /// <summary>The kind and count (sequence items, map entries, tensor elements; 0 for none) of a value in a prediction.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_value_info")]
    public static int ValueInfo(IntPtr prediction, byte* name, int* path, int depth, int* kind, long* count) => Guard(() =>
    {
        Require(kind != null, "kind must not be NULL.");
        var value = Resolve(prediction, name, path, depth);
        *kind = (int)value.Kind;
        if (count != null)
        {
            *count = value.Count;
        }
    });

    /// <summary>Copies a tensor value into the caller's buffer (the edge_predict output contract).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_value_tensor")]
    public static int ValueTensor(IntPtr prediction, byte* name, int* path, int depth, NativeTensor* output) => Guard(() =>
    {
        Require(output != null, "output must not be NULL.");
        NativeTensors.ToBuffer(Resolve(prediction, name, path, depth).Tensor, output);
    });

    /// <summary>Copies a map's keys (unless keys is NULL) and values (two 1-D tensors, in the map's order) into the caller's buffers.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_value_map")]
    public static int ValueMap(IntPtr prediction, byte* name, int* path, int depth, NativeTensor* keys, NativeTensor* values) => Guard(() =>
    {
        Require(values != null, "values must not be NULL.");
        var map = Resolve(prediction, name, path, depth);
        if (keys != null)
        {
            if (map.Keys.ElementType == EdgeElementType.String)
            {
                throw new EdgeException(EdgeErrorCode.InvalidOutput, "The map has string keys; pass keys NULL and read them one by one with edge_value_map_string_key.");
            }

            NativeTensors.ToBuffer(map.Keys, keys);
        }

        NativeTensors.ToBuffer(map.MapValues, values);
    });

    /// <summary>Key <c>index</c> of a string-keyed map as UTF-8, valid until edge_prediction_free.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_value_map_string_key")]
    public static int ValueMapStringKey(IntPtr prediction, byte* name, int* path, int depth, long index, byte** key) => Guard(() =>
    {
        Require(key != null, "key must not be NULL.");
        *key = null;
        var p = PredictionOf(prediction);
        var map = p.Resolve(RequireName(name), Path(path, depth));
        var keys = map.Keys;
        Require(keys.ElementType == EdgeElementType.String, "The map's keys are not strings; read them with edge_value_map.");
        Require(index >= 0 && index < keys.ElementCount, $"key {index} is outside 0..{keys.ElementCount - 1}.");
        *key = (byte*)p.Utf8(keys.AsSpan<string>()[(int)index]);
    });

    /// <summary>Releases a prediction handle; NULL is ignored.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_prediction_free")]
    public static void PredictionFree(IntPtr prediction)
    {
        if (prediction == IntPtr.Zero)
        {
            return;
        }

        try
        {
            var handle = GCHandle.FromIntPtr(prediction);
            try
            {
                (handle.Target as NativePrediction)?.Dispose();
            }
            finally
            {
                handle.Free();
            }
        }
        catch (Exception ex)
        {
            SetLastError($"{EdgeErrorCode.InvalidArgument}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private static Dictionary<string, EdgeTensor> ReadFeeds(NativeTensor* inputs, int inputCount)
    {
        Require(inputCount >= 0 && (inputs != null || inputCount == 0), "tensor arrays must not be NULL when their count is positive.");
        var feeds = new Dictionary<string, EdgeTensor>(inputCount, StringComparer.Ordinal);
        for (var i = 0; i < inputCount; i++)
        {
            var t = inputs + i;
            Require(t->Name != null, $"input {i} has no name.");
            Require(t->Rank is >= 0 and <= NativeTensor.MaxRank, $"input {i} has rank {t->Rank}; 0..{NativeTensor.MaxRank} allowed.");
            var shape = new long[t->Rank];
            for (var d = 0; d < t->Rank; d++)
            {
                shape[d] = t->Shape[d];
            }

            feeds[Utf8(t->Name)] = NativeTensors.FromBuffer((EdgeElementType)t->ElementType, shape, t->Data, t->DataBytes);
        }

        return feeds;
    }

    private static EdgeValue Resolve(IntPtr prediction, byte* name, int* path, int depth) =>
        PredictionOf(prediction).Resolve(RequireName(name), Path(path, depth));

    private static string RequireName(byte* name)
    {
        Require(name != null, "name must not be NULL.");
        return Utf8(name);
    }

    private static ReadOnlySpan<int> Path(int* path, int depth)
    {
        Require(depth is >= 0 and <= 64 && (path != null || depth == 0), "path must hold depth (0..64) item indexes, or be NULL with depth 0.");
        return depth == 0 ? default : new ReadOnlySpan<int>(path, depth);
    }

    private static NativePrediction PredictionOf(IntPtr handle)
    {
        Require(handle != IntPtr.Zero, "prediction must not be NULL.");
        return GCHandle.FromIntPtr(handle).Target as NativePrediction ?? throw new EdgeException(EdgeErrorCode.Disposed, "The prediction handle was freed.");
    }

    private static NativeModel Model(IntPtr handle)
    {
        Require(handle != IntPtr.Zero, "model must not be NULL.");
        return GCHandle.FromIntPtr(handle).Target as NativeModel ?? throw new EdgeException(EdgeErrorCode.Disposed, "The model handle was closed.");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, message);
        }
    }

    private static string Utf8(byte* text) => Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;

    /// <summary>Runs an export body: 0 on success, otherwise the error code, with the message kept for edge_last_error.</summary>
    private static int Guard(Action body)
    {
        try
        {
            NativeLibraryLocator.Install(); // inside the guard: a missing native library is an error code, not a crash
            body();
            SetLastError(null);
            return 0;
        }
        catch (EdgeException ex)
        {
            SetLastError($"{ex.Code}: {ex.Message}");
            return (int)ex.Code;
        }
        catch (Exception ex)
        {
            // Nothing may unwind into C: anything unexpected becomes InvalidArgument with the runtime's message.
            var root = ex.GetBaseException(); // a type initializer's wrapper says nothing; its cause does

            SetLastError($"{EdgeErrorCode.InvalidArgument}: {root.GetType().Name}: {root.Message}");
            return (int)EdgeErrorCode.InvalidArgument;
        }
    }

    private static void SetLastError(string? message)
    {
        if (t_lastError != IntPtr.Zero)
        {
            Marshal.FreeCoTaskMem(t_lastError);
        }

        t_lastError = message is null ? IntPtr.Zero : Marshal.StringToCoTaskMemUTF8(message);
    }

}
