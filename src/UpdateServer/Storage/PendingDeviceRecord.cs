namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// A device that enrolled while the server requires approval: it holds a credential (stored only as its SHA-256) that
/// works once an admin accepts it; until then it is no member of the fleet.
/// </summary>
public sealed record PendingDeviceRecord(string DeviceId, string TokenHash, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<string> Tags, string RuntimeVersion, long RequestedUnixMs);
