using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// The convenient path's cached bindings: per input-shape signature, a small pool of slots, each an IOBinding over pinned
/// input and output buffers. A call copies the (validated) inputs in, runs, and copies each output into a fresh array that
/// the returned <see cref="Prediction"/> owns; the shape arrays are shared (tensors never change them). Output shapes are
/// learned from the first run of a signature. Where an output's shape depends on the data and changes, ONNX Runtime refuses
/// the preallocated buffer, the signature is dropped and the call runs on the ordinary path, so results never depend on
/// the cache. Disposed with the session (the last lease).
/// </summary>
internal sealed class PredictBindings : IDisposable
{
    private const int MaxSignatures = 8;

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly EdgeElementType[] _inputTypes;
    private readonly bool[] _outputStatic;
    private readonly Lock _gate = new();
    private Signature[] _signatures = [];
    private int _disabled;
    private bool _disposed;

    private PredictBindings(InferenceSession session, ModelSchema schema, bool[] outputStatic)
    {
        _session = session;
        _inputNames = schema.Inputs.Select(i => i.Name).ToArray();
        _outputNames = schema.Outputs.Select(o => o.Name).ToArray();
        _inputTypes = schema.Inputs.Select(i => i.ElementType).ToArray();
        _outputStatic = outputStatic;
    }

    /// <summary>Bindings for the session, or null where the model has string or non-tensor values (those take the ordinary path).</summary>
    public static PredictBindings? TryCreate(InferenceSession session, ModelSchema schema)
    {
        foreach (var name in session.InputNames)
        {
            var meta = session.InputMetadata[name];
            if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || meta.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String)
            {
                return null;
            }
        }

        var outputStatic = new bool[session.OutputNames.Count];
        for (var o = 0; o < outputStatic.Length; o++)
        {
            var meta = session.OutputMetadata[session.OutputNames[o]];
            if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR || meta.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.String)
            {
                return null;
            }

