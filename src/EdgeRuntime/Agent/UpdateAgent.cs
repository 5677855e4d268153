using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>Options for <see cref="UpdateAgent"/>; defaults stated on each property.</summary>
public sealed class UpdateAgentOptions
{
    /// <summary>The update server, e.g. http://updates.example:5000. Required.</summary>
    public required Uri ServerAddress { get; init; }

    /// <summary>This device's id. Required.</summary>
    public required string DeviceId { get; init; }

    /// <summary>Fleet enrollment token, used once to obtain the device credential. Required.</summary>
    public required string EnrollmentToken { get; init; }

    /// <summary>Where the credential and partial downloads are kept. Required.</summary>
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

    /// <summary>How long the device keeps serving without reaching the server. Default 7 days.</summary>
    public TimeSpan OfflineGrace { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger factory. Default none.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Stops a download after this many bytes in one cycle (0 = no limit). For bandwidth caps; tests use it to interrupt.</summary>
    public long MaxDownloadBytesPerCycle { get; init; }
}

/// <summary>What one check-in cycle did.</summary>
/// <param name="Assigned">Versions the server assigned to this device.</param>
/// <param name="Installed">Versions installed and activated in this cycle.</param>
/// <param name="Failed">Versions that failed verification, the gate or the download, with the reason.</param>
/// <param name="Incomplete">Downloads stopped before completion (resumed next cycle).</param>
public sealed record AgentCycle(IReadOnlyList<string> Assigned, IReadOnlyList<string> Installed, IReadOnlyList<string> Failed, IReadOnlyList<string> Incomplete);

/// <summary>
/// The device side of the update protocol: registers once, checks in (interval with jitter, exponential backoff on
/// failure), verifies the signed assignment, downloads assigned packages with offset resume (partial files survive
/// restarts), installs them through the <see cref="ModelStore"/> (verification and gate) and reports the outcome.
/// The store keeps serving throughout and while the server is unreachable.
/// </summary>
public sealed class UpdateAgent : IDisposable
{
    private readonly UpdateAgentOptions _options;
    private readonly GrpcChannel _channel;
    private readonly DeviceService.DeviceServiceClient _client;
    private readonly SigningKey _serverKey;
    private readonly ILogger _logger;
    private string? _token;

    private UpdateAgent(UpdateAgentOptions options)
    {
        _options = options;
        _channel = GrpcChannel.ForAddress(options.ServerAddress);
        _client = new DeviceService.DeviceServiceClient(_channel);
        _serverKey = SigningKey.FromPem(options.AssignmentPublicKeyPem);
        _logger = options.LoggerFactory?.CreateLogger<UpdateAgent>() ?? NullLogger<UpdateAgent>.Instance;
        Directory.CreateDirectory(Path.Combine(options.StateDirectory, "downloads"));
        _token = ReadState()?.DeviceToken;
        LastContact = ReadState()?.LastContactUnixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>When the server last answered a check-in, or null.</summary>
    public DateTimeOffset? LastContact { get; private set; }

    /// <summary>False once the device has been out of contact for longer than <see cref="UpdateAgentOptions.OfflineGrace"/>.</summary>
    public bool IsWithinOfflineGrace => LastContact is null || _options.TimeProvider.GetUtcNow() - LastContact <= _options.OfflineGrace;

    /// <summary>Creates an agent.</summary>
    public static UpdateAgent Create(UpdateAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new UpdateAgent(options);
    }

    /// <summary>Checks in until cancelled, sleeping the poll interval (with jitter) between cycles and backing off on failures.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failures++;
                AgentLog.CheckInFailed(_logger, failures, ex.Status.Detail);
            }

