using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// The answer last signed for a device, with the versions it names and those of the answer before it (what the device
/// may still have been serving until this check-in), so reports and downloads can be bound to what it was given.
/// </summary>
internal sealed record SignedAssignment(long SnapshotId, long IssuedUnixMs, CheckInResponse Response)
{
    public IReadOnlyList<AssignedVersion> Versions { get; init; } = [];

    public IReadOnlyList<AssignedVersion> PreviousVersions { get; init; } = [];
}
