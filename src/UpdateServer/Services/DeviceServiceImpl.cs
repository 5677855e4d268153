using EdgeDeploy.Protos.V1;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Services;

internal sealed class DeviceServiceImpl(Auth auth, IUpdateStore store, BlobStore blobs, RolloutPlanner planner, AssignmentSigner signer, UpdateServerOptions options, TimeProvider time, ServerMetrics metrics)
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
        await store.UpsertDeviceAsync(
            new DeviceRecord(request.DeviceId, Auth.HashToken(token), request.Attributes.ToDictionary(), [.. request.Tags], request.RuntimeVersion, now, now),
            context.CancellationToken).ConfigureAwait(false);
        return new RegisterResponse { DeviceToken = token };
    }

    public override async Task<CheckInResponse> CheckIn(CheckInRequest request, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        var now = time.GetUtcNow();
        await store.RecordCheckInAsync(device.DeviceId, now.ToUnixTimeMilliseconds(), [.. request.Installed.Select(i => new InstalledVersion(i.Name, i.Version))], context.CancellationToken).ConfigureAwait(false);
        var assignment = new Assignment
        {
            DeviceId = device.DeviceId,
            IssuedUnixMs = now.ToUnixTimeMilliseconds(),
            ExpiresUnixMs = (now + options.AssignmentLifetime).ToUnixTimeMilliseconds(),
        };
        assignment.Versions.AddRange(await planner.AssignAsync(device, context.CancellationToken).ConfigureAwait(false));
        metrics.CheckedIn();
        return signer.Sign(assignment);
    }

    public override async Task Download(DownloadRequest request, IServerStreamWriter<DownloadChunk> responseStream, ServerCallContext context)
    {
        await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        if (await store.GetPackageBySha256Async(request.Sha256, context.CancellationToken).ConfigureAwait(false) is null || !blobs.Exists(request.Sha256))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"No package with SHA-256 {request.Sha256}."));
        }

        await using var file = new FileStream(blobs.PathOf(request.Sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        if (request.Offset < 0 || request.Offset > file.Length)
        {
            throw new RpcException(new Status(StatusCode.OutOfRange, $"Offset {request.Offset} is outside the {file.Length}-byte package."));
        }

        file.Position = request.Offset;
        var buffer = new byte[options.DownloadChunkBytes];
        int read;
        while ((read = await file.ReadAsync(buffer, context.CancellationToken).ConfigureAwait(false)) > 0)
        {
            var chunk = new DownloadChunk { Offset = file.Position - read, Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read), TotalSize = file.Length };
            await responseStream.WriteAsync(chunk, context.CancellationToken).ConfigureAwait(false);
            metrics.Served(read);
        }
    }

    public override async Task<ReportAck> ReportInstall(InstallReport request, ServerCallContext context)
    {
        var device = await auth.RequireDeviceAsync(context).ConfigureAwait(false);
        await store.AddInstallReportAsync(
            new InstallReportRecord(device.DeviceId, request.RolloutId, request.Model, request.Version, request.Success, request.Reason, time.GetUtcNow().ToUnixTimeMilliseconds()),
            context.CancellationToken).ConfigureAwait(false);
        return new ReportAck();
    }
}
