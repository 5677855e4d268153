using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using EdgeDeploy.Protos.V1;

namespace EdgeDeploy.UpdateServer.Rollouts;

/// <summary>
/// Decides which versions each device runs. Per model, rollouts are tried newest first: the first that reaches the
/// device decides, and what an older rollout would give the device is its baseline (kept serving beside a shadow,
/// kept on standby beside a blue/green switch, returned to on rollback). A stage of P percent reaches exactly
/// ceil(P × targeted devices) of them, those with the lowest hash of (rollout id, device id), so membership is
/// deterministic and only grows as stages advance.
/// <para>
/// Everything a check-in needs is an immutable in-memory snapshot, rebuilt only when rollouts or the fleet change,
/// so a check-in costs no SQL. Another server instance's changes (PostgreSQL deployments) are picked up by
/// <see cref="Invalidate"/> on the controller's evaluation tick.
/// </para>
/// </summary>
internal sealed class RolloutPlanner(IUpdateStore store, FleetDirectory fleet, RolloutStrategies strategies)
{
    private readonly SemaphoreSlim _rebuild = new(1, 1);
    private long _rolloutGeneration;
    private volatile Snapshot? _snapshot;

    /// <summary>Marks the rollout set as changed; the next check-in rebuilds the snapshot.</summary>
    public void Invalidate() => Interlocked.Increment(ref _rolloutGeneration);

    /// <summary>The versions for <paramref name="device"/> and the snapshot id they came from (equal ids, equal answers).</summary>
    public async Task<(List<AssignedVersion> Versions, long SnapshotId)> AssignAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<AssignedVersion>();
        foreach (var rollouts in snapshot.ByModel.Values)
        {
            result.AddRange(Resolve(snapshot, device, rollouts, 0));
        }

