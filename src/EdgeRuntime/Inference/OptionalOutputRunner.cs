using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// Runs a session whose outputs include ONNX <c>optional(...)</c> values through ONNX Runtime's C API directly.
/// ONNX Runtime's managed <c>Run</c> wraps every output by asking the native <c>GetValueType</c>, which dereferences null on
/// an empty optional value and takes the process down (reproduced with the C API alone on models/optional_outputs.onnx).
/// Here the native <c>Run</c> hands back raw <c>OrtValue*</c>s and each is checked with <c>HasValue</c> (safe on an empty
/// value) before anything else touches it: an empty one is released and read as <see cref="EdgeValue.None"/>, a present one
/// is given to a managed <see cref="OrtValue"/> of its (now safely read) type and copied out as usual.
/// Reaching the native handles needs three internal members of ONNX Runtime's managed assembly (the session's and a
/// value's handle, and the value constructor that takes a known type); they are bound with <see cref="UnsafeAccessorAttribute"/>
/// (trimming- and AOT-safe), and <see cref="Probe"/> checks them when such a model loads.
/// </summary>
internal sealed unsafe class OptionalOutputRunner
{
    // Slots in ONNX Runtime's OrtApi function table (onnxruntime_c_api.h, offsetof / sizeof(void*)). The table is
    // append-only across releases, so these hold for every version at or above the one requested below.
    private const int GetErrorMessageSlot = 2;
    private const int RunSlot = 9;
    private const int GetValueTypeSlot = 67;
    private const int ReleaseStatusSlot = 93;
    private const int ReleaseValueSlot = 96;
    private const int HasValueSlot = 192;

    // HasValue arrived with ORT_API_VERSION 11; asking for 16 keeps the table of every supported package (1.16 and later).
    private const uint ApiVersion = 16;

    private static readonly Lazy<IntPtr> Api = new(LoadApi);

    private readonly byte[][] _inputNames;
    private readonly byte[][] _outputNames;
    private readonly string[] _outputDisplayNames;

    public OptionalOutputRunner(string[] inputNames, string[] outputNames)
    {
        _inputNames = inputNames.Select(Utf8Z).ToArray();
        _outputNames = outputNames.Select(Utf8Z).ToArray();
        _outputDisplayNames = outputNames;
    }

