namespace EdgeDeploy.UpdateServer.Storage;

/// <summary>
/// Change counters of the shared store, each bumped in the same transaction as the change it counts (database triggers),
/// so a replica that reads a new value will also read the change. Replicas poll them to know when their in-memory caches
/// are stale; only equality and growth matter, never the values themselves.
/// </summary>
/// <param name="Rollouts">Bumped by every write to rollouts (created, paused, resumed, promoted, rolled back, advanced) and packages.</param>
/// <param name="Devices">Bumped when a device registers or its credential, attributes, tags or runtime version change (not by check-ins).</param>
public sealed record StoreChangeVersions(long Rollouts, long Devices);