            outputStatic[o] = meta.Dimensions.All(d => d >= 0);
        }

        return schema.Inputs.Count == session.InputNames.Count && schema.Outputs.Count == outputStatic.Length
            ? new PredictBindings(session, schema, outputStatic)
            : null;
    }

    /// <summary>
    /// Runs validated inputs on a cached binding. False (nothing run) when the signature is not cached yet or was dropped:
    /// the caller runs the ordinary path and, on success, offers its outputs to <see cref="Learn"/>.
    /// </summary>
    public bool TryRun(in InputSet inputs, RunOptions runOptions, out Prediction? prediction)
    {
        prediction = null;
        var signature = Find(inputs);
        if (signature is null)
        {
            return false;
        }

        var slot = signature.Rent() ?? signature.NewSlot(_session, _inputNames, _outputNames);
        try
        {
            for (var i = 0; i < _inputNames.Length; i++)
            {
                var tensor = inputs[_inputNames[i]];
                var source = tensor.AsBytes();
                source.CopyTo(slot.Inputs[i]);
            }

            try
            {
                _session.RunWithBinding(runOptions, slot.Binding);
            }
            catch (OnnxRuntimeException) when (!signature.AllStatic && !runOptions.Terminate)
            {
                // A data-dependent output shape changed: the preallocated buffer no longer fits. Drop the signature.
                Drop(signature);
                return false;
            }

            var tensors = new EdgeTensor[_outputNames.Length];
            for (var o = 0; o < tensors.Length; o++)
            {
                var type = signature.OutputTypes[o];
                var array = ElementTypes.NewArray(type, signature.OutputCounts[o], _outputNames[o]);
                var bytes = slot.Outputs[o];
                bytes.AsSpan().CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(array), bytes.Length));
                tensors[o] = EdgeTensor.Wrap(array, signature.OutputShapes[o], type);
            }

            prediction = new Prediction(_outputNames, tensors);
            return true;
        }
        finally
        {
            signature.Return(slot);
        }
    }

    /// <summary>Caches the signature of a successful ordinary run (up to <see cref="MaxSignatures"/>).</summary>
    public void Learn(in InputSet inputs, Prediction prediction)
    {
        if (Volatile.Read(ref _disabled) != 0 || Volatile.Read(ref _signatures).Length >= MaxSignatures)
        {
            return;
        }

        var inputShapes = new long[_inputNames.Length][];
        for (var i = 0; i < inputShapes.Length; i++)
        {
            inputShapes[i] = inputs[_inputNames[i]].Shape.ToArray();
        }

        var outputShapes = new long[_outputNames.Length][];
        var outputTypes = new EdgeElementType[_outputNames.Length];
        var allStatic = true;
        for (var o = 0; o < outputShapes.Length; o++)
        {
            var tensor = prediction.Tensors[o];
            outputShapes[o] = tensor.Shape.ToArray();
            outputTypes[o] = tensor.ElementType;
            allStatic &= _outputStatic[o];
            if (tensor.ElementType == EdgeElementType.String)
            {
                return;
            }
        }

        lock (_gate)
        {
            if (_disposed || _signatures.Length >= MaxSignatures || FindIn(_signatures, inputs) is not null)
            {
                return;
            }

            var signature = new Signature(inputShapes, _inputTypes, outputShapes, outputTypes, allStatic);
            Volatile.Write(ref _signatures, [.. _signatures, signature]);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var signature in _signatures)
            {
                signature.Dispose();
            }

            _signatures = [];
        }
    }

    private Signature? Find(in InputSet inputs) => FindIn(Volatile.Read(ref _signatures), inputs);

    private Signature? FindIn(Signature[] signatures, in InputSet inputs)
    {
        foreach (var signature in signatures)
        {
            var match = true;
            for (var i = 0; match && i < _inputNames.Length; i++)
            {
                match = inputs[_inputNames[i]].Shape.SequenceEqual(signature.InputShapes[i]);
            }

            if (match)
            {
                return signature;
            }
        }

        return null;
    }

    private void Drop(Signature signature)
    {
        lock (_gate)
        {
            // A model whose outputs follow the data is not worth caching: stop learning signatures for it.
            Volatile.Write(ref _disabled, 1);
            Volatile.Write(ref _signatures, _signatures.Where(s => s != signature).ToArray());
        }

        // In-flight slots are disposed as they come back.
        signature.Dispose();
    }

    private sealed class Signature : IDisposable
    {
        private readonly Slot?[] _pool = new Slot?[Math.Clamp(Environment.ProcessorCount, 2, 16)];
        private int _disposed;

        public Signature(long[][] inputShapes, EdgeElementType[] inputTypes, long[][] outputShapes, EdgeElementType[] outputTypes, bool allStatic)
        {
            InputShapes = inputShapes;
            OutputShapes = outputShapes;
            OutputTypes = outputTypes;
            AllStatic = allStatic;
            InputBytes = new int[inputShapes.Length];
            for (var i = 0; i < inputShapes.Length; i++)
            {
                InputBytes[i] = checked((int)Shapes.ElementCount(inputShapes[i]) * ElementTypes.SizeOf(inputTypes[i]));
            }

            InputTypes = inputTypes;
            OutputCounts = outputShapes.Select(s => checked((int)Shapes.ElementCount(s))).ToArray();
        }

        public long[][] InputShapes { get; }

        public EdgeElementType[] InputTypes { get; }

        public int[] InputBytes { get; }

        public long[][] OutputShapes { get; }

        public EdgeElementType[] OutputTypes { get; }

        public int[] OutputCounts { get; }

        public bool AllStatic { get; }

        public Slot? Rent()
        {
            for (var i = 0; i < _pool.Length; i++)
            {
                var slot = Interlocked.Exchange(ref _pool[i], null);
                if (slot is not null)
                {
                    return slot;
                }
            }

            return null;
        }

        public Slot NewSlot(InferenceSession session, string[] inputNames, string[] outputNames) =>
            new(session, this, inputNames, outputNames);

        public void Return(Slot slot)
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                for (var i = 0; i < _pool.Length; i++)
                {
                    if (Interlocked.CompareExchange(ref _pool[i], slot, null) is null)
                    {
                        // Disposed meanwhile: take it back out and release it below.
                        if (Volatile.Read(ref _disposed) == 0 || Interlocked.CompareExchange(ref _pool[i], null, slot) != slot)
                        {
                            return;
                        }

                        break;
                    }
                }
            }

            slot.Dispose();
        }

        public void Dispose()
        {
            Volatile.Write(ref _disposed, 1);
            for (var i = 0; i < _pool.Length; i++)
            {
                Interlocked.Exchange(ref _pool[i], null)?.Dispose();
            }
        }
    }

    private sealed unsafe class Slot : IDisposable
    {
        private readonly List<OrtValue> _values = [];

        public Slot(InferenceSession session, Signature signature, string[] inputNames, string[] outputNames)
        {
            Binding = session.CreateIoBinding();
            try
            {
                Inputs = new byte[inputNames.Length][];
                for (var i = 0; i < Inputs.Length; i++)
                {
                    Inputs[i] = GC.AllocateUninitializedArray<byte>(signature.InputBytes[i], pinned: true);
                    var value = Bind(Inputs[i], signature.InputTypes[i], signature.InputShapes[i]);
                    Binding.BindInput(inputNames[i], value);
                }

                Outputs = new byte[outputNames.Length][];
                for (var o = 0; o < Outputs.Length; o++)
                {
                    Outputs[o] = GC.AllocateUninitializedArray<byte>(signature.OutputCounts[o] * ElementTypes.SizeOf(signature.OutputTypes[o]), pinned: true);
                    var value = Bind(Outputs[o], signature.OutputTypes[o], signature.OutputShapes[o]);
                    Binding.BindOutput(outputNames[o], value);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        public OrtIoBinding Binding { get; }

        public byte[][] Inputs { get; } = [];

        public byte[][] Outputs { get; } = [];

        public void Dispose()
        {
            Binding.Dispose();
            foreach (var value in _values)
            {
                value.Dispose();
            }

            _values.Clear();
        }

        private OrtValue Bind(byte[] buffer, EdgeElementType type, long[] shape)
        {
            // Pinned-heap arrays never move.
            var address = (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
            var value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, OrtElementTypes.ToOrt(type), shape, address, buffer.Length);
            _values.Add(value);
            return value;
        }
    }
}
