namespace EdgeDeploy.Runtime;

/// <summary>Which execution provider a model runs on, and why.</summary>
public sealed class ExecutionProviderReport
{
    internal ExecutionProviderReport(ExecutionProviderKind requested, ExecutionProviderKind active, string? fallbackReason, IReadOnlyList<string> availableProviders)
    {
        Requested = requested;
        Active = active;
        FallbackReason = fallbackReason;
        AvailableProviders = availableProviders;
    }

    /// <summary>What the options asked for.</summary>
    public ExecutionProviderKind Requested { get; }

    /// <summary>What runs the model: <see cref="ExecutionProviderKind.Cpu"/> or <see cref="ExecutionProviderKind.Cuda"/>.</summary>
    public ExecutionProviderKind Active { get; }

    /// <summary>Why <see cref="ExecutionProviderKind.Auto"/> settled on the CPU; null when nothing fell back.</summary>
    public string? FallbackReason { get; }

    /// <summary>The providers compiled into the loaded ONNX Runtime build.</summary>
    public IReadOnlyList<string> AvailableProviders { get; }

    /// <inheritdoc/>
    public override string ToString() => FallbackReason is null
        ? $"{Active} (requested {Requested})"
        : $"{Active} (requested {Requested}; {FallbackReason})";
}
