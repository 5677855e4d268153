using System.Diagnostics.Metrics;

namespace EdgeDeploy.UpdateServer.Diagnostics;

/// <summary>
/// The server's instruments, on the <see cref="MeterName"/> meter (exported by OpenTelemetry: Prometheus at /metrics on
/// the HTTP/1.1 port, OTLP when configured). Running totals of this instance are also kept for tests and diagnostics.
/// </summary>
/// <remarks>
/// One meter per process, never disposed: OpenTelemetry listens to meters by name process-wide and merges same-named
/// instruments into one series, so a per-host meter (IMeterFactory) disposed with its host would reset the series that
/// another host in the process (tests, benchmarks) still exports.
/// </remarks>
internal sealed class ServerMetrics
{
    /// <summary>The meter every server instrument is on.</summary>
    public const string MeterName = "EdgeDeploy.UpdateServer";

    /// <summary>Bucket bounds in seconds, 0.5 ms to 10 s (OpenTelemetry's default bounds are for milliseconds).</summary>
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    private static readonly Meter Meter = new(MeterName, typeof(ServerMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> CheckInCounter = Meter.CreateCounter<long>("edgedeploy.checkins", "{check-in}", "Device check-ins answered.");

    private static readonly Counter<long> Signatures = Meter.CreateCounter<long>(
        "edgedeploy.assignment.signatures", "{signature}", "Assignments signed (check-ins answered with a reused signed assignment are not counted).");

    private static readonly Counter<long> Downloaded = Meter.CreateCounter<long>("edgedeploy.downloaded", "By", "Package bytes sent to devices.");

    private static readonly Counter<long> Transitions = Meter.CreateCounter<long>(
        "edgedeploy.rollout.transitions", "{transition}", "Rollout state or stage changes, by the state entered (state).");

    private static readonly Counter<long> GateOutcomes = Meter.CreateCounter<long>(
        "edgedeploy.gate.outcomes", "{outcome}", "Gate outcomes: the server's health gates per evaluation (gate=health) and device gates per install report (gate=device), outcome=pass|fail.");

    private static readonly Counter<long> TelemetryRecords = Meter.CreateCounter<long>("edgedeploy.telemetry.records", "{record}", "Telemetry records stored (duplicate batches not counted).");

    private static readonly Histogram<double> IngestDuration = Meter.CreateHistogram("edgedeploy.telemetry.ingest.duration", "s", "Time to check and store one telemetry batch.", advice: Seconds);

    private static readonly Histogram<double> EvaluationDuration = Meter.CreateHistogram(
        "edgedeploy.rollout.evaluation.duration", "s", "Time of one evaluator tick over every active rollout and alert rule.", advice: Seconds);

    private static readonly Counter<long> WebhookAttempts = Meter.CreateCounter<long>(
        "edgedeploy.webhook.deliveries", "{attempt}", "Webhook delivery attempts by outcome: delivered, failed (retried later) or dead_lettered (attempts or age ran out).");

    private static readonly Histogram<double> WebhookDuration = Meter.CreateHistogram(
        "edgedeploy.webhook.attempt.duration", "s", "Time of one webhook delivery attempt, until the receiver's answer or the timeout.", advice: Seconds);

    private long _checkInCount;
    private long _bytesServed;

    /// <summary>Check-ins this instance answered.</summary>
    public long CheckIns => Interlocked.Read(ref _checkInCount);

    /// <summary>Package bytes this instance sent.</summary>
    public long BytesServed => Interlocked.Read(ref _bytesServed);

    public void CheckedIn()
    {
        Interlocked.Increment(ref _checkInCount);
        CheckInCounter.Add(1);
    }

    public void Signed() => Signatures.Add(1);

    public void Served(long bytes)
    {
        Interlocked.Add(ref _bytesServed, bytes);
        Downloaded.Add(bytes);
    }

    public void Ingested(long records, TimeSpan elapsed)
    {
        TelemetryRecords.Add(records);
        IngestDuration.Record(elapsed.TotalSeconds);
    }

    public void Transitioned(string state) => Transitions.Add(1, new KeyValuePair<string, object?>("state", state));

    public void GateOutcome(string gate, bool passed) =>
        GateOutcomes.Add(1, new KeyValuePair<string, object?>("gate", gate), new KeyValuePair<string, object?>("outcome", passed ? "pass" : "fail"));

    public void Evaluated(TimeSpan elapsed) => EvaluationDuration.Record(elapsed.TotalSeconds);

    /// <summary>One webhook attempt: <paramref name="outcome"/> is delivered, failed or dead_lettered.</summary>
    public void WebhookAttempted(string outcome, TimeSpan elapsed)
    {
        WebhookAttempts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        WebhookDuration.Record(elapsed.TotalSeconds);
    }
}
