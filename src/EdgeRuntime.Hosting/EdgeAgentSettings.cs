namespace EdgeDeploy.Runtime.Hosting;

/// <summary>Update agent settings (see <see cref="Agent.UpdateAgentOptions"/> for the behaviour).</summary>
public sealed class EdgeAgentSettings
{
    /// <summary>Update server address (https://, or http:// on loopback for development); empty disables the agent. Default empty.</summary>
    public string ServerAddress { get; set; } = string.Empty;

    /// <summary>PEM file with the CA the server's certificate is checked against (instead of the system trust store). Default empty.</summary>
    public string ServerCaPath { get; set; } = string.Empty;

    /// <summary>PEM file with this device's client certificate for mutual TLS. Default empty.</summary>
    public string ClientCertificatePath { get; set; } = string.Empty;

    /// <summary>PEM file with the client certificate's private key (when not in the certificate file). Default empty.</summary>
    public string ClientKeyPath { get; set; } = string.Empty;

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
