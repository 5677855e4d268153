using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// The device layer's instruments on the <see cref="ModelStore.MeterName"/> meter (System.Diagnostics.Metrics only; a host
/// exports them with its own OpenTelemetry set-up): swaps, gate results and the telemetry outbox depth. Predict latency
/// and errors are the runtime's (<see cref="EdgeModel.MeterName"/>). Tags are cached, so recording allocates nothing.
/// </summary>
internal static class DeviceMetrics
{
    private static readonly Meter Meter = new(ModelStore.MeterName, typeof(DeviceMetrics).Assembly.GetName().Version?.ToString());
    private static readonly ConcurrentDictionary<TelemetryRecorder, byte> Recorders = new();

    private static readonly Counter<long> Swaps = Meter.CreateCounter<long>(
        "edgedeploy.device.swaps", "{swap}", "Serving-version changes (rollback=true for a rollback).");

    private static readonly Counter<long> GateResults = Meter.CreateCounter<long>(
        "edgedeploy.device.gate.results", "{result}", "Install gate results (outcome=passed|rejected).");

    private static readonly KeyValuePair<string, object?> Rollback = new("rollback", true);
    private static readonly KeyValuePair<string, object?> NotRollback = new("rollback", false);
    private static readonly KeyValuePair<string, object?> Passed = new("outcome", "passed");
    private static readonly KeyValuePair<string, object?> Rejected = new("outcome", "rejected");

    static DeviceMetrics() =>
        Meter.CreateObservableGauge("edgedeploy.device.outbox.depth", OutboxDepth, "{record}", "Telemetry records committed to the outbox and not yet acknowledged by the server.");

    public static void Swapped(bool isRollback) => Swaps.Add(1, isRollback ? Rollback : NotRollback);

    public static void Gated(bool passed) => GateResults.Add(1, passed ? Passed : Rejected);

    public static void Track(TelemetryRecorder recorder) => Recorders.TryAdd(recorder, 0);

    public static void Untrack(TelemetryRecorder recorder) => Recorders.TryRemove(recorder, out _);

    private static long OutboxDepth()
    {
        long depth = 0;
        foreach (var recorder in Recorders.Keys)
        {
            depth += recorder.OutboxCount;
        }

        return depth;
    }
}
