using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime;

/// <summary>Options for <see cref="EdgeModel"/>. Every property has an edge-friendly default stated on it.</summary>
public sealed class EdgeModelOptions
{
    /// <summary>The defaults.</summary>
    public static EdgeModelOptions Default { get; } = new();

    /// <summary>Execution provider. Default <see cref="ExecutionProviderKind.Auto"/>.</summary>
    public ExecutionProviderKind ExecutionProvider { get; init; } = ExecutionProviderKind.Auto;

    /// <summary>CUDA device ordinal. Default 0.</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>
    /// Threads inside one operator. Default 1: small edge models run fastest and most predictably on the calling thread,
    /// and a device usually serves several callers. 0 lets ONNX Runtime use one per core.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Threads across independent operators. Default 1 (sequential execution).</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>Graph optimisation level. Default <see cref="GraphOptimization.All"/>.</summary>
    public GraphOptimization GraphOptimization { get; init; } = GraphOptimization.All;

    /// <summary>Reuse a CPU memory arena between calls. Default true; turn off on devices where memory must be returned promptly.</summary>
    public bool EnableMemoryArena { get; init; } = true;

    /// <summary>NaN/infinity handling. Default <see cref="NonFiniteInputPolicy.Reject"/>.</summary>
    public NonFiniteInputPolicy NonFiniteInputs { get; init; } = NonFiniteInputPolicy.Reject;

    /// <summary>Entries of the LRU prediction cache keyed by input bytes. Default 0 (off).</summary>
    public int PredictionCacheCapacity { get; init; }

    /// <summary>
    /// Dynamic micro-batching of concurrent <see cref="EdgeModel.PredictAsync(IReadOnlyDictionary{string, EdgeTensor}, CancellationToken)"/>
    /// callers. Default null (off: each call runs on its own). Ignored while the prediction cache is on.
    /// </summary>
    public MicroBatchingOptions? MicroBatching { get; init; }

    /// <summary>
    /// ONNX Runtime session configuration entries (<c>SessionOptions.AddSessionConfigEntry</c>), applied after EdgeDeploy's own
    /// settings: for example <c>["session.use_env_allocators"] = "1"</c> to share the environment's registered allocators, or
    /// <c>["session.intra_op.allow_spinning"] = "0"</c>. Default none. A key ONNX Runtime refuses fails the load with
    /// <see cref="EdgeErrorCode.SessionConfigurationFailed"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? SessionConfigEntries { get; init; }

    /// <summary>
    /// A container of prepacked weights shared by every session loaded with it (ONNX Runtime's
    /// <see cref="PrePackedWeightsContainer"/>): several models or several versions of one model then keep one copy of
    /// identical prepacked initializers. The caller owns it and disposes it after the last model using it. Default null.
    /// </summary>
    public PrePackedWeightsContainer? PrePackedWeights { get; init; }

    /// <summary>
    /// A hook that receives ONNX Runtime's <see cref="SessionOptions"/> after EdgeDeploy's settings, the config entries and
    /// (for CUDA) the CUDA provider were applied, just before the session is created: append execution providers EdgeDeploy
    /// does not configure itself (TensorRT from the GPU package: <c>o =&gt; o.AppendExecutionProvider_Tensorrt(0)</c>),
    /// register custom op libraries (<c>o =&gt; o.RegisterCustomOpLibrary("libcustom_ops.so")</c>), or set anything else.
    /// Input validation, the schema checks and the error model are unchanged. It runs once per session attempt (twice when
    /// <see cref="ExecutionProviderKind.Auto"/> falls back from CUDA to CPU). An exception it throws fails the load with
    /// <see cref="EdgeErrorCode.SessionConfigurationFailed"/> naming the exception. Default null.
    /// </summary>
    public Action<SessionOptions>? ConfigureSession { get; init; }

    /// <summary>Largest model file accepted, in bytes. Default 1 GiB.</summary>
    public long MaxModelBytes { get; init; } = 1L << 30;

    /// <summary>Logger factory for load-time reports. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Checks every property and throws on the first bad one; <see cref="EdgeModel.Load(string, EdgeModelOptions?)"/>
    /// calls it, hosts can call it at start-up to fail early.
    /// </summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the property.</exception>
    public void Validate()
    {
        if (IntraOpThreads < 0 || InterOpThreads < 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"IntraOpThreads ({IntraOpThreads}) and InterOpThreads ({InterOpThreads}) must be zero (ONNX Runtime default) or positive.");
        }

        if (PredictionCacheCapacity < 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"PredictionCacheCapacity ({PredictionCacheCapacity}) must be zero (off) or positive.");
        }

        if (MaxModelBytes <= 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"MaxModelBytes ({MaxModelBytes}) must be positive.");
        }

        if (CudaDeviceId < 0)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, $"CudaDeviceId ({CudaDeviceId}) must not be negative.");
        }

        MicroBatching?.Validate();
    }
}
