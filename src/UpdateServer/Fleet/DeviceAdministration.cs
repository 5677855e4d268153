using System.Security.Cryptography;
using EdgeDeploy.UpdateServer.Api;
using EdgeDeploy.UpdateServer.Operators;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// What an admin does to one device's credential: remove the device, reset its credential (it must enrol again with an
/// enrolment token) or rotate it (a new credential handed out at the next check-in, the old one working until the new
/// one is first used).
/// </summary>
internal sealed class DeviceAdministration(
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
    /// At a check-in of <paramref name="device"/> presenting <paramref name="presentedHash"/>: the new credential to hand
    /// out when a rotation is pending, or null. The presented credential stays valid until the new one is first used;
    /// an answer lost on the way is made up for at the next check-in with the old credential (a fresh one is issued).
    /// </summary>
    public async Task<string?> RotationAtCheckInAsync(DeviceEntry device, string presentedHash, CancellationToken cancellationToken)
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

    private async Task<DeviceEntry> RequireAsync(string deviceId, CancellationToken cancellationToken) =>
        await fleet.FindAsync(deviceId, cancellationToken).ConfigureAwait(false) ?? throw RejectedException.NotFound($"No device '{deviceId}'.");
}
