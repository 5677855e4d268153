using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Fleet;

internal sealed record SignedAssignment(long SnapshotId, long IssuedUnixMs, CheckInResponse Response);
