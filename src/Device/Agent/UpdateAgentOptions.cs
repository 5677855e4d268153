using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>Options for <see cref="UpdateAgent"/>; defaults stated on each property.</summary>
public sealed class UpdateAgentOptions
{
    /// <summary>
    /// The update server, e.g. https://updates.example:5000 (TLS, checked against the system trust store or
    /// <see cref="ServerCaFile"/>), or http://127.0.0.1:5000 (cleartext, for loopback development). Required.
    /// </summary>
    public required Uri ServerAddress { get; init; }

    /// <summary>
    /// PEM file with the CA that issued the server's certificate: the server is then checked against only this CA, not the
    /// system trust store. Needs an https:// address. Default none (system trust).
    /// </summary>
    public string? ServerCaFile { get; init; }

    /// <summary>
    /// PEM file with this device's client certificate, presented for mutual TLS; on a server that requires client
    /// certificates it becomes the device's identity at registration. Needs an https:// address. Default none.
    /// </summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM file with the private key of <see cref="ClientCertificateFile"/> (when the key is not in that file). Default none.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>This device's id. Required.</summary>
    public required string DeviceId { get; init; }

    /// <summary>Fleet enrollment token, used once to obtain the device credential. Required.</summary>
    public required string EnrollmentToken { get; init; }

    /// <summary>
    /// Where the credential and partial downloads are kept; created owner-only (0700), the state file 0600. Every path the
    /// agent builds stays inside it. Required.
    /// </summary>
    public required string StateDirectory { get; init; }

    /// <summary>The server's assignment-signing public key (PEM); unsigned or altered assignments are refused. Required.</summary>
    public required string AssignmentPublicKeyPem { get; init; }

    /// <summary>The store assigned versions are installed into. Required.</summary>
    public required ModelStore Store { get; init; }

    /// <summary>Reported at registration: hardware, OS, region and so on. Default none.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; init; } = new Dictionary<string, string>();

    /// <summary>Reported at registration, for rollout targeting. Default none.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Time between check-ins. Default 60 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Random spread added to each interval, as a fraction of it, so a fleet does not check in in lockstep. Default 0.2.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>Longest wait after repeated failures (the interval doubles per failure up to this). Default 10 min.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long the device keeps serving without reaching the server; past it, the store's predictions fail with
    /// <see cref="EdgeErrorCode.OfflineGraceExpired"/> until a check-in succeeds. Default infinite (never stops serving).
    /// </summary>
    public TimeSpan OfflineGrace { get; init; } = Timeout.InfiniteTimeSpan;

    /// <summary>Clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger factory. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Stops a download after this many bytes in one cycle (0 = no limit). For bandwidth caps; tests use it to interrupt.</summary>
    public long MaxDownloadBytesPerCycle { get; init; }

    /// <summary>
    /// Told after every chunk of a package download is written (for a progress line). Called on the agent's own flow, so
    /// keep it quick. Default none.
    /// </summary>
    public IProgress<DownloadProgress>? DownloadProgress { get; init; }

    /// <summary>The outbox to upload each cycle (the same recorder the store writes to). Default none.</summary>
    public TelemetryRecorder? Telemetry { get; init; }

    /// <summary>Records per uploaded telemetry batch. Default 1,000.</summary>
    public int TelemetryBatchSize { get; init; } = 1000;

    /// <summary>Most telemetry batches uploaded per cycle, so a long-offline device catches up gradually. Default 50.</summary>
    public int TelemetryBatchesPerCycle { get; init; } = 50;

    /// <summary>Checks every setting; <see cref="UpdateAgent.Create"/> calls it.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> naming the first invalid setting.</exception>
    public void Validate()
    {
        // Built with object initializers, so a required property can still be null or empty.
        Require(ServerAddress is { IsAbsoluteUri: true }, "ServerAddress must be an absolute URI such as http://updates.example:5000.");
        Require(ServerAddress.Scheme is "https" || (ServerCaFile is null && ClientCertificateFile is null && ClientKeyFile is null),
            $"ServerCaFile, ClientCertificateFile and ClientKeyFile need an https:// ServerAddress (it is {ServerAddress}).");
        Require(ClientKeyFile is null || ClientCertificateFile is not null, "ClientKeyFile needs ClientCertificateFile.");
        Require(!string.IsNullOrEmpty(DeviceId), "DeviceId is required.");
        Require(EnrollmentToken is not null, "EnrollmentToken is required (it may be empty once the device is registered).");
        Require(!string.IsNullOrEmpty(StateDirectory), "StateDirectory is required.");
        Require(!string.IsNullOrWhiteSpace(AssignmentPublicKeyPem), "AssignmentPublicKeyPem is required.");
        Require(Store is not null, "Store is required.");
        Require(Attributes is not null && Tags is not null, "Attributes and Tags must not be null.");
        Require(PollInterval > TimeSpan.Zero, $"PollInterval must be positive (it is {PollInterval}).");
        Require(double.IsFinite(Jitter) && Jitter >= 0, $"Jitter must be a finite non-negative fraction of the poll interval (it is {Jitter}).");
        Require(MaxBackoff > TimeSpan.Zero, $"MaxBackoff must be positive (it is {MaxBackoff}).");
        Require(OfflineGrace >= TimeSpan.Zero || OfflineGrace == Timeout.InfiniteTimeSpan, $"OfflineGrace must be non-negative or infinite (it is {OfflineGrace}).");
        Require(TimeProvider is not null, "TimeProvider must not be null.");
        Require(MaxDownloadBytesPerCycle >= 0, $"MaxDownloadBytesPerCycle must be non-negative (0 = no limit; it is {MaxDownloadBytesPerCycle}).");
        Require(TelemetryBatchSize >= 1, $"TelemetryBatchSize must be at least 1 (it is {TelemetryBatchSize}).");
        Require(TelemetryBatchesPerCycle >= 0, $"TelemetryBatchesPerCycle must be non-negative (it is {TelemetryBatchesPerCycle}).");
    }

    private static void Require(bool valid, string message)
    {
        if (!valid)
        {
            throw new EdgeException(EdgeErrorCode.InvalidArgument, "UpdateAgentOptions." + message);
        }
    }
}
