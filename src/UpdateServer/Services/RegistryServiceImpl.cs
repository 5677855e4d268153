using System.Security.Cryptography;
using EdgeDeploy.Protos.V1;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.UpdateServer.Storage;
using Grpc.Core;

namespace EdgeDeploy.UpdateServer.Services;

internal sealed class RegistryServiceImpl(Auth auth, IUpdateStore store, BlobStore blobs, UpdateServerOptions options, TimeProvider time) : RegistryService.RegistryServiceBase
{
    public override async Task<PublishResponse> PublishPackage(IAsyncStreamReader<PublishChunk> requestStream, ServerCallContext context)
    {
        auth.RequireOperator(context);
        using var buffer = new MemoryStream();
        await foreach (var chunk in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            if (buffer.Length + chunk.Data.Length > options.MaxPackageBytes)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"The package exceeds the {options.MaxPackageBytes}-byte upload limit."));
            }

            chunk.Data.WriteTo(buffer);
        }

        var bytes = buffer.ToArray();
        VerifiedPackage verified;
        try
        {
            // The server checks what devices will check (clock aside: a publish is not an install, so no rollback state).
            verified = new PackageVerifier(TrustStore.Open(options.TrustDirectory), new PackageVerifierOptions { TimeProvider = time, MaxPackageBytes = options.MaxPackageBytes, AvailableProviders = ["CPUExecutionProvider", "CUDAExecutionProvider"] })
                .Verify(bytes);
        }
        catch (EdgeException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{ex.Code}: {ex.Message}"));
        }

        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var m = verified.Manifest;
        blobs.Put(sha, bytes);
        var record = new PackageRecord(m.Name, m.Version, sha, bytes.Length, time.GetUtcNow().ToUnixTimeMilliseconds(), verified.ManifestJson);
        if (!await store.TryAddPackageAsync(record, context.CancellationToken).ConfigureAwait(false))
        {
            var existing = await store.GetPackageAsync(m.Name, m.Version, context.CancellationToken).ConfigureAwait(false);
            if (existing!.Sha256 != sha)
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"{m.Name} {m.Version} is already published with different content; versions are immutable."));
            }

            return Response(existing, alreadyPresent: true);
        }

        return Response(record, alreadyPresent: false);
    }

    public override async Task<ListVersionsResponse> ListVersions(ListVersionsRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListVersionsResponse();
        foreach (var p in await store.ListPackagesAsync(request.Model, context.CancellationToken).ConfigureAwait(false))
        {
            response.Versions.Add(new ModelVersionInfo { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, PublishedUnixMs = p.PublishedUnixMs, ManifestJson = p.ManifestJson });
        }

        return response;
    }

    public override async Task<Rollout> CreateRollout(CreateRolloutRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        if (request.Strategy is not (RolloutStrategy.AllAtOnce or RolloutStrategy.Canary))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "strategy must be ALL_AT_ONCE or CANARY."));
        }

        if (request.Strategy == RolloutStrategy.Canary && !(request.CanaryPercent is > 0 and <= 100))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "canary_percent must be in (0, 100]."));
        }

        if (await store.GetPackageAsync(request.Model, request.Version, context.CancellationToken).ConfigureAwait(false) is null)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"{request.Model} {request.Version} is not published."));
        }

        var record = new RolloutRecord(
            "ro-" + Guid.CreateVersion7().ToString("N"),
            request.Model,
            request.Version,
            (int)request.Strategy,
            request.CanaryPercent,
            request.TargetAttributes.ToDictionary(),
            [.. request.TargetTags],
            "active",
            time.GetUtcNow().ToUnixTimeMilliseconds());
        await store.AddRolloutAsync(record, context.CancellationToken).ConfigureAwait(false);
        return await Describe(record, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<Rollout> GetRollout(GetRolloutRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var record = await store.GetRolloutAsync(request.Id, context.CancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"No rollout '{request.Id}'."));
        return await Describe(record, context.CancellationToken).ConfigureAwait(false);
    }

    public override async Task<ListDevicesResponse> ListDevices(ListDevicesRequest request, ServerCallContext context)
    {
        auth.RequireOperator(context);
        var response = new ListDevicesResponse();
        foreach (var d in await store.ListDevicesAsync(context.CancellationToken).ConfigureAwait(false))
        {
            var info = new DeviceInfo { DeviceId = d.DeviceId, RuntimeVersion = d.RuntimeVersion, LastSeenUnixMs = d.LastSeenUnixMs };
            info.Attributes.Add(d.Attributes.ToDictionary());
            info.Tags.AddRange(d.Tags);
            foreach (var i in await store.GetInstalledAsync(d.DeviceId, context.CancellationToken).ConfigureAwait(false))
            {
                info.Installed.Add(new InstalledModel { Name = i.Model, Version = i.Version });
            }

            response.Devices.Add(info);
        }

        return response;
    }

    private async Task<Rollout> Describe(RolloutRecord r, CancellationToken cancellationToken)
    {
        var devices = await store.ListDevicesAsync(cancellationToken).ConfigureAwait(false);
        var (installed, failed) = await store.CountInstallReportsAsync(r.Id, cancellationToken).ConfigureAwait(false);
        var rollout = new Rollout
        {
            Id = r.Id,
            Model = r.Model,
            Version = r.Version,
            Strategy = (RolloutStrategy)r.Strategy,
            CanaryPercent = r.CanaryPercent,
            State = r.State,
            CreatedUnixMs = r.CreatedUnixMs,
            TargetedDevices = RolloutPlanner.Members(r, devices).Count,
            InstalledDevices = installed,
            FailedDevices = failed,
        };
        rollout.TargetAttributes.Add(r.TargetAttributes.ToDictionary());
        rollout.TargetTags.AddRange(r.TargetTags);
        return rollout;
    }

    private static PublishResponse Response(PackageRecord p, bool alreadyPresent) =>
        new() { Name = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, AlreadyPresent = alreadyPresent };
}