    /// <summary>Binds the C API and the internal members now, so a model that cannot be served this way fails at load.</summary>
    public static void Probe(InferenceSession session)
    {
        try
        {
            _ = Api.Value;
            _ = SessionPointer(session);
        }
        catch (Exception ex) when (ex is MissingMemberException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"This model has optional outputs, read through ONNX Runtime's C API, which this ONNX Runtime build does not offer as expected: {ex.Message}", ex);
        }
    }

    /// <summary>Runs once; each output is its value, or <see cref="EdgeValue.None"/> where an optional output is empty.</summary>
    public EdgeValue[] Run(InferenceSession session, RunOptions runOptions, OrtValue[] inputs)
    {
        var api = (IntPtr*)Api.Value;
        var inputCount = inputs.Length;
        var outputCount = _outputNames.Length;
        var inputHandles = stackalloc IntPtr[inputCount];
        var inputNames = stackalloc IntPtr[inputCount];
        var outputNames = stackalloc IntPtr[outputCount];
        var outputs = stackalloc IntPtr[outputCount];
        for (var i = 0; i < inputCount; i++)
        {
            inputHandles[i] = ValuePointer(inputs[i]);
            inputNames[i] = Address(_inputNames[i]);
        }

        for (var o = 0; o < outputCount; o++)
        {
            outputNames[o] = Address(_outputNames[o]);
            outputs[o] = IntPtr.Zero;
        }

        var run = (delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)api[RunSlot];
        var status = run(SessionPointer(session), runOptions.DangerousGetHandle(), inputNames, inputHandles, (nuint)inputCount, outputNames, (nuint)outputCount, outputs);
        GC.KeepAlive(session);
        GC.KeepAlive(runOptions);
        GC.KeepAlive(inputs);
        GC.KeepAlive(_inputNames);
        GC.KeepAlive(_outputNames);
        ThrowOnFailure(api, status, "Inference failed");

        var values = new EdgeValue[outputCount];
        try
        {
            for (var o = 0; o < outputCount; o++)
            {
                var handle = outputs[o];
                outputs[o] = IntPtr.Zero;
                values[o] = Read(api, handle, _outputDisplayNames[o]);
            }
        }
        finally
        {
            var release = (delegate* unmanaged<IntPtr, void>)api[ReleaseValueSlot];
            for (var o = 0; o < outputCount; o++)
            {
                if (outputs[o] != IntPtr.Zero)
                {
                    release(outputs[o]);
                }
            }
        }

        return values;
    }

    /// <summary>Takes ownership of <paramref name="handle"/>: released here when empty, else by the managed wrapper.</summary>
    private static EdgeValue Read(IntPtr* api, IntPtr handle, string name)
    {
        if (handle == IntPtr.Zero)
        {
            return EdgeValue.None;
        }

        int type;
        try
        {
            int present;
            ThrowOnFailure(api, ((delegate* unmanaged<IntPtr, int*, IntPtr>)api[HasValueSlot])(handle, &present), $"Reading output '{name}'");
            if (present == 0)
            {
                ((delegate* unmanaged<IntPtr, void>)api[ReleaseValueSlot])(handle);
                return EdgeValue.None;
            }

            ThrowOnFailure(api, ((delegate* unmanaged<IntPtr, int*, IntPtr>)api[GetValueTypeSlot])(handle, &type), $"Reading output '{name}'");
            if (type == (int)OnnxValueType.ONNX_TYPE_UNKNOWN)
            {
                throw new EdgeException(EdgeErrorCode.InferenceFailed, $"Output '{name}' holds a value of no known type.") { TensorName = name };
            }
        }
        catch
        {
            ((delegate* unmanaged<IntPtr, void>)api[ReleaseValueSlot])(handle);
            throw;
        }

        using var value = WrapValue(handle, (OnnxValueType)type);
        return OrtMarshal.ToValue(value, name);
    }

    private static void ThrowOnFailure(IntPtr* api, IntPtr status, string context)
    {
        if (status == IntPtr.Zero)
        {
            return;
        }

        var message = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr, IntPtr>)api[GetErrorMessageSlot])(status)) ?? "unknown error";
        ((delegate* unmanaged<IntPtr, void>)api[ReleaseStatusSlot])(status);
        throw new EdgeException(EdgeErrorCode.InferenceFailed, $"{context}: {message}");
    }

    private static IntPtr LoadApi()
    {
        // Through ONNX Runtime's own assembly, so the resolver the C ABI installs for it (and NuGet's layout) applies.
        var library = NativeLibrary.Load("onnxruntime", typeof(OrtEnv).Assembly, null);
        var getApiBase = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(library, "OrtGetApiBase");
        var apiBase = (IntPtr*)getApiBase();
        var api = ((delegate* unmanaged<uint, IntPtr>)apiBase[0])(ApiVersion);
        return api != IntPtr.Zero
            ? api
            : throw new InvalidOperationException($"ONNX Runtime does not offer C API version {ApiVersion}.");
    }

    private static byte[] Utf8Z(string name)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(Encoding.UTF8.GetByteCount(name) + 1, pinned: true);
        var written = Encoding.UTF8.GetBytes(name, bytes);
        bytes[written] = 0;
        return bytes;
    }

    // Pinned-heap arrays never move.
    private static IntPtr Address(byte[] pinned) => (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Handle")]
    private static extern IntPtr SessionPointer(InferenceSession session);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Handle")]
    private static extern IntPtr ValuePointer(OrtValue value);

    [UnsafeAccessor(UnsafeAccessorKind.Constructor)]
    private static extern OrtValue WrapValue(IntPtr handle, OnnxValueType type);
}
