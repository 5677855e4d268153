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

/// <summary>Update agent settings (see <see cref="Agent.UpdateAgentOptions"/> for the behaviour).</summary>
public sealed class EdgeAgentSettings
{
    /// <summary>Update server address; empty disables the agent. Default empty.</summary>
    public string ServerAddress { get; set; } = string.Empty;

    /// <summary>This device's id. Required with a server address.</summary>
    public string DeviceId { get; set; } = string.Empty;

    /// <summary>Fleet enrollment token. Required with a server address.</summary>
    public string EnrollmentToken { get; set; } = string.Empty;

    /// <summary>PEM file with the server's assignment-signing public key. Required with a server address.</summary>
    public string AssignmentPublicKeyPath { get; set; } = string.Empty;

    /// <summary>Agent state (credential, partial downloads). Default "edge-agent".</summary>
    public string StateDirectory { get; set; } = "edge-agent";

    /// <summary>Time between check-ins. Default 60 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Serving stops after this long without contact. Default infinite.</summary>
    public TimeSpan OfflineGrace { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Reported at registration for rollout targeting. Default none.</summary>
    public Dictionary<string, string> Attributes { get; set; } = [];

    /// <summary>Reported at registration for rollout targeting. Default none.</summary>
    public List<string> Tags { get; set; } = [];
}
