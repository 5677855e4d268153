using System.Collections.Concurrent;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// How many requests a device's next health report may plausibly count: <see cref="UpdateServerOptions.MaxDeviceRequestsPerSecond"/>
/// times the time since its last accepted report (per server instance; its registration before the first), never
/// less than <see cref="UpdateServerOptions.HealthReportWindowFloor"/>'s worth. Held in memory: a restart only widens
/// the first window back to the registration time, which is still bounded.
/// </summary>
internal sealed class HealthReportWindows(UpdateServerOptions options)
{
    private readonly ConcurrentDictionary<string, long> _lastAcceptedUnixMs = new(StringComparer.Ordinal);

    public long MaxCount(DeviceEntry device, long nowUnixMs)
    {
        var since = _lastAcceptedUnixMs.TryGetValue(device.Record.DeviceId, out var last) ? last : device.Record.RegisteredUnixMs;
        var seconds = Math.Max(options.HealthReportWindowFloor.TotalSeconds, (nowUnixMs - since) / 1000.0);
        var max = options.MaxDeviceRequestsPerSecond * seconds;
        return max >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)max; // far below overflow even when summed over many reports
    }

    public void Accepted(DeviceEntry device, long nowUnixMs) => _lastAcceptedUnixMs[device.Record.DeviceId] = nowUnixMs;
}
