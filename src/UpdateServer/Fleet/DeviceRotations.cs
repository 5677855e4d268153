using System.Collections.Concurrent;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Devices an admin asked to rotate: each is handed a new credential at its next check-in. Pending rotations are stored
/// (they survive a restart) and held in memory, so a check-in of a device with none costs one dictionary lookup.
/// </summary>
internal sealed class DeviceRotations(IUpdateStore store)
{
    private readonly ConcurrentDictionary<string, bool> _pending = new(StringComparer.Ordinal); // value: a credential was handed out
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;

    public async Task RequestAsync(string deviceId, long atUnixMs, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        await store.AddPendingRotationAsync(deviceId, atUnixMs, cancellationToken).ConfigureAwait(false);
        _pending[deviceId] = false;
    }

    /// <summary>Null when none is pending; else whether a new credential was already handed out (and perhaps lost).</summary>
    public async ValueTask<bool?> PendingAsync(string deviceId, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await EnsureLoadedAsync(cancellationToken).ConfigureAwait(false);
        }

        return _pending.IsEmpty ? null : _pending.TryGetValue(deviceId, out var handedOut) ? handedOut : null;
    }

    /// <summary>True when it is known without waiting that <paramref name="deviceId"/> has no rotation pending (the check-in fast path).</summary>
    public bool NoneFor(string deviceId) => _loaded && (_pending.IsEmpty || !_pending.ContainsKey(deviceId));

    public void HandedOut(string deviceId) => _pending[deviceId] = true;

    public async Task CompleteAsync(string deviceId, CancellationToken cancellationToken)
    {
        await store.RemovePendingRotationAsync(deviceId, cancellationToken).ConfigureAwait(false);
        _pending.TryRemove(deviceId, out _);
    }

    /// <summary>Forgets a device's rotation (removed or reset); its stored row goes with the device or stays harmless.</summary>
    public void Forget(string deviceId) => _pending.TryRemove(deviceId, out _);

    /// <summary>
    /// Replicas: picks up rotations requested or completed through another replica (StoreChangeWatcher calls it when the
    /// devices counter moved). A credential this replica already handed out stays marked so.
    /// </summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _loadLock.Release();
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
            if (!_loaded)
            {
                await LoadLockedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Makes the in-memory set the stored one; the caller holds the load lock.</summary>
    private async Task LoadLockedAsync(CancellationToken cancellationToken)
    {
        var stored = (await store.ListPendingRotationsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        foreach (var id in stored)
        {
            _pending.TryAdd(id, false);
        }

        foreach (var id in _pending.Keys.Where(id => !stored.Contains(id)).ToList())
        {
            _pending.TryRemove(id, out _);
        }

        _loaded = true;
    }
}
