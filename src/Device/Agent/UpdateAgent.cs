using System.Security.Cryptography;
using System.Text.Json;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Semver;

namespace EdgeDeploy.Runtime.Agent;

/// <summary>
/// The device side of the update protocol: registers once, checks in (interval with jitter, exponential backoff on
/// failure), verifies the signed assignment, downloads assigned packages with offset resume (partial files survive
/// restarts), installs them through the <see cref="ModelStore"/> (verification and gate), reports the outcome, then
/// hands the store the <see cref="ServingPlan"/> built from the assignment's per-version roles (the primary version,
/// weighted routes, a shadow candidate, standby versions), which the store applies in one step. Each cycle also reports per-version serving health. The store keeps
/// serving throughout and while the server is unreachable, up to the offline grace.
/// </summary>
public sealed class UpdateAgent : IDisposable
{
    private readonly UpdateAgentOptions _options;
    private readonly GrpcChannel _channel;
    private readonly DeviceService.DeviceServiceClient _client;
    private readonly TelemetryService.TelemetryServiceClient _telemetry;
    private readonly SigningKey _serverKey;
    private readonly ILogger _logger;
    private readonly List<VersionStats> _unsentHealth = [];
    private readonly AgentState _state;
    private readonly string _stateRoot;

    private UpdateAgent(UpdateAgentOptions options)
    {
        _options = options;
        _channel = ServerChannel.Create(options.ServerAddress, options.ServerCaFile, options.ClientCertificateFile, options.ClientKeyFile);
        _client = new DeviceService.DeviceServiceClient(_channel);
        _telemetry = new TelemetryService.TelemetryServiceClient(_channel);
        _serverKey = SigningKey.FromPem(options.AssignmentPublicKeyPem);
        _logger = options.LoggerFactory?.CreateLogger<UpdateAgent>() ?? NullLogger<UpdateAgent>.Instance;
        _stateRoot = Path.GetFullPath(options.StateDirectory);
        AtomicFile.CreateOwnerOnlyDirectory(_stateRoot); // holds the device credential
        AtomicFile.CreateOwnerOnlyDirectory(StatePath("downloads"));
        _state = ReadState() ?? new AgentState();
        LastContact = _state.LastContactUnixMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    /// <summary>When the server last answered a check-in, or null.</summary>
    public DateTimeOffset? LastContact { get; private set; }

    /// <summary>False once the device has been out of contact for longer than <see cref="UpdateAgentOptions.OfflineGrace"/>.</summary>
    public bool IsWithinOfflineGrace =>
        LastContact is null || _options.OfflineGrace == Timeout.InfiniteTimeSpan || _options.TimeProvider.GetUtcNow() - LastContact <= _options.OfflineGrace;

    /// <summary>Creates an agent.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the options are invalid.</exception>
    public static UpdateAgent Create(UpdateAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
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
            catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is RpcException or OperationCanceledException)
            {
                break; // stopped in the middle of a cycle: what it served is still flushed below
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failures++;
                AgentLog.CheckInFailed(_logger, failures, ex.Status.Detail);
            }
            catch (EdgeException ex)
            {
                // A refused assignment or package: keep serving what we have and try again later.
                failures++;
                AgentLog.CheckInFailed(_logger, failures, $"{ex.Code}: {ex.Message}");
            }

            try
            {
                await Task.Delay(NextDelay(failures), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Stopping (cancellation, SIGTERM under a host): what was served since the last cycle still reaches the server.
        using var flushTimeout = new CancellationTokenSource(ShutdownFlushTimeout, _options.TimeProvider);
        await FlushAsync(flushTimeout.Token).ConfigureAwait(false);
    }

    /// <summary>How long <see cref="RunAsync"/> spends on its final <see cref="FlushAsync"/> once cancelled.</summary>
    internal static readonly TimeSpan ShutdownFlushTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends what has not reached the server yet: the serving health since the last report and every telemetry record
    /// in the outbox (committed first). Call it before the agent stops (<see cref="RunAsync"/> does when cancelled), so
    /// the last cycle's predictions are counted. Never throws for an unreachable server: what is unsent stays on the
    /// device (telemetry in the outbox) for the next run.
    /// </summary>
    /// <returns>True when everything was sent.</returns>
    public async Task<bool> FlushAsync(CancellationToken cancellationToken)
    {
        if (_state.DeviceToken is null)
        {
            return false; // never registered: nothing of ours is on the server to add to
        }

        _options.Telemetry?.Flush(TimeSpan.FromSeconds(5));
        try
        {
            await ReportHealthAsync(cancellationToken).ConfigureAwait(false);
            return await UploadTelemetryAsync(int.MaxValue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException)
        {
            AgentLog.FlushFailed(_logger, ex is RpcException rpc ? rpc.Status.Detail : "timed out");
            return false;
        }
    }

    /// <summary>One cycle: register if needed, check in, verify the assignment, download, install, report, reconcile serving.</summary>
    /// <exception cref="RpcException">When the server cannot be reached; nothing on the device changes (past the offline grace, serving is suspended).</exception>
    public async Task<AgentCycle> RunOnceAsync(CancellationToken cancellationToken)
    {
        CheckInResponse response;
        try
        {
            await EnsureRegisteredAsync(cancellationToken).ConfigureAwait(false);
            var request = new CheckInRequest();
            if (_options.Store.ModelName is { } name && _options.Store.ActiveVersion is { } active)
            {
                request.Installed.Add(new InstalledModel { Name = name, Version = active });
            }

            response = await _client.CheckInAsync(request, Headers(), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (response.RotatedDeviceToken.Length > 0)
            {
                // An operator rotated this device's credential: keep the new one (state written owner-only) before using it;
                // the one just presented keeps working until then, so a crash here costs nothing.
                _state.DeviceToken = response.RotatedDeviceToken;
                WriteState();
                AgentLog.CredentialRotated(_logger, _options.DeviceId);
            }
        }
        catch (RpcException) when (!IsWithinOfflineGrace)
        {
            if (!_options.Store.IsServingSuspended)
            {
                AgentLog.OfflineGraceExpired(_logger, LastContact!.Value, _options.OfflineGrace);
                _options.Store.SuspendServing($"No contact with the update server since {LastContact:O}, longer than the offline grace of {_options.OfflineGrace}.");
            }

            throw;
        }

        return await ApplyAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _channel.Dispose();
        _serverKey.Dispose();
    }

    /// <summary>
    /// The rest of a cycle once the server answered: verify the signed assignment (signature, device, expiry, issue time
    /// not older than the last accepted, every field that becomes a path), then download, install, report and apply.
    /// </summary>
    internal async Task<AgentCycle> ApplyAsync(CheckInResponse response, CancellationToken cancellationToken)
    {
        var assignment = VerifyAssignment(response);
        LastContact = _options.TimeProvider.GetUtcNow();
        _state.LastContactUnixMs = LastContact.Value.ToUnixTimeMilliseconds();
        _state.LastAssignmentIssuedUnixMs = assignment.IssuedUnixMs;
        WriteState();
        _options.Store.ResumeServing();

        // The store serves one model: the one it already holds, or the first one assigned.
        var model = _options.Store.ModelName ?? assignment.Versions.FirstOrDefault()?.Model;
        var mine = assignment.Versions.Where(v => v.Model == model).ToList();
        var plan = ServingPlan.FromAssignment(mine);
        List<string> installed = [], failed = [], incomplete = [];

        // Oldest first: the store refuses a version older than one it already installed (anti-rollback), so a bandit's
        // or blue/green's older arm must land before the newer one.
        foreach (var version in mine.OrderBy(v => SemVersion.TryParse(v.Version, SemVersionStyles.Strict, out var sv) ? sv : new SemVersion(0, 0, 0), SemVersion.PrecedenceComparer))
        {
            var outcome = await EnsureInstalledAsync(version, plan, cancellationToken).ConfigureAwait(false);
            switch (outcome)
            {
                case null:
                    incomplete.Add(version.Version);
                    break;
                case { Fresh: true, Success: true }:
                    installed.Add(version.Version);
                    break;
                case { Fresh: true, Success: false }:
                    failed.Add($"{version.Version}: {outcome.Value.Reason}");
                    break;
            }

            if (outcome is { } o && !_state.Reported.Contains(ReportKey(version)))
            {
                await _client.ReportInstallAsync(
                    new InstallReport { Model = version.Model, Version = version.Version, RolloutId = version.RolloutId, Success = o.Success, Reason = o.Reason, Gate = GateFiguresOf(o.Gate) },
                    Headers(),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                _state.Reported.Add(ReportKey(version));
                WriteState();
            }
        }

        _options.Store.Apply(plan);
        await ReportHealthAsync(cancellationToken).ConfigureAwait(false);
        await UploadTelemetryAsync(_options.TelemetryBatchesPerCycle, cancellationToken).ConfigureAwait(false);
        return new AgentCycle([.. assignment.Versions.Select(v => $"{v.Model} {v.Version}")], installed, failed, incomplete, _options.Store.ActiveVersion, _options.Store.ShadowStatistics?.ShadowVersion);
    }

    /// <summary>Null while the download is incomplete; Fresh when this call installed or rejected it.</summary>
    private async Task<(bool Success, string Reason, bool Fresh, GateReport? Gate)?> EnsureInstalledAsync(AssignedVersion version, ServingPlan plan, CancellationToken cancellationToken)
    {
        if (_options.Store.ActiveVersion == version.Version || _options.Store.InstalledVersions.Contains(version.Version))
        {
            return (true, "installed", false, null);
        }

        if (_state.Rejected.TryGetValue(version.Sha256, out var rejected))
        {
            return (false, rejected, false, null); // a package that failed here fails again: do not fetch it every cycle
        }

        var package = await DownloadAsync(version, cancellationToken).ConfigureAwait(false);
        if (package is null)
        {
            return null;
        }

        var (success, reason, gate) = Install(package, version, plan);
        if (!success)
        {
            _state.Rejected[version.Sha256] = reason;
            WriteState();
        }

        return (success, reason, true, gate);
    }

    /// <summary>The gate's measurements as the server keeps them; null when the gate did not run.</summary>
    private static GateFigures? GateFiguresOf(GateReport? gate)
    {
        if (gate is null)
        {
            return null;
        }

        var figures = new GateFigures { LoadBytes = gate.LoadBytes, PeakBytes = gate.PeakBytes };
        figures.Latencies.AddRange(gate.Latencies.Select(l => new LatencyFigure { Input = l.Input, Shape = l.Shape, P95Ms = l.P95Milliseconds, BudgetMs = l.BudgetMilliseconds, Runs = l.Runs, Passed = l.Passed }));
        figures.Metrics.AddRange(gate.Metrics.Select(m => new MetricFigure { Name = m.Name, Value = m.Value, Min = m.Min, Max = m.Max, Passed = m.Passed, Cases = m.Cases }));
        return figures;
    }

    private (bool Success, string Reason, GateReport? Gate) Install(byte[] package, AssignedVersion version, ServingPlan plan)
    {
        try
        {
            // The first model a store gets serves at once; later ones wait on standby until the plan is applied.
            var activate = _options.Store.ActiveVersion is null && plan.IsServing(version.Version);
            var result = _options.Store.Install(package, new ExpectedPackage(version.Model, version.Version), activate);
            return result.Outcome switch
            {
                InstallOutcome.Activated or InstallOutcome.AlreadyActive or InstallOutcome.Installed => (true, "installed", result.Gate),
                InstallOutcome.Deferred => (true, "installed; activation deferred by the host", result.Gate),
                _ => (false, "gate: " + result.Gate!.Reason, result.Gate),
            };
        }
        catch (EdgeException ex)
        {
            return (false, $"{ex.Code}: {ex.Message}", null);
        }
    }

    private async Task ReportHealthAsync(CancellationToken cancellationToken)
    {
        foreach (var h in _options.Store.TakeHealth())
        {
            var stats = new VersionStats
            {
                Model = _options.Store.ModelName ?? string.Empty,
                Version = h.Version,
                Shadow = h.Shadow,
                Requests = h.Requests,
                Errors = h.Errors,
                GroundTruth = h.GroundTruth,
                Correct = h.Correct,
                AbsErrorSum = h.AbsoluteErrorSum,
            };
            stats.LatencyBuckets.AddRange(h.LatencyBuckets);
            if (!h.Shadow && _options.Telemetry is { } recorder && _options.Store.ModelName is { } model)
            {
                foreach (var d in recorder.TakeDriftCounts(model, h.Version).Where(d => d.Counts.Sum() + d.Missing > 0))
                {
                    var counts = new FeatureCounts { Name = d.Name, Missing = d.Missing };
                    counts.Counts.AddRange(d.Counts);
                    stats.Drift.Add(counts);
                }
            }

            Merge(stats);
        }

        if (_unsentHealth.Count == 0)
        {
            return;
        }

        var report = new HealthReport();
        report.Versions.AddRange(_unsentHealth);
        try
        {
            await _client.ReportHealthAsync(report, Headers(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied)
        {
            // Refused for its content (e.g. a version the device was moved off since): resending cannot succeed, and
            // keeping it would have every later report refused with it.
            AgentLog.HealthReportDropped(_logger, _unsentHealth.Count, ex.Status.Detail);
        }

        _unsentHealth.Clear(); // kept until the server has them, so an unreachable server loses no window
    }

    /// <summary>Sends the oldest outbox batches (at most <paramref name="maxBatches"/>) and acknowledges what the server confirms it holds; true when the outbox is empty.</summary>
    private async Task<bool> UploadTelemetryAsync(int maxBatches, CancellationToken cancellationToken)
    {
        if (_options.Telemetry is not { } recorder)
        {
            return true;
        }

        for (var i = 0; ; i++)
        {
            if (recorder.ReadBatch(_options.TelemetryBatchSize) is not { } batch)
            {
                return true;
            }

            if (i >= maxBatches)
            {
                return false;
            }

            var message = new TelemetryBatch { BatchId = batch.BatchId };
            message.Records.AddRange(batch.Records.Select(r => new TelemetryPayload { Kind = (int)r.Kind, Payload = ByteString.CopyFrom(r.Payload) }));
            IngestResponse response;
            try
            {
                using var call = _telemetry.Ingest(Headers(), cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                response = await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.PermissionDenied)
            {
                // The server can never accept this batch (a damaged record, or a version this device is no longer
                // assigned): drop it rather than block all later telemetry.
                AgentLog.TelemetryBatchDropped(_logger, batch.BatchId, batch.Records.Count, ex.Status.Detail);
                recorder.Acknowledge(batch);
                continue;
            }

            if (!response.Acknowledged.Contains(batch.BatchId))
            {
                return false;
            }

            recorder.Acknowledge(batch);
        }
    }

    /// <summary>Adds a window to what is waiting to be sent, summing into an unsent one of the same version so the backlog stays small offline.</summary>
    private void Merge(VersionStats stats)
    {
        var pending = _unsentHealth.FirstOrDefault(u => u.Model == stats.Model && u.Version == stats.Version && u.Shadow == stats.Shadow);
        if (pending is null)
        {
            _unsentHealth.Add(stats);
            return;
        }

        pending.Requests += stats.Requests;
        pending.Errors += stats.Errors;
        pending.GroundTruth += stats.GroundTruth;
        pending.Correct += stats.Correct;
        pending.AbsErrorSum += stats.AbsErrorSum;
        for (var i = 0; i < Math.Min(pending.LatencyBuckets.Count, stats.LatencyBuckets.Count); i++)
        {
            pending.LatencyBuckets[i] += stats.LatencyBuckets[i];
        }

        foreach (var d in stats.Drift)
        {
            if (pending.Drift.FirstOrDefault(p => p.Name == d.Name && p.Counts.Count == d.Counts.Count) is { } same)
            {
                same.Missing += d.Missing;
                for (var i = 0; i < d.Counts.Count; i++)
                {
                    same.Counts[i] += d.Counts[i];
                }
            }
            else
            {
                pending.Drift.Add(d);
            }
        }
    }

    private static string ReportKey(AssignedVersion v) => v.RolloutId + "/" + v.Version;

    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        if (_state.DeviceToken is not null)
        {
            return;
        }

        var request = new RegisterRequest { DeviceId = _options.DeviceId, EnrollmentToken = _options.EnrollmentToken, RuntimeVersion = RuntimeInfo.Version };
        request.Attributes.Add(_options.Attributes.ToDictionary());
        request.Tags.AddRange(_options.Tags);
        var response = await _client.RegisterAsync(request, cancellationToken: cancellationToken).ConfigureAwait(false);
        _state.DeviceToken = response.DeviceToken;
        WriteState();
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

        if (_state.LastAssignmentIssuedUnixMs is { } last && assignment.IssuedUnixMs < last)
        {
            throw new EdgeException(
                EdgeErrorCode.AssignmentReplayed,
                $"The server's assignment was issued at {DateTimeOffset.FromUnixTimeMilliseconds(assignment.IssuedUnixMs):O}, before the one this device already accepted ({DateTimeOffset.FromUnixTimeMilliseconds(last):O}): a replayed older assignment; ignoring it.");
        }

        AssignmentRules.Validate(assignment);
        return assignment;
    }

    /// <summary>Downloads into a .part file, resuming from its length; null when stopped early. The file is deleted if its hash is wrong.</summary>
    private async Task<byte[]?> DownloadAsync(AssignedVersion version, CancellationToken cancellationToken)
    {
        var part = StatePath("downloads", version.Sha256 + ".part");
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
                    _options.DownloadProgress?.Report(new DownloadProgress(version.Model, version.Version, file.Length, version.Size));
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

    private Metadata Headers() => new() { { "authorization", "Bearer " + _state.DeviceToken } };

    private AgentState? ReadState()
    {
        var path = StatePath("agent.json");
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentJson.Default.AgentState) : null;
    }

    /// <summary>Owner-only (0600) from the temp file's first byte: it holds the device credential.</summary>
    private void WriteState() => AtomicFile.WriteSecret(StatePath("agent.json"), JsonSerializer.SerializeToUtf8Bytes(_state, AgentJson.Default.AgentState));

    /// <summary>A path inside the state directory; anything that would resolve outside it is refused.</summary>
    private string StatePath(params string[] parts)
    {
        var full = Path.GetFullPath(Path.Combine([_stateRoot, .. parts]));
        var prefix = Path.EndsInDirectorySeparator(_stateRoot) ? _stateRoot : _stateRoot + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
        {
            throw new EdgeException(EdgeErrorCode.AssignmentMalformed, $"Refusing a path outside the agent's state directory '{_stateRoot}': '{full}'.");
        }

        return full;
    }
}
