using System.Collections.Concurrent;

namespace EdgeDeploy.UpdateServer.Fleet;

/// <summary>
/// Per-device telemetry quota, a fixed one-minute window of records and payload bytes held in memory per server
/// instance (<see cref="UpdateServerOptions.TelemetryRecordsPerDevicePerMinute"/>, <see cref="UpdateServerOptions.TelemetryBytesPerDevicePerMinute"/>).
/// </summary>
internal sealed class TelemetryQuota(UpdateServerOptions options)
{
    private const long WindowMs = 60_000;
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>Takes a batch's records and bytes from the device's window; null when granted, else why not (nothing is taken).</summary>
    public string? TryTake(string deviceId, int records, long bytes, long nowUnixMs)
    {
        var window = _windows.GetOrAdd(deviceId, _ => new Window());
        lock (window)
        {
            if (nowUnixMs - window.StartUnixMs >= WindowMs || nowUnixMs < window.StartUnixMs)
            {
                (window.StartUnixMs, window.Records, window.Bytes) = (nowUnixMs, 0, 0);
            }

            var retry = Math.Max(1, (window.StartUnixMs + WindowMs - nowUnixMs + 999) / 1000);
            if (window.Records + records > options.TelemetryRecordsPerDevicePerMinute)
            {
                return $"device {deviceId} may send {options.TelemetryRecordsPerDevicePerMinute} telemetry records per minute and has sent {window.Records} in this one; retry in {retry} s";
            }

            if (window.Bytes + bytes > options.TelemetryBytesPerDevicePerMinute)
            {
                return $"device {deviceId} may send {options.TelemetryBytesPerDevicePerMinute} bytes of telemetry per minute and has sent {window.Bytes} in this one; retry in {retry} s";
            }

            window.Records += records;
            window.Bytes += bytes;
            return null;
        }
    }

    private sealed class Window
    {
        public long StartUnixMs { get; set; } = long.MinValue / 2;

        public long Records { get; set; }

        public long Bytes { get; set; }
    }
}
