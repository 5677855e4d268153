using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Packages;

namespace EdgeDeploy.Runtime.Native;

/// <summary>A tensor as C callers pass it (see include/edgeruntime.h; the layouts must match).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTensor
{
    public const int MaxRank = 8;

    public byte* Name;
    public int ElementType;
    public int Rank;
    public fixed long Shape[MaxRank];
    public void* Data;
    public nuint DataBytes;
}

/// <summary>
/// The C ABI of libedgeruntime (native AOT shared library). Every export returns 0 or an <see cref="EdgeErrorCode"/>
/// value and never lets an exception cross the boundary; <c>edge_last_error</c> gives the message of the calling
/// thread's last failure. Handles are GCHandles to <see cref="NativeModel"/>.
/// </summary>
internal static unsafe class NativeExports
{
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

    [UnmanagedCallersOnly(EntryPoint = "edge_model_close")]
    public static void Close(IntPtr model)
    {
        if (model == IntPtr.Zero)
        {
            return;
        }

        var handle = GCHandle.FromIntPtr(model);
        (handle.Target as NativeModel)?.Dispose();
        handle.Free();
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
        Require(inputCount >= 0 && outputCount >= 0 && (inputs != null || inputCount == 0) && (outputs != null || outputCount == 0), "tensor arrays must not be NULL when their count is positive.");
        var m = Model(model);
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

        var prediction = m.Model.Predict(feeds);
        for (var o = 0; o < outputCount; o++)
        {
            var t = outputs + o;
            Require(t->Name != null, $"output {o} has no name.");
            var value = prediction[Utf8(t->Name)];
            NativeTensors.ToBuffer(value, t);
        }
    });

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
            NativeLibraryLocator.Install();
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
            var root = ex;
            while (root.InnerException is not null)
            {
                root = root.InnerException; // a type initializer's wrapper says nothing; its cause does
            }

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

    private static readonly Lazy<IntPtr> VersionString = new(() => Marshal.StringToCoTaskMemUTF8(RuntimeInfo.Version));
}

/// <summary>A model opened through the C ABI, with the UTF-8 names it has handed out (freed on close).</summary>
internal sealed class NativeModel(EdgeModel model) : IDisposable
{
    private readonly Dictionary<string, IntPtr> _names = new(StringComparer.Ordinal);

    public EdgeModel Model { get; } = model;

    public IntPtr Name(string name)
    {
        lock (_names)
        {
            if (!_names.TryGetValue(name, out var ptr))
            {
                _names[name] = ptr = Marshal.StringToCoTaskMemUTF8(name);
            }

            return ptr;
        }
    }

    public void Dispose()
    {
        Model.Dispose();
        lock (_names)
        {
            foreach (var ptr in _names.Values)
            {
                Marshal.FreeCoTaskMem(ptr);
            }

            _names.Clear();
        }
    }
}

/// <summary>Copies between caller memory and tensors, checking sizes against the element type and shape.</summary>
internal static unsafe class NativeTensors
{
    public static EdgeTensor FromBuffer(EdgeElementType type, long[] shape, void* data, nuint bytes) => type switch
    {
        EdgeElementType.Float => Copy<float>(type, shape, data, bytes),
        EdgeElementType.Double => Copy<double>(type, shape, data, bytes),
        EdgeElementType.Float16 => Copy<Half>(type, shape, data, bytes),
        EdgeElementType.Int8 => Copy<sbyte>(type, shape, data, bytes),
        EdgeElementType.UInt8 => Copy<byte>(type, shape, data, bytes),
        EdgeElementType.Int16 => Copy<short>(type, shape, data, bytes),
        EdgeElementType.UInt16 => Copy<ushort>(type, shape, data, bytes),
        EdgeElementType.Int32 => Copy<int>(type, shape, data, bytes),
        EdgeElementType.UInt32 => Copy<uint>(type, shape, data, bytes),
        EdgeElementType.Int64 => Copy<long>(type, shape, data, bytes),
        EdgeElementType.UInt64 => Copy<ulong>(type, shape, data, bytes),
        EdgeElementType.Bool => Copy<bool>(type, shape, data, bytes),
        _ => throw new EdgeException(EdgeErrorCode.InputTypeMismatch, $"Element type {(int)type} is not supported through the C ABI (strings are .NET-only)."),
    };

    public static void ToBuffer(EdgeTensor value, NativeTensor* target)
    {
        if (value.ElementType == EdgeElementType.String)
        {
            throw new EdgeException(EdgeErrorCode.InvalidOutput, "String outputs are not supported through the C ABI.");
        }

        if (value.Rank > NativeTensor.MaxRank)
        {
            throw new EdgeException(EdgeErrorCode.InvalidOutput, $"The output has rank {value.Rank}; the C ABI supports up to {NativeTensor.MaxRank}.");
        }

        var bytes = value.AsBytes();
        var capacity = target->DataBytes;
        target->ElementType = (int)value.ElementType;
        target->Rank = value.Rank;
        for (var d = 0; d < value.Rank; d++)
        {
            target->Shape[d] = value.Shape[d];
        }

        target->DataBytes = (nuint)bytes.Length;
        if ((nuint)bytes.Length > capacity || (target->Data == null && bytes.Length > 0))
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"The output needs {bytes.Length} bytes; the buffer holds {capacity} (data_bytes now says how many are needed).");
        }

        bytes.CopyTo(new Span<byte>(target->Data, bytes.Length));
    }

    private static EdgeTensor Copy<T>(EdgeElementType type, long[] shape, void* data, nuint bytes)
        where T : unmanaged
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new EdgeException(EdgeErrorCode.InputShapeMismatch, $"Input shape has a negative dimension ({d}).");
            }

            count = checked(count * d);
        }

        var expected = checked(count * sizeof(T));
        if ((ulong)expected != bytes || (data == null && count > 0))
        {
            throw new EdgeException(EdgeErrorCode.TensorDataMismatch, $"Shape [{string.Join(",", shape)}] of {type} needs {expected} bytes; {bytes} were given.");
        }

        var array = new T[count];
        new ReadOnlySpan<byte>(data, (int)expected).CopyTo(MemoryMarshal.AsBytes(array.AsSpan()));
        return EdgeTensor.Wrap(array, shape, type);
    }
}
