using System.Collections.Concurrent;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// The fleet in memory: devices by id and by credential hash, with last-seen times and installed versions. Check-ins
/// update it at memory speed and are written to the store in batches (<see cref="FlushAsync"/>, about once a second),
/// so the hot path does no SQL; a crash loses at most the last unflushed second of last-seen times, which the next
/// check-in restores. Registrations are written through at once.
/// </summary>
internal sealed class FleetDirectory(IUpdateStore store)
{
    private readonly ConcurrentDictionary<string, DeviceEntry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeviceEntry> _byTokenHash = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CheckInRecord> _unflushed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;
    private long _generation;

    /// <summary>Changes whenever a device joins or its attributes or tags change (rollout membership depends on them).</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public async Task<IReadOnlyCollection<DeviceEntry>> AllAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        return [.. _byId.Values.OrderBy(d => d.Record.DeviceId, StringComparer.Ordinal)];
    }

    public async Task<DeviceEntry?> FindByTokenHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (!_byTokenHash.TryGetValue(tokenHash, out var known))
        {
            // Not in memory: another server instance sharing the store may have enrolled it since we loaded.
            if (await store.FindDeviceByTokenHashAsync(tokenHash, cancellationToken).ConfigureAwait(false) is not { } stored)
            {
                return null;
            }

            known = Put(stored);
        }

        if (known.Record.PreviousTokenHash.Length > 0 && known.Record.TokenHash == tokenHash)
        {
            // The first use of a rotated credential retires the one it replaced (once per rotation, not per call).
            var retired = known.Record with { PreviousTokenHash = string.Empty, LastSeenUnixMs = Math.Max(known.Record.LastSeenUnixMs, known.LastSeenUnixMs) };
            await store.UpsertDeviceAsync(retired, cancellationToken).ConfigureAwait(false);
            known = Put(retired);
        }

        return known;
    }

    public async Task<DeviceEntry?> FindAsync(string deviceId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        if (_byId.TryGetValue(deviceId, out var known))
        {
            return known;
        }

        // Not in memory: another replica may have registered it since our last change poll. Reading through keeps a
        // registration there from looking unknown here (an admin's rotate, or an enrolment of the same id, at this replica).
        return await store.FindDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false) is { } stored ? Put(stored) : null;
    }

    public async Task RegisterAsync(DeviceRecord device, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        await store.UpsertDeviceAsync(device, cancellationToken).ConfigureAwait(false);
        Put(device);
    }

    /// <summary>
    /// Enrols a device: a new id (<paramref name="replacing"/> null) is only created, a reset one only replaced while it
    /// is still the record <paramref name="replacing"/>. False, and nothing changes, when another registration (at
    /// another replica, in the moment since <see cref="FindAsync"/>) got there first.
    /// </summary>
    public async Task<bool> TryEnrolAsync(DeviceRecord device, DeviceRecord? replacing, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var won = replacing is null
            ? await store.TryAddDeviceAsync(device, cancellationToken).ConfigureAwait(false)
            : await store.TryReplaceDeviceAsync(device, replacing.TokenHash, cancellationToken).ConfigureAwait(false);
        if (!won)
        {
            return false;
        }

        Put(device);
        return true;
    }

    /// <summary>
    /// Deletes a device: from the store, then from memory, so its credentials (current and previous) stop working on
    /// this instance at once (another replica sharing the store drops it at its next change poll, StoreChangeWatcher). False when unknown.
    /// </summary>
    public async Task<bool> RemoveAsync(string deviceId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await store.DeleteDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
        return Forget(deviceId) || deleted;
    }

    /// <summary>Drops a device from memory (its credentials stop working here); true when it was known.</summary>
    private bool Forget(string deviceId)
    {
        var known = false;
        if (_byId.TryRemove(deviceId, out var old))
        {
            _byTokenHash.TryRemove(old.Record.TokenHash, out _);
            if (old.Record.PreviousTokenHash.Length > 0)
            {
                _byTokenHash.TryRemove(old.Record.PreviousTokenHash, out _);
            }

            known = true;
        }

        _unflushed.TryRemove(deviceId, out _);
        Interlocked.Increment(ref _generation);
        return known;
    }

    public void RecordCheckIn(DeviceEntry device, long atUnixMs, IReadOnlyList<InstalledVersion> installed)
    {
        device.LastSeenUnixMs = atUnixMs;
        device.Installed = installed;
        _unflushed[device.Record.DeviceId] = new CheckInRecord(device.Record.DeviceId, atUnixMs, installed);
    }

    /// <summary>
    /// Makes <paramref name="device"/> the entry for its id: its credential (and the one a rotation keeps alive) find it;
    /// a replaced entry's other credentials stop working.
    /// </summary>
    private DeviceEntry Put(DeviceRecord device)
    {
        var entry = new DeviceEntry(device);
        if (_byId.TryGetValue(device.DeviceId, out var old))
        {
            _byTokenHash.TryRemove(old.Record.TokenHash, out _);
            if (old.Record.PreviousTokenHash.Length > 0)
            {
                _byTokenHash.TryRemove(old.Record.PreviousTokenHash, out _);
            }

            entry.Installed = old.Installed;
            entry.LastSeenUnixMs = Math.Max(entry.LastSeenUnixMs, old.LastSeenUnixMs);
        }

        _byId[device.DeviceId] = entry;
        Index(entry);
        Interlocked.Increment(ref _generation);
        return entry;
    }

    private void Index(DeviceEntry entry)
    {
        _byTokenHash[entry.Record.TokenHash] = entry;
        if (entry.Record.PreviousTokenHash.Length > 0)
        {
            _byTokenHash[entry.Record.PreviousTokenHash] = entry;
        }
    }

    /// <summary>
    /// Brings the directory up to date with the store (replicas): devices another replica registered, re-enrolled or
    /// rotated, and the last-seen times other replicas flushed (the leader judges silent devices by them).
    /// </summary>
    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stored in await store.ListDevicesAsync(cancellationToken).ConfigureAwait(false))
        {
            present.Add(stored.DeviceId);
            if (!_byId.TryGetValue(stored.DeviceId, out var known) || !SameIdentity(known.Record, stored))
            {
                known = Put(stored);
            }

            if (stored.LastSeenUnixMs > known.LastSeenUnixMs)
            {
                known.LastSeenUnixMs = stored.LastSeenUnixMs;
            }
        }

        // Removed through another replica: its credentials must stop working here too.
        foreach (var id in _byId.Keys.Where(id => !present.Contains(id)).ToList())
        {
            Forget(id);
        }
    }

    private static bool SameIdentity(DeviceRecord a, DeviceRecord b) =>
        a.TokenHash == b.TokenHash && a.PreviousTokenHash == b.PreviousTokenHash && a.RuntimeVersion == b.RuntimeVersion
        && a.CertificateSha256 == b.CertificateSha256
        && a.Tags.SequenceEqual(b.Tags, StringComparer.Ordinal)
        && a.Attributes.Count == b.Attributes.Count && a.Attributes.All(kv => b.Attributes.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>Writes check-ins received since the last flush in one transaction.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_unflushed.IsEmpty)
        {
            return;
        }

        var batch = new List<CheckInRecord>();
        foreach (var id in _unflushed.Keys)
        {
            if (_unflushed.TryRemove(id, out var record))
            {
                batch.Add(record);
            }
        }

        using var span = ServerTracing.Start("edgedeploy.store.checkins");
        span?.SetTag("edgedeploy.records", batch.Count);
        try
        {
            await store.RecordCheckInsAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var record in batch)
            {
                _unflushed.TryAdd(record.DeviceId, record); // keep them for the next flush unless a newer one arrived
            }

            throw;
        }
    }

    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_loaded)
            {
                return;
            }

            var installed = await store.GetAllInstalledAsync(cancellationToken).ConfigureAwait(false);
            foreach (var device in await store.ListDevicesAsync(cancellationToken).ConfigureAwait(false))
            {
                var entry = new DeviceEntry(device) { Installed = installed.GetValueOrDefault(device.DeviceId) ?? [] };
                _byId[device.DeviceId] = entry;
                Index(entry);
            }

            Interlocked.Increment(ref _generation);
            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }
}
