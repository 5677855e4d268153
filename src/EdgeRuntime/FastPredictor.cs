using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime.Inference;
using EdgeDeploy.Runtime.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime;

/// <summary>
/// Runs a model over pre-bound, fixed-shape buffers with no managed allocation per run. Not thread-safe: create one per thread.
/// Buffers passed to the builder stay pinned until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class FastPredictor : IDisposable
{
    private readonly EdgeModel _model;
    private readonly FastPredictorBuilder.Binding[] _bindings;
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _ioBinding;
    private readonly int[] _finiteChecks;
    private bool _disposed;

    internal FastPredictor(EdgeModel model, List<FastPredictorBuilder.Binding> bindings)
    {
        model.Handle.Acquire();
        _model = model;
        _bindings = bindings.ToArray();
        _values = new OrtValue[_bindings.Length];
        _ioBinding = model.Handle.Session.CreateIoBinding();
        var checks = new List<int>();
        for (var i = 0; i < _bindings.Length; i++)
        {
            var b = _bindings[i];
            _values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, OrtElementTypes.ToOrt(b.Type), b.Shape, Address(b), b.Bytes);
            if (b.IsInput)
            {
                _ioBinding.BindInput(b.Schema.Name, _values[i]);
                if (model.NonFinitePolicy == NonFiniteInputPolicy.Reject && ElementTypes.IsFloatingPoint(b.Type))
                {
                    checks.Add(i);
                }
            }
            else
            {
                _ioBinding.BindOutput(b.Schema.Name, _values[i]);
            }
        }

        _finiteChecks = checks.ToArray();
    }

    /// <summary>Runs the model: reads the bound inputs, writes the bound outputs.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.NonFiniteInput"/> or <see cref="EdgeErrorCode.InferenceFailed"/>.</exception>
    public void Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var started = RuntimeMetrics.Start();
        try
        {
            foreach (var i in _finiteChecks)
            {
                InputValidator.CheckFinite(_bindings[i].Schema.Name, _bindings[i].Type, Bytes(_bindings[i]));
            }

            _model.Handle.Session.RunWithBinding(_model.Handle.RunOptions, _ioBinding);
        }
        catch (OnnxRuntimeException ex)
        {
            RuntimeMetrics.Failed();
            throw OrtErrors.Translate(ex, "Inference failed");
        }
        catch (EdgeException)
        {
            RuntimeMetrics.Failed();
            throw;
        }

        RuntimeMetrics.Predicted(started);
    }

    /// <summary>The buffer of input <paramref name="name"/>, to fill before <see cref="Run"/>.</summary>
    public Span<T> GetInput<T>(string name)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes(Find<T>(name)));

    /// <summary>The buffer of output <paramref name="name"/>, valid after <see cref="Run"/>.</summary>
    public ReadOnlySpan<T> GetOutput<T>(string name)
        where T : unmanaged => MemoryMarshal.Cast<byte, T>(Bytes(Find<T>(name)));

    /// <summary>The shape bound for <paramref name="name"/>.</summary>
    public ReadOnlySpan<long> GetShape(string name)
    {
        foreach (var b in _bindings)
        {
            if (b.Schema.Name == name)
            {
                return b.Shape;
            }
        }

        throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{name}' is not bound by this predictor.") { TensorName = name };
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ioBinding.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        foreach (var b in _bindings)
        {
            b.Pin.Dispose();
        }

        _model.Handle.Release();
    }

    private static IntPtr Address(FastPredictorBuilder.Binding b) =>
        b.Owned is not null ? (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(b.Owned)) : (IntPtr)b.Pin.Pointer;

    private static Span<byte> Bytes(FastPredictorBuilder.Binding b) =>
        b.Owned is not null ? b.Owned : new Span<byte>(b.Pin.Pointer, (int)b.Bytes);

    private FastPredictorBuilder.Binding Find<T>(string name)
        where T : unmanaged
    {
        foreach (var b in _bindings)
        {
            if (b.Schema.Name == name)
            {
                return b.Type == ElementTypes.Of<T>()
                    ? b
                    : throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{name}' holds {ElementTypes.Describe(b.Type)} elements, not {typeof(T).Name}.") { TensorName = name };
            }
        }

        throw new EdgeException(EdgeErrorCode.InvalidArgument, $"'{name}' is not bound by this predictor.") { TensorName = name };
    }
}
