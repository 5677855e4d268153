using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// What a device is entitled to report on and download: the versions its current assignment gives it (from the
/// planner's in-memory snapshot, so any server instance sharing the store agrees), plus those of the last two answers
/// this instance signed for it (a version just rolled back away from the device may still be in its unsent health), plus
/// the planner's fallback for it (what it keeps serving while a new version fails its gate on the device).
/// No store reads unless the planner's snapshot must be rebuilt.
/// </summary>
internal sealed class DeviceAssignments(RolloutPlanner planner, SignedAssignmentCache signed)
{
    public async Task<IReadOnlyList<AssignedVersion>> EntitledAsync(DeviceEntry device, CancellationToken cancellationToken)
    {
        var (current, _) = await planner.AssignAsync(device.Record, cancellationToken).ConfigureAwait(false);
        // A device whose gate refuses a new version keeps serving what it had: the server's own fallback for it.
        var fallback = await planner.FallbackAsync(device.Record, cancellationToken).ConfigureAwait(false);
        if (!signed.ByDevice.TryGetValue(device.Record.DeviceId, out var last))
        {
            return [.. current, .. fallback];
        }

        return [.. current, .. fallback, .. last.Versions, .. last.PreviousVersions];
    }

    /// <summary>Whether the device was given <paramref name="model"/> <paramref name="version"/> (any role: serving, shadow, standby).</summary>
    public static bool Gives(IReadOnlyList<AssignedVersion> entitled, string model, string version) =>
        entitled.Any(v => v.Model == model && v.Version == version);
}
