using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Telemetry;
using EdgeDeploy.UpdateServer.Security;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Api;

internal sealed class DeviceServiceImpl(
    Auth auth,
    IUpdateStore store,
    FleetDirectory fleet,
    IBlobStore blobs,
    RolloutPlanner planner,
    AssignmentSigner signer,
    UpdateServerOptions options,
    TimeProvider time,
    ServerMetrics metrics,
    SignedAssignmentCache signedAssignments,
    DeviceAssignments assignments,
    HealthReportWindows reportWindows,
    EnrollmentTokens enrollment,
    DeviceAdministration deviceAdministration,
    DeviceCertificates certificates,
    ILogger<DeviceServiceImpl> logger)
    : DeviceService.DeviceServiceBase
{
    public const int ProtocolVersion = 1;

    private static readonly ElementType[] SupportedTypes = Enum.GetValues<ElementType>().Where(t => t != ElementType.Unspecified).ToArray();

    public override Task<ServerInfo> GetServerInfo(GetServerInfoRequest request, ServerCallContext context)
    {
        var info = new ServerInfo
        {
            ServerVersion = typeof(DeviceServiceImpl).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            ProtocolVersion = ProtocolVersion,
        };
        info.SupportedElementTypes.AddRange(SupportedTypes);
        return Task.FromResult(info);
    }

    public override async Task<RegisterResponse> Register(RegisterRequest request, ServerCallContext context)
    {
        if (DeviceIdentityRules.InvalidId(request.DeviceId, options) is { } badId)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, badId + "."));
        }

        var attributes = request.Attributes.ToDictionary();
        if (DeviceIdentityRules.InvalidTagsAndAttributes(request.Tags, attributes, options) is { } badTags)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Device {request.DeviceId}: {badTags}."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var token = Auth.NewDeviceToken();
        var found = await fleet.FindAsync(request.DeviceId, context.CancellationToken).ConfigureAwait(false);
        if (found is { } existing && !DeviceAdministration.IsReset(existing.Record))
        {
            // An existing id changes hands only with proof of its current credential: that is a rotation. The old
            // credential keeps working until the new one is first used, so a lost answer does not lock the device out.
            if (!Auth.PresentsCredentialOf(context, existing))
            {
                throw Auth.HasBearer(context)
                    ? new RpcException(new Status(StatusCode.PermissionDenied, $"Device {request.DeviceId} is registered and the presented credential is not its own; nothing was changed."))
                    : new RpcException(new Status(StatusCode.AlreadyExists,
                        $"Device {request.DeviceId} is already registered; the enrollment token cannot re-register it. Present its current credential (authorization: Bearer <device token>) to rotate it, or have an operator remove the device."));
            }

            var rotated = existing.Record with
            {
                CertificateSha256 = await certificates.BindAsync(context, request.DeviceId, existing.Record.CertificateSha256, context.CancellationToken).ConfigureAwait(false),
                TokenHash = Auth.HashToken(token),
                PreviousTokenHash = Auth.HashToken(Bearer(context)),
                Attributes = attributes,
                Tags = [.. request.Tags],
                RuntimeVersion = request.RuntimeVersion,
                LastSeenUnixMs = Math.Max(existing.LastSeenUnixMs, now),
            };
            await fleet.RegisterAsync(rotated, context.CancellationToken).ConfigureAwait(false);
            ServerLog.DeviceCredentialRotated(logger, request.DeviceId);
            return new RegisterResponse { DeviceToken = token };
        }

        if (await deviceAdministration.IsPendingAsync(request.DeviceId, context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Device {request.DeviceId} has enrolled and is waiting for an admin to accept it; nothing was changed."));
        }

        // A new device, or one an admin reset: only an enrolment token (shared, or issued and still valid for this id) enrols it.
        await enrollment.UseAsync(request.EnrollmentToken, request.DeviceId, context.CancellationToken).ConfigureAwait(false);
        if (options.RequireDeviceApproval)
        {
            await deviceAdministration.QueueAsync(
                new PendingDeviceRecord(request.DeviceId, Auth.HashToken(token), attributes, [.. request.Tags], request.RuntimeVersion, now), context.CancellationToken).ConfigureAwait(false);
            return new RegisterResponse { DeviceToken = token };
        }

        var certificate = await certificates.BindAsync(context, request.DeviceId, string.Empty, context.CancellationToken).ConfigureAwait(false);
        var device = new DeviceRecord(request.DeviceId, Auth.HashToken(token), attributes, [.. request.Tags], request.RuntimeVersion, found?.Record.RegisteredUnixMs ?? now, now) { CertificateSha256 = certificate };
        // Enrolment only creates a new id or replaces the reset record it found: of two enrolments of one id at once
        // (at two replicas) exactly one wins, so the second cannot replace the first's credential.
        if (!await fleet.TryEnrolAsync(device, found?.Record, context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"Device {request.DeviceId} has just been registered by another enrolment; nothing was changed."));
        }

        ServerLog.DeviceRegistered(logger, request.DeviceId, request.RuntimeVersion);
        return new RegisterResponse { DeviceToken = token };
    }

    public override async Task<CheckInResponse> CheckIn(CheckInRequest request, ServerCallContext context)
    {
        using var span = ServerTracing.Start("edgedeploy.checkin");
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        span?.SetTag("edgedeploy.device.id", device.Record.DeviceId);
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        fleet.RecordCheckIn(device, nowMs, [.. request.Installed.Select(i => new InstalledVersion(i.Name, i.Version))]);
        metrics.CheckedIn();

        var rotated = await deviceAdministration.RotationAtCheckInAsync(device, context).ConfigureAwait(false);
        List<AssignedVersion> versions;
        long snapshotId;
        using (ServerTracing.Start("edgedeploy.plan"))
        {
            (versions, snapshotId) = await planner.AssignAsync(device.Record, context.CancellationToken).ConfigureAwait(false);
        }

        var cache = signedAssignments.ByDevice;
        if (cache.TryGetValue(device.Record.DeviceId, out var previous) && previous.SnapshotId == snapshotId && nowMs - previous.IssuedUnixMs < options.AssignmentReuse.TotalMilliseconds)
        {
            span?.SetTag("edgedeploy.assignment.reused", true);
            return WithRotation(previous.Response, rotated);
        }

        var assignment = new Assignment
        {
            DeviceId = device.Record.DeviceId,
            IssuedUnixMs = nowMs,
            ExpiresUnixMs = (now + options.AssignmentLifetime).ToUnixTimeMilliseconds(),
        };
        assignment.Versions.AddRange(versions);
        CheckInResponse response;
        using (ServerTracing.Start("edgedeploy.sign"))
        {
            response = signer.Sign(assignment);
        }

        metrics.Signed();
        cache[device.Record.DeviceId] = new SignedAssignment(snapshotId, nowMs, response)
        {
            Versions = versions,
            PreviousVersions = previous?.Versions ?? [],
        };
        return WithRotation(response, rotated);
    }

    /// <summary>The answer with a rotated credential added (a copy: cached answers are shared and never carry one).</summary>
    private static CheckInResponse WithRotation(CheckInResponse response, string? rotatedToken)
    {
        if (rotatedToken is null)
        {
            return response;
        }

        var copy = response.Clone();
        copy.RotatedDeviceToken = rotatedToken;
        return copy;
    }

    public override async Task Download(DownloadRequest request, IServerStreamWriter<DownloadChunk> responseStream, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        var entitled = await assignments.EntitledAsync(device, context.CancellationToken).ConfigureAwait(false);
        if (!entitled.Any(v => string.Equals(v.Sha256, request.Sha256, StringComparison.OrdinalIgnoreCase)))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"Device {device.Record.DeviceId} is not assigned a package with SHA-256 {DeviceText.Printable(request.Sha256)}; only assigned packages may be downloaded."));
        }

        if (await store.GetPackageBySha256Async(request.Sha256, context.CancellationToken).ConfigureAwait(false) is null
            || await blobs.GetSizeAsync(request.Sha256, context.CancellationToken).ConfigureAwait(false) is not { } size)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"No package with SHA-256 {request.Sha256}."));
        }

        if (request.Offset < 0 || request.Offset > size)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, $"Offset {request.Offset} is outside the {size}-byte package."));
        }

        var buffer = new byte[options.DownloadChunkBytes];
        int read;
        for (var offset = request.Offset; (read = await blobs.ReadAsync(request.Sha256, offset, buffer, context.CancellationToken).ConfigureAwait(false)) > 0; offset += read)
        {
            var chunk = new DownloadChunk { Offset = offset, Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read), TotalSize = size };
            await responseStream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
            metrics.Served(read);
        }
    }

    public override async Task<ReportAck> ReportInstall(InstallReport request, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        if (await store.GetRolloutAsync(request.RolloutId, context.CancellationToken).ConfigureAwait(false) is not { } rollout
            || rollout.Model != request.Model
            || (rollout.Version != request.Version && rollout.Arms.All(a => a.Version != request.Version) && rollout.BaselineVersion != request.Version))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Rollout '{DeviceText.Printable(request.RolloutId)}' does not deploy {DeviceText.Printable(request.Model)} {DeviceText.Printable(request.Version)}."));
        }

        var entitled = await assignments.EntitledAsync(device, context.CancellationToken).ConfigureAwait(false);
        if (!entitled.Any(v => v.RolloutId == request.RolloutId && v.Model == request.Model && v.Version == request.Version))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied,
                $"Device {device.Record.DeviceId} was not assigned {request.Model} {request.Version} by rollout {request.RolloutId}; only members report installs for a rollout."));
        }

        if (request.Reason.Length > 1024)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"An install report's reason may hold at most 1024 characters; this one has {request.Reason.Length}."));
        }

        var gateJson = InstallFigures.ToStored(request.Gate, device.Record.Attributes);
        await store.AddInstallReportAsync(
            new InstallReportRecord(device.Record.DeviceId, request.RolloutId, request.Model, request.Version, request.Success, request.Reason, time.GetUtcNow().ToUnixTimeMilliseconds(), gateJson),
            context.CancellationToken).ConfigureAwait(false);
        metrics.GateOutcome("device", request.Success);
        ServerLog.InstallReported(logger, device.Record.DeviceId, request.Model, request.Version, request.RolloutId, request.Success ? "installed" : "failed", DeviceText.Printable(request.Reason));
        return new ReportAck();
    }

    public override async Task<ReportAck> ReportHealth(HealthReport request, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        if (request.Versions.Count > options.MaxHealthVersionsPerReport)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"A health report may carry at most {options.MaxHealthVersionsPerReport} versions; this one has {request.Versions.Count}."));
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var maxCount = reportWindows.MaxCount(device, now);
        var entitled = await assignments.EntitledAsync(device, context.CancellationToken).ConfigureAwait(false);
        var records = new List<HealthRecord>(request.Versions.Count);
        var drift = new List<DriftRecord>();
        foreach (var v in request.Versions)
        {
            if (Invalid(v, maxCount, options.MaxHealthDriftFeatures) is { } problem)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Health for {DeviceText.Printable(v.Model)} {DeviceText.Printable(v.Version)}: {problem}; nothing from this report was stored."));
            }

            if (!DeviceAssignments.Gives(entitled, v.Model, v.Version))
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied,
                    $"Device {device.Record.DeviceId} is not assigned {DeviceText.Printable(v.Model)} {DeviceText.Printable(v.Version)}; health counts only for versions a device's assignment gives it, and nothing from this report was stored."));
            }

            var buckets = new long[LatencyHistogram.BucketCount];
            v.LatencyBuckets.CopyTo(buckets, 0);
            records.Add(new HealthRecord(device.Record.DeviceId, v.Model, v.Version, v.Shadow, now, v.Requests, v.Errors, buckets, v.GroundTruth, v.Correct, v.AbsErrorSum));
            drift.AddRange(v.Drift.Select(d => new DriftRecord(device.Record.DeviceId, v.Model, v.Version, now, d.Name, [.. d.Counts], d.Missing)));
        }

        await store.AddHealthAsync(records, context.CancellationToken).ConfigureAwait(false);
        if (drift.Count > 0)
        {
            await store.AddDriftAsync(drift, context.CancellationToken).ConfigureAwait(false);
        }

        reportWindows.Accepted(device, now);
        return new ReportAck();
    }

    /// <summary>Why a version's counts cannot be true, or null. Sums are checked: an overflow is a refusal, never a wrap.</summary>
    private static string? Invalid(VersionStats v, long maxCount, int maxDriftFeatures)
    {
        if (string.IsNullOrEmpty(v.Model) || string.IsNullOrEmpty(v.Version) || v.Model.Length > 256 || v.Version.Length > 256)
        {
            return "model and version are required (at most 256 characters each)";
        }

        if (v.LatencyBuckets.Count > LatencyHistogram.BucketCount)
        {
            return $"{v.LatencyBuckets.Count} latency buckets, more than the {LatencyHistogram.BucketCount} defined";
        }

        if (v.Requests < 0 || v.Errors < 0 || v.GroundTruth < 0 || v.Correct < 0 || v.LatencyBuckets.Any(b => b < 0))
        {
            return "counts must not be negative";
        }

        if (v.Requests > maxCount || v.GroundTruth > maxCount)
        {
            return $"{Math.Max(v.Requests, v.GroundTruth)} requests or labels is more than one device can serve since its last report (at most {maxCount})";
        }

        if (v.Errors > v.Requests)
        {
            return "more errors than requests";
        }

        if (v.Correct > v.GroundTruth)
        {
            return "more correct predictions than labelled ones";
        }

        if (!double.IsFinite(v.AbsErrorSum) || v.AbsErrorSum < 0)
        {
            return "abs_error_sum must be a finite, non-negative number";
        }

        if (CheckedSum(v.LatencyBuckets) is not { } latencyCount || latencyCount > v.Requests)
        {
            return "latency bucket counts add up to more than the requests";
        }

        if (v.Drift.Count > maxDriftFeatures || v.Drift.Any(d => string.IsNullOrEmpty(d.Name) || d.Name.Length > 256 || d.Counts.Count > 1024))
        {
            return $"drift needs named entries of at most 1,024 bins ({maxDriftFeatures} entries)";
        }

        if (v.Drift.Any(d => d.Missing < 0 || d.Counts.Any(c => c < 0)))
        {
            return "drift counts must not be negative";
        }

        if (v.Drift.Any(d => CheckedSum(d.Counts.Append(d.Missing)) is not { } n || n > maxCount))
        {
            return $"a drift entry counts more observations than one device can serve since its last report (at most {maxCount})";
        }

        return null;
    }

    private static long? CheckedSum(IEnumerable<long> counts)
    {
        long sum = 0;
        foreach (var c in counts)
        {
            if (c > long.MaxValue - sum)
            {
                return null;
            }

            sum += c;
        }

        return sum;
    }


    private static string Bearer(ServerCallContext context) => context.RequestHeaders.GetValue("authorization")![7..];
}
