namespace EdgeDeploy.Runtime.Packages;

/// <summary>What a device must offer.</summary>
public sealed class PackageRequirements
{
    /// <summary>Lowest EdgeRuntime version (semver) that can run the package.</summary>
    public string MinRuntimeVersion { get; init; } = "0.1.0";

    /// <summary>Highest default-domain ONNX opset the model imports.</summary>
    public int Opset { get; init; }

    /// <summary>Execution provider the model needs: "any", "cpu" or "cuda".</summary>
    public string ExecutionProvider { get; init; } = "any";

    /// <summary>Memory the model needs when loaded, in bytes; 0 when unknown.</summary>
    public long MemoryBytes { get; init; }
}