            try
            {
                await Task.Delay(NextDelay(failures), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One cycle: register if needed, check in, verify the assignment, download, install and report.</summary>
    /// <exception cref="RpcException">When the server cannot be reached; nothing on the device changes.</exception>
    public async Task<AgentCycle> RunOnceAsync(CancellationToken cancellationToken)
    {
        await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
        var request = new CheckInRequest();
        if (_options.Store.ModelName is { } name && _options.Store.ActiveVersion is { } active)
        {
            request.Installed.Add(new InstalledModel { Name = name, Version = active });
        }

        var response = await _client.CheckInAsync(request, Headers(), cancellationToken: cancellationToken).ConfigureAwait(false);
        LastContact = _options.TimeProvider.GetUtcNow();
        WriteState(new AgentState { DeviceToken = _token!, LastContactUnixMs = LastContact.Value.ToUnixTimeMilliseconds() });
        var assignment = VerifyAssignment(response);

        List<string> assigned = [], installed = [], failed = [], incomplete = [];
        foreach (var version in assignment.Versions)
        {
            assigned.Add($"{version.Model} {version.Version}");
            if ((_options.Store.ModelName is { } model && model != version.Model) || _options.Store.ActiveVersion == version.Version)
            {
                continue;
            }

            var package = await DownloadAsync(version, cancellationToken).ConfigureAwait(false);
            if (package is null)
            {
                incomplete.Add(version.Version);
                continue;
            }

            var (success, reason) = Install(package, version);
            (success ? installed : failed).Add(success ? version.Version : $"{version.Version}: {reason}");
            await _client.ReportInstallAsync(
                new InstallReport { Model = version.Model, Version = version.Version, RolloutId = version.RolloutId, Success = success, Reason = reason },
                Headers(),
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return new AgentCycle(assigned, installed, failed, incomplete);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _channel.Dispose();
        _serverKey.Dispose();
    }

    private (bool Success, string Reason) Install(byte[] package, AssignedVersion version)
    {
        try
        {
            var result = _options.Store.Install(package, new ExpectedPackage(version.Model, version.Version));
            return result.Outcome switch
            {
                InstallOutcome.Activated or InstallOutcome.AlreadyActive => (true, "activated"),
                InstallOutcome.Deferred => (true, "installed; activation deferred by the host"),
                _ => (false, "gate: " + result.Gate!.Reason),
            };
        }
        catch (EdgeException ex)
        {
            return (false, $"{ex.Code}: {ex.Message}");
        }
    }

    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        if (_token is not null)
        {
            return;
        }

        var request = new RegisterRequest { DeviceId = _options.DeviceId, EnrollmentToken = _options.EnrollmentToken, RuntimeVersion = RuntimeInfo.Version };
        request.Attributes.Add(_options.Attributes.ToDictionary());
        request.Tags.AddRange(_options.Tags);
        var response = await _client.RegisterAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        _token = response.DeviceToken;
        WriteState(new AgentState { DeviceToken = _token });
    }

    private Assignment VerifyAssignment(CheckInResponse response)
    {
        if (response.KeyId != _serverKey.KeyId || !_serverKey.Verify(response.Assignment.Span, response.Signature.Span))
        {
            throw new EdgeException(EdgeErrorCode.SignatureInvalid, "The server's assignment is not signed by the configured server key.");
        }

        var assignment = Assignment.Parser.ParseFrom(response.Assignment);
        if (assignment.DeviceId != _options.DeviceId)
        {
            throw new EdgeException(EdgeErrorCode.PackageMismatch, $"The assignment is for device '{assignment.DeviceId}', not '{_options.DeviceId}'.");
        }

        if (DateTimeOffset.FromUnixTimeMilliseconds(assignment.ExpiresUnixMs) <= _options.TimeProvider.GetUtcNow())
        {
            throw new EdgeException(EdgeErrorCode.ManifestExpired, "The server's assignment has expired (a replayed or delayed answer); ignoring it.");
        }

        return assignment;
    }

    /// <summary>Downloads into a .part file, resuming from its length; null when stopped early. The file is deleted if its hash is wrong.</summary>
    private async Task<byte[]?> DownloadAsync(AssignedVersion version, CancellationToken cancellationToken)
    {
        var part = Path.Combine(_options.StateDirectory, "downloads", version.Sha256 + ".part");
        long received = 0;
        var file = new FileStream(part, FileMode.Append, FileAccess.Write, FileShare.None);
        await using (file.ConfigureAwait(false))
        {
            var offset = file.Length;
            if (offset < version.Size)
            {
                using var call = _client.Download(new DownloadRequest { Sha256 = version.Sha256, Offset = offset }, Headers(), cancellationToken: cancellationToken);
                await foreach (var chunk in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (chunk.Offset != file.Length)
                    {
                        throw new EdgeException(EdgeErrorCode.PackageMalformed, $"Download of {version.Sha256} skipped from {file.Length} to {chunk.Offset}.");
                    }

                    chunk.Data.WriteTo(file);
                    await file.FlushAsync(cancellationToken).ConfigureAwait(false); // what is on disk is what resumes
                    received += chunk.Data.Length;
                    if (_options.MaxDownloadBytesPerCycle > 0 && received >= _options.MaxDownloadBytesPerCycle && file.Length < version.Size)
                    {
                        return null;
                    }
                }
            }
        }

        var bytes = await File.ReadAllBytesAsync(part, cancellationToken).ConfigureAwait(false);
        File.Delete(part);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        return sha == version.Sha256 && bytes.Length == version.Size
            ? bytes
            : throw new EdgeException(EdgeErrorCode.FileHashMismatch, $"Downloaded package has SHA-256 {sha}, not the assigned {version.Sha256}.");
    }

    private TimeSpan NextDelay(int failures)
    {
        var baseDelay = failures == 0
            ? _options.PollInterval
            : TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, _options.PollInterval.Ticks * (1L << Math.Min(failures, 20))));
        return baseDelay + (baseDelay * (_options.Jitter * Random.Shared.NextDouble()));
    }

    private Metadata Headers() => new() { { "authorization", "Bearer " + _token } };

    private AgentState? ReadState()
    {
        var path = Path.Combine(_options.StateDirectory, "agent.json");
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentJson.Default.AgentState) : null;
    }

    private void WriteState(AgentState state)
    {
        var path = Path.Combine(_options.StateDirectory, "agent.json");
        AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(state, AgentJson.Default.AgentState));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // holds the device credential
        }
    }
}

internal sealed class AgentState
{
    public required string DeviceToken { get; init; }

    public long? LastContactUnixMs { get; init; }
}

[JsonSerializable(typeof(AgentState))]
internal sealed partial class AgentJson : JsonSerializerContext;

internal static partial class AgentLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Check-in failed ({Failures} in a row): {Reason}")]
    public static partial void CheckInFailed(ILogger logger, int failures, string reason);
}
