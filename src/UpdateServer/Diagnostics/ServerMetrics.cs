using System.Diagnostics.Metrics;

namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>
/// The server's instruments, on the <see cref="MeterName"/> meter (exported by OpenTelemetry: Prometheus at /metrics on
/// the HTTP/1.1 port, OTLP when configured). Running totals of this instance are also kept for tests and diagnostics.
/// </summary>
internal sealed class ServerMetrics
{
    /// <summary>The meter every server instrument is on.</summary>
    public const string MeterName = "EdgeDeploy.UpdateServer";

    private readonly Counter<long> _checkIns;
    private readonly Counter<long> _signatures;
    private readonly Counter<long> _downloaded;
    private readonly Counter<long> _transitions;
    private readonly Counter<long> _gateOutcomes;
    private readonly Counter<long> _telemetryRecords;
    private readonly Histogram<double> _ingestDuration;
    private readonly Histogram<double> _evaluationDuration;
    /// <summary>Bucket bounds in seconds, 0.5 ms to 10 s (OpenTelemetry's default bounds are for milliseconds).</summary>
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    private long _checkInCount;
    private long _bytesServed;

    public ServerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());
        _checkIns = meter.CreateCounter<long>("edgedeploy.checkins", "{check-in}", "Device check-ins answered.");
        _signatures = meter.CreateCounter<long>("edgedeploy.assignment.signatures", "{signature}", "Assignments signed (check-ins answered with a reused signed assignment are not counted).");
        _downloaded = meter.CreateCounter<long>("edgedeploy.downloaded", "By", "Package bytes sent to devices.");
        _transitions = meter.CreateCounter<long>("edgedeploy.rollout.transitions", "{transition}", "Rollout state or stage changes, by the state entered (state).");
        _gateOutcomes = meter.CreateCounter<long>("edgedeploy.gate.outcomes", "{outcome}", "Gate outcomes: the server's health gates per evaluation (gate=health) and device gates per install report (gate=device), outcome=pass|fail.");
        _telemetryRecords = meter.CreateCounter<long>("edgedeploy.telemetry.records", "{record}", "Telemetry records stored (duplicate batches not counted).");
        _ingestDuration = meter.CreateHistogram("edgedeploy.telemetry.ingest.duration", "s", "Time to check and store one telemetry batch.", advice: Seconds);
        _evaluationDuration = meter.CreateHistogram("edgedeploy.rollout.evaluation.duration", "s", "Time of one evaluator tick over every active rollout and alert rule.", advice: Seconds);
    }

    /// <summary>Check-ins this instance answered.</summary>
    public long CheckIns => Interlocked.Read(ref _checkInCount);

    /// <summary>Package bytes this instance sent.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public void CheckedIn()
    {
        Interlocked.Increment(ref _checkInCount);
        _checkIns.Add(1);
    }

    public void Signed() => _signatures.Add(1);

    public void Served(long bytes)
    {
        Interlocked.Add(ref _bytesServed, bytes);
        _downloaded.Add(bytes);
    }

    public void Ingested(long records, TimeSpan elapsed)
    {
        _telemetryRecords.Add(records);
        _ingestDuration.Record(elapsed.TotalSeconds);
    }

    public void Transitioned(string state) => _transitions.Add(1, new KeyValuePair<string, object?>("state", state));

    public void GateOutcome(string gate, bool passed) =>
        _gateOutcomes.Add(1, new KeyValuePair<string, object?>("gate", gate), new KeyValuePair<string, object?>("outcome", passed ? "pass" : "fail"));

    public void Evaluated(TimeSpan elapsed) => _evaluationDuration.Record(elapsed.TotalSeconds);
}
