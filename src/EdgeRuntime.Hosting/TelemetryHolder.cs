using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Hosting;

/// <summary>The optional recorder, so the container can hold "none" (it refuses null singletons).</summary>
internal sealed class TelemetryHolder(TelemetryRecorder? recorder) : IDisposable
{
    public TelemetryRecorder? Recorder { get; } = recorder;

    public void Dispose() => Recorder?.Dispose();
}
