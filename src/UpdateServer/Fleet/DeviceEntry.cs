namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>A device as the server knows it now.</summary>
internal sealed class DeviceEntry(DeviceRecord record)
{
    private long _lastSeenUnixMs = record.LastSeenUnixMs;

    public DeviceRecord Record { get; } = record;

    public long LastSeenUnixMs
    {
        get => Interlocked.Read(ref _lastSeenUnixMs);
        set => Interlocked.Exchange(ref _lastSeenUnixMs, value);
    }

    public IReadOnlyList<InstalledVersion> Installed { get; set; } = [];
}
