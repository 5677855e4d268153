using System.Security.Cryptography;
using EdgeDeploy.UpdateServer.Api;
using EdgeDeploy.UpdateServer.Operators;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// What an admin does to one device's credential: remove the device, reset its credential (it must enrol again with an
/// enrolment token) or rotate it (a new credential handed out at the next check-in, the old one working until the new
/// one is first used); and, when the server requires approval, accept or reject devices waiting after enrolment.
/// </summary>
internal sealed class DeviceAdministration(
    IUpdateStore store,
    FleetDirectory fleet,
    DeviceRotations rotations,
    SignedAssignmentCache signedAssignments,
    TimeProvider time,
    ILogger<DeviceAdministration> logger)
{
    /// <summary>The token-hash prefix of a reset device: no bearer token hashes to it, so no credential finds the device.</summary>
    public const string ResetMarker = "reset:";

    public static bool IsReset(DeviceRecord device) => device.TokenHash.StartsWith(ResetMarker, StringComparison.Ordinal);

    /// <exception cref="RejectedException">No such device.</exception>
    public async Task RemoveAsync(string deviceId, OperatorIdentity by, CancellationToken cancellationToken)
    {
        if (!await fleet.RemoveAsync(deviceId, cancellationToken).ConfigureAwait(false))
        {
            throw RejectedException.NotFound($"No device '{deviceId}'.");
        }

        signedAssignments.ByDevice.TryRemove(deviceId, out _);
        rotations.Forget(deviceId);
        ServerLog.DeviceAdministered(logger, deviceId, "removed", by.Name);
    }

    /// <exception cref="RejectedException">No such device.</exception>
    public async Task ResetAsync(string deviceId, OperatorIdentity by, CancellationToken cancellationToken)
    {
        var device = await RequireAsync(deviceId, cancellationToken).ConfigureAwait(false);
        var reset = device.Record with
        {
            TokenHash = ResetMarker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            PreviousTokenHash = string.Empty,
            CertificateSha256 = string.Empty, // under mutual TLS the device re-enrols with the certificate it then presents
            LastSeenUnixMs = Math.Max(device.Record.LastSeenUnixMs, device.LastSeenUnixMs),
        };
        await fleet.RegisterAsync(reset, cancellationToken).ConfigureAwait(false);
        signedAssignments.ByDevice.TryRemove(deviceId, out _);
        await rotations.CompleteAsync(deviceId, cancellationToken).ConfigureAwait(false);
        ServerLog.DeviceAdministered(logger, deviceId, "reset", by.Name);
    }

    /// <exception cref="RejectedException">No such device, or it is reset (it has no credential to rotate).</exception>
    public async Task RotateAsync(string deviceId, OperatorIdentity by, CancellationToken cancellationToken)
    {
        var device = await RequireAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (IsReset(device.Record))
        {
            throw new RejectedException(Rejection.FailedPrecondition, $"Device {deviceId} is reset: it has no credential to rotate until it enrols again.");
        }

        await rotations.RequestAsync(deviceId, time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        ServerLog.DeviceAdministered(logger, deviceId, "set to rotate its credential at the next check-in", by.Name);
    }

    /// <summary>
    /// At a check-in of <paramref name="device"/>: the new credential to hand out when a rotation is pending, or null
    /// (at once, without allocating, when none is). The credential the call presented stays valid until the new one is
    /// first used; an answer lost on the way is made up for at the next check-in with the old credential (a fresh one
    /// is issued).
    /// </summary>
    public ValueTask<string?> RotationAtCheckInAsync(DeviceEntry device, Grpc.Core.ServerCallContext context) =>
        rotations.NoneFor(device.Record.DeviceId) ? ValueTask.FromResult<string?>(null) : new(RotateAtCheckInAsync(device, Auth.PresentedHash(context)!, context.CancellationToken));

    private async Task<string?> RotateAtCheckInAsync(DeviceEntry device, string presentedHash, CancellationToken cancellationToken)
    {
        if (await rotations.PendingAsync(device.Record.DeviceId, cancellationToken).ConfigureAwait(false) is not { } handedOut)
        {
            return null;
        }

        if (handedOut && presentedHash == device.Record.TokenHash)
        {
            await rotations.CompleteAsync(device.Record.DeviceId, cancellationToken).ConfigureAwait(false); // the new one is in use
            return null;
        }

        var token = Auth.NewDeviceToken();
        await fleet.RegisterAsync(
            device.Record with
            {
                TokenHash = Auth.HashToken(token),
                PreviousTokenHash = presentedHash,
                LastSeenUnixMs = Math.Max(device.Record.LastSeenUnixMs, device.LastSeenUnixMs),
            },
            cancellationToken).ConfigureAwait(false);
        rotations.HandedOut(device.Record.DeviceId);
        ServerLog.DeviceCredentialDelivered(logger, device.Record.DeviceId);
        return token;
    }

    /// <summary>Whether <paramref name="deviceId"/> enrolled and waits for approval.</summary>
    public async Task<bool> IsPendingAsync(string deviceId, CancellationToken cancellationToken) =>
        (await store.ListPendingDevicesAsync(cancellationToken).ConfigureAwait(false)).Any(p => p.DeviceId == deviceId);

    /// <exception cref="Grpc.Core.RpcException">AlreadyExists when the id is queued already.</exception>
    public async Task QueueAsync(PendingDeviceRecord device, CancellationToken cancellationToken)
    {
        if (!await store.TryAddPendingDeviceAsync(device, cancellationToken).ConfigureAwait(false))
        {
            throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.AlreadyExists, $"Device {device.DeviceId} has enrolled and is waiting for an admin to accept it; nothing was changed."));
        }

        ServerLog.DeviceAdministered(logger, device.DeviceId, "enrolled and waits for approval", "enrolment");
    }

    public Task<IReadOnlyList<PendingDeviceRecord>> PendingAsync(CancellationToken cancellationToken) => store.ListPendingDevicesAsync(cancellationToken);

    /// <summary>Admits a waiting device: its credential works from now on and it joins rollouts that target it.</summary>
    /// <exception cref="RejectedException">No such waiting device.</exception>
    public async Task AcceptAsync(string deviceId, OperatorIdentity by, CancellationToken cancellationToken)
    {
        var pending = await store.TakePendingDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"No device '{deviceId}' is waiting for approval.");
        var registeredMs = (await fleet.FindAsync(deviceId, cancellationToken).ConfigureAwait(false))?.Record.RegisteredUnixMs ?? pending.RequestedUnixMs; // a reset device keeps its history
        await fleet.RegisterAsync(
            new DeviceRecord(pending.DeviceId, pending.TokenHash, pending.Attributes, pending.Tags, pending.RuntimeVersion, registeredMs, time.GetUtcNow().ToUnixTimeMilliseconds()),
            cancellationToken).ConfigureAwait(false);
        ServerLog.DeviceAdministered(logger, deviceId, "accepted", by.Name);
    }

    /// <summary>Drops a waiting device: its credential never works; it may enrol again only with an enrolment token.</summary>
    /// <exception cref="RejectedException">No such waiting device.</exception>
    public async Task RejectAsync(string deviceId, OperatorIdentity by, CancellationToken cancellationToken)
    {
        _ = await store.TakePendingDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false)
            ?? throw RejectedException.NotFound($"No device '{deviceId}' is waiting for approval.");
        ServerLog.DeviceAdministered(logger, deviceId, "rejected", by.Name);
    }

    private async Task<DeviceEntry> RequireAsync(string deviceId, CancellationToken cancellationToken) =>
        await fleet.FindAsync(deviceId, cancellationToken).ConfigureAwait(false) ?? throw RejectedException.NotFound($"No device '{deviceId}'.");
}