        return (result, snapshot.Id);
    }

    /// <summary>
    /// What the device would be given without the rollouts that now decide for it: the versions it keeps serving while a
    /// new one is downloading or fails its gate on the device (its health for them still counts).
    /// </summary>
    public async Task<List<AssignedVersion>> FallbackAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<AssignedVersion>();
        foreach (var rollouts in snapshot.ByModel.Values)
        {
            var first = rollouts.FindIndex(r => r.Members.Contains(device.DeviceId));
            if (first >= 0)
            {
                result.AddRange(Resolve(snapshot, device, rollouts, first + 1));
            }
        }

        return result;
    }

    /// <summary>The devices a rollout reaches at its current stage.</summary>
    public async Task<IReadOnlyList<DeviceEntry>> MembersAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        var devices = await fleet.AllAsync(cancellationToken).ConfigureAwait(false);
        var ids = Members(rollout, [.. devices.Select(d => d.Record)]);
        return [.. devices.Where(d => ids.Contains(d.Record.DeviceId))];
    }

    /// <summary>The version a device targeted by <paramref name="rollout"/> would run without it (serving, not shadow).</summary>
    public async Task<string> BaselineForAsync(RolloutRecord rollout, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken).ConfigureAwait(false);
        var older = snapshot.Rollouts.Where(r => r.Record.Model == rollout.Model && r.Record.Id != rollout.Id && r.Record.State == RolloutState.Completed
            && strategies.Of(r.Record).Serves && r.Record.TargetTags.All(rollout.TargetTags.Contains)
            && r.Record.TargetAttributes.All(kv => rollout.TargetAttributes.TryGetValue(kv.Key, out var v) && v == kv.Value));
        return older.Select(r => strategies.Of(r.Record).PrimaryVersion(r.Record)).FirstOrDefault() ?? string.Empty;
    }

    /// <summary>The ids of the devices <paramref name="rollout"/> reaches at its current stage.</summary>
    public HashSet<string> Members(RolloutRecord rollout, IReadOnlyList<DeviceRecord> devices)
    {
        var targeted = devices.Where(d => Matches(rollout, d)).ToList();
        var percent = strategies.Of(rollout).MemberPercent(rollout);
        var count = (int)Math.Ceiling(percent / 100.0 * targeted.Count - 1e-9);
        return [.. targeted.OrderBy(d => Bucket(rollout.Id, d.DeviceId)).ThenBy(d => d.DeviceId, StringComparer.Ordinal).Take(count).Select(d => d.DeviceId)];
    }

    /// <summary>The first of the model's rollouts (newest first, from <paramref name="from"/>) that decides for the device.</summary>
    private List<AssignedVersion> Resolve(Snapshot snapshot, DeviceRecord device, List<PlannedRollout> rollouts, int from)
    {
        for (var i = from; i < rollouts.Count; i++)
        {
            var planned = rollouts[i];
            if (!planned.Members.Contains(device.DeviceId))
            {
                continue;
            }

            var next = i + 1;
            var context = new AssignmentContext(snapshot, planned.Record, () => Resolve(snapshot, device, rollouts, next));
            if (strategies.Of(planned.Record).Assign(planned.Record, context) is { } assigned)
            {
                return [.. assigned.OfType<AssignedVersion>()];
            }
        }

        return [];
    }

    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        var rolloutGeneration = Interlocked.Read(ref _rolloutGeneration);
        var fleetGeneration = fleet.Generation;
        if (_snapshot is { } current && current.RolloutGeneration == rolloutGeneration && current.FleetGeneration == fleetGeneration)
        {
            return current;
        }

        await _rebuild.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            rolloutGeneration = Interlocked.Read(ref _rolloutGeneration);
            fleetGeneration = fleet.Generation;
            if (_snapshot is { } fresh && fresh.RolloutGeneration == rolloutGeneration && fresh.FleetGeneration == fleetGeneration)
            {
                return fresh;
            }

            using var span = ServerTracing.Start("edgedeploy.store.snapshot"); // the planner reads storage only when rollouts or the fleet changed
            var devices = (await fleet.AllAsync(cancellationToken).ConfigureAwait(false)).Select(d => d.Record).ToList();
            var rollouts = await store.ListLiveRolloutsAsync(cancellationToken).ConfigureAwait(false);
            var packages = new Dictionary<(string, string), PackageRecord>();
            foreach (var r in rollouts)
            {
                foreach (var version in r.Arms.Select(a => a.Version).Append(r.Version))
                {
                    if (!packages.ContainsKey((r.Model, version)) && await store.GetPackageAsync(r.Model, version, cancellationToken).ConfigureAwait(false) is { } p)
                    {
                        packages[(r.Model, version)] = p;
                    }
                }
            }

            // Same rollouts and fleet as before (the controller invalidates on every tick): keep the id, so devices keep
            // getting their already-signed assignments within the reuse window.
            var fingerprint = string.Join(";", rollouts.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"{r.Id}:{r.State}:{r.CurrentStage}:{string.Join(",", r.Arms.Select(a => $"{a.Version}={a.Weight}"))}"))) + "|" + fleetGeneration;
            var id = _snapshot is { } previous && previous.Fingerprint == fingerprint ? previous.Id : (_snapshot?.Id ?? 0) + 1;
            var snapshot = new Snapshot(
                id,
                rolloutGeneration,
                fleetGeneration,
                [.. rollouts.Select(r => new PlannedRollout(r, Members(r, devices)))],
                packages,
                fingerprint);
            _snapshot = snapshot;
            return snapshot;
        }
        finally
        {
            _rebuild.Release();
        }
    }

    private static bool Matches(RolloutRecord rollout, DeviceRecord device) =>
        rollout.TargetAttributes.All(kv => device.Attributes.TryGetValue(kv.Key, out var v) && v == kv.Value)
        && rollout.TargetTags.All(t => device.Tags.Contains(t));

    private static ulong Bucket(string rolloutId, string deviceId) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(rolloutId + ":" + deviceId)));

    private sealed record PlannedRollout(RolloutRecord Record, HashSet<string> Members);

    private sealed class AssignmentContext(Snapshot snapshot, RolloutRecord rollout, Func<List<AssignedVersion>> baseline) : IAssignmentContext
    {
        public IReadOnlyList<AssignedVersion> Baseline() => baseline();

        public AssignedVersion? Hold(string version, VersionRole role, double weight = 1) => role switch
        {
            VersionRole.Shadow => snapshot.Version(rollout.Model, version, 0, rollout.Id, shadow: true, standby: false),
            VersionRole.Standby => snapshot.Version(rollout.Model, version, 0, rollout.Id, shadow: false, standby: true),
            _ => snapshot.Version(rollout.Model, version, weight, rollout.Id, shadow: false, standby: false),
        };
    }

    private sealed class Snapshot(long id, long rolloutGeneration, long fleetGeneration, List<PlannedRollout> rollouts, Dictionary<(string, string), PackageRecord> packages, string fingerprint)
    {
        public long Id { get; } = id;

        public string Fingerprint { get; } = fingerprint;

        public long RolloutGeneration { get; } = rolloutGeneration;

        public long FleetGeneration { get; } = fleetGeneration;

        public List<PlannedRollout> Rollouts { get; } = rollouts;

        /// <summary>Each model's rollouts, newest first.</summary>
        public Dictionary<string, List<PlannedRollout>> ByModel { get; } = rollouts.GroupBy(r => r.Record.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        public AssignedVersion? Version(string model, string version, double weight, string rolloutId, bool shadow, bool standby) =>
            packages.TryGetValue((model, version), out var p)
                ? new AssignedVersion { Model = p.Name, Version = p.Version, Sha256 = p.Sha256, Size = p.Size, Weight = weight, RolloutId = rolloutId, Shadow = shadow, Standby = standby }
                : null;
    }
}
