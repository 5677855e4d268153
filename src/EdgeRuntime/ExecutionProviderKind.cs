namespace EdgeDeploy.Runtime;

/// <summary>Which execution provider runs the model.</summary>
public enum ExecutionProviderKind
{
    /// <summary>CUDA when the loaded ONNX Runtime build has it and a device accepts the session, otherwise CPU.</summary>
    Auto = 0,

    /// <summary>The CPU provider.</summary>
    Cpu = 1,

    /// <summary>The CUDA provider; loading fails when it is unavailable.</summary>
    Cuda = 2,
}
