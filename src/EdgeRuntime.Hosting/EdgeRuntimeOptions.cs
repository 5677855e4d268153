namespace EdgeDeploy.Runtime.Hosting;

/// <summary>
/// What <see cref="EdgeRuntimeServiceCollectionExtensions.AddEdgeRuntime(Microsoft.Extensions.DependencyInjection.IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>
/// sets up (bind it from a configuration section such as "EdgeRuntime"); defaults stated on each property.
/// </summary>
public sealed class EdgeRuntimeOptions
{
    /// <summary>Where installed model versions live. Default "edge-store".</summary>
    public string StoreDirectory { get; set; } = "edge-store";

    /// <summary>Trust directory (root.json and install state) packages are verified against. Required.</summary>
    public string TrustDirectory { get; set; } = string.Empty;

    /// <summary>Installed versions kept for rollback. Default 3.</summary>
    public int KeepVersions { get; set; } = 3;

    /// <summary>Largest memory a model may need to pass the gate (0 = no limit). Default 0.</summary>
    public long MemoryBudgetBytes { get; set; }

    /// <summary>Execution provider. Default <see cref="ExecutionProviderKind.Auto"/> (CUDA when present, else CPU).</summary>
    public ExecutionProviderKind ExecutionProvider { get; set; } = ExecutionProviderKind.Auto;

    /// <summary>SQLite file for the telemetry outbox; empty records no telemetry. Default empty.</summary>
    public string TelemetryDatabase { get; set; } = string.Empty;

    /// <summary>The update agent; it runs as a hosted service when <see cref="EdgeAgentSettings.ServerAddress"/> is set.</summary>
    public EdgeAgentSettings Agent { get; set; } = new();
}
