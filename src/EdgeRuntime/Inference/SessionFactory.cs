using Microsoft.ML.OnnxRuntime;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>Creates ONNX Runtime sessions and decides which execution provider runs them.</summary>
internal static class SessionFactory
{
    public const string CudaProviderName = "CUDAExecutionProvider";

    public static IReadOnlyList<string> LoadedProviders() => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// Creates the session. <paramref name="availableProviders"/> is what the loaded ORT build reports; tests pass their own list
    /// to drive the fallback path on machines without CUDA.
    /// </summary>
    public static (InferenceSession Session, ExecutionProviderReport Report) Create(
        Func<SessionOptions, InferenceSession> open,
        EdgeModelOptions options,
        IReadOnlyList<string> availableProviders)
    {
        var requested = options.ExecutionProvider;
        var hasCuda = availableProviders.Contains(CudaProviderName);

        if (requested == ExecutionProviderKind.Cpu)
        {
            return (OpenCpu(open, options), new ExecutionProviderReport(requested, ExecutionProviderKind.Cpu, null, availableProviders));
        }

        string reason;
        if (!hasCuda)
        {
            reason = $"this ONNX Runtime build has no CUDA execution provider (available: {string.Join(", ", availableProviders)}); build with -p:EdgeOnnxRuntimeGpu=true to use the GPU package";
        }
        else
        {
            try
            {
                return (OpenCuda(open, options), new ExecutionProviderReport(requested, ExecutionProviderKind.Cuda, null, availableProviders));
            }
            catch (OnnxRuntimeException ex)
            {
                reason = $"CUDA device {options.CudaDeviceId} could not start: {OrtErrors.Split(ex.Message).Detail}";
            }
            catch (EntryPointNotFoundException ex)
            {
                reason = $"CUDA device {options.CudaDeviceId} could not start: {ex.Message}";
            }
        }

        if (requested == ExecutionProviderKind.Cuda)
        {
            throw new EdgeException(EdgeErrorCode.ExecutionProviderUnavailable, $"CUDA was requested but is unavailable: {reason}.");
        }

        return (OpenCpu(open, options), new ExecutionProviderReport(requested, ExecutionProviderKind.Cpu, reason, availableProviders));
    }

    private static InferenceSession OpenCpu(Func<SessionOptions, InferenceSession> open, EdgeModelOptions options)
    {
        using var sessionOptions = CreateOptions(options);
        Customize(sessionOptions, options);
        return OrtErrors.Call(() => open(sessionOptions), "The model could not be loaded", EdgeErrorCode.InvalidModel);
    }

    private static InferenceSession OpenCuda(Func<SessionOptions, InferenceSession> open, EdgeModelOptions options)
    {
        using var sessionOptions = CreateOptions(options);
        sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
        Customize(sessionOptions, options);
        return open(sessionOptions);
    }

    /// <summary>The caller's config entries, then the caller's hook; what either throws becomes SessionConfigurationFailed.</summary>
    private static void Customize(SessionOptions sessionOptions, EdgeModelOptions options)
    {
        foreach (var (key, value) in options.SessionConfigEntries ?? new Dictionary<string, string>())
        {
            try
            {
                sessionOptions.AddSessionConfigEntry(key, value);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new EdgeException(EdgeErrorCode.SessionConfigurationFailed, $"Session config entry '{key}' = '{value}' was refused: {OrtErrors.Split(ex.Message).Detail}", ex);
            }
        }

        if (options.ConfigureSession is { } hook)
        {
            try
            {
                hook(sessionOptions);
            }
            catch (EdgeException ex) when (ex.Code == EdgeErrorCode.SessionConfigurationFailed)
            {
                throw;
            }
            catch (Exception ex)
            {
                var detail = ex is OnnxRuntimeException ort ? OrtErrors.Split(ort.Message).Detail : ex.Message;
                throw new EdgeException(EdgeErrorCode.SessionConfigurationFailed, $"EdgeModelOptions.ConfigureSession threw {ex.GetType().Name}: {detail}", ex);
            }
        }
    }

    private static SessionOptions CreateOptions(EdgeModelOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = options.InterOpThreads,
        ExecutionMode = options.InterOpThreads > 1 ? ExecutionMode.ORT_PARALLEL : ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = options.GraphOptimization switch
        {
            GraphOptimization.None => GraphOptimizationLevel.ORT_DISABLE_ALL,
            GraphOptimization.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
            GraphOptimization.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
            _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
        },
        EnableCpuMemArena = options.EnableMemoryArena,
        LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
    };
}
