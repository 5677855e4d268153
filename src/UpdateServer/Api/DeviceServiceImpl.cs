using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime.Telemetry;
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
        if (!auth.IsEnrollmentToken(request.EnrollmentToken))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "Invalid enrollment token."));
        }

        if (string.IsNullOrWhiteSpace(request.DeviceId) || request.DeviceId.Length > 128)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "device_id must be 1-128 characters."));
        }

        var token = Auth.NewDeviceToken();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await fleet.RegisterAsync(
            new DeviceRecord(request.DeviceId, Auth.HashToken(token), request.Attributes.ToDictionary(), [.. request.Tags], request.RuntimeVersion, now, now),
            context.CancellationToken).ConfigureAwait(false);
        ServerLog.DeviceRegistered(logger, request.DeviceId, request.RuntimeVersion);
        return new RegisterResponse { DeviceToken = token };
    }

    public override async Task<CheckInResponse> CheckIn(CheckInRequest request, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        fleet.RecordCheckIn(device, nowMs, [.. request.Installed.Select(i => new InstalledVersion(i.Name, i.Version))]);
        metrics.CheckedIn();

        var (versions, snapshotId) = await planner.AssignAsync(device.Record, context.CancellationToken).ConfigureAwait(false);
        var cache = signedAssignments.ByDevice;
        if (cache.TryGetValue(device.Record.DeviceId, out var previous) && previous.SnapshotId == snapshotId && nowMs - previous.IssuedUnixMs < options.AssignmentReuse.TotalMilliseconds)
        {
            return previous.Response;
        }

        var assignment = new Assignment
        {
            DeviceId = device.Record.DeviceId,
            IssuedUnixMs = nowMs,
            ExpiresUnixMs = (now + options.AssignmentLifetime).ToUnixTimeMilliseconds(),
        };
        assignment.Versions.AddRange(versions);
        var response = signer.Sign(assignment);
        cache[device.Record.DeviceId] = new SignedAssignment(snapshotId, nowMs, response);
        return response;
    }

    public override async Task Download(DownloadRequest request, IServerStreamWriter<DownloadChunk> responseStream, ServerCallContext context)
    {
        await auth.RequireDeviceAsync(context).ConfigureAwait(false);
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
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"Rollout '{request.RolloutId}' does not deploy {request.Model} {request.Version}."));
        }

        await store.AddInstallReportAsync(
            new InstallReportRecord(device.Record.DeviceId, request.RolloutId, request.Model, request.Version, request.Success, request.Reason, time.GetUtcNow().ToUnixTimeMilliseconds()),
            context.CancellationToken).ConfigureAwait(false);
        ServerLog.InstallReported(logger, device.Record.DeviceId, request.Model, request.Version, request.RolloutId, request.Success ? "installed" : "failed", request.Reason);
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
        var records = new List<HealthRecord>(request.Versions.Count);
        var drift = new List<DriftRecord>();
        foreach (var v in request.Versions)
        {
            if (Invalid(v) is { } problem)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Health for {v.Model} {v.Version}: {problem}; nothing from this report was stored."));
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
        return new ReportAck();
    }

    private static string? Invalid(VersionStats v) =>
        string.IsNullOrEmpty(v.Model) || string.IsNullOrEmpty(v.Version) ? "model and version are required"
        : v.LatencyBuckets.Count > LatencyHistogram.BucketCount ? $"{v.LatencyBuckets.Count} latency buckets, more than the {LatencyHistogram.BucketCount} defined"
        : v.Requests < 0 || v.Errors < 0 || v.GroundTruth < 0 || v.Correct < 0 || v.LatencyBuckets.Any(b => b < 0) ? "counts must not be negative"
        : v.Errors > v.Requests ? "more errors than requests"
        : v.Correct > v.GroundTruth ? "more correct predictions than labelled ones"
        : !double.IsFinite(v.AbsErrorSum) || v.AbsErrorSum < 0 ? "abs_error_sum must be a finite, non-negative number"
        : v.Drift.Count > 256 || v.Drift.Any(d => string.IsNullOrEmpty(d.Name) || d.Counts.Count > 1024) ? "drift needs named entries of at most 1,024 bins (256 entries)"
        : v.Drift.Any(d => d.Missing < 0 || d.Counts.Any(c => c < 0)) ? "drift counts must not be negative"
        : null;
}
