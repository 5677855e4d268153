using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EdgeDeploy.Runtime.Inference;

/// <summary>
/// The runtime's instruments on the <see cref="EdgeModel.MeterName"/> meter (System.Diagnostics.Metrics only: a host
/// exports them with its own OpenTelemetry set-up, <c>AddMeter("EdgeDeploy.Runtime")</c>). Recording takes no tags and
/// allocates nothing; with no listener it is a flag check, so the fast path stays at 0 bytes per run.
/// </summary>
internal static class RuntimeMetrics
{
    private static readonly Meter Meter = new(EdgeModel.MeterName, typeof(RuntimeMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Histogram<double> PredictDuration = Meter.CreateHistogram(
        "edgedeploy.runtime.predict.duration",
        "s",
        "Time of one model run (Predict, a batch run, or a FastPredictor run), marshalling included.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });

    private static readonly Counter<long> PredictErrors = Meter.CreateCounter<long>(
        "edgedeploy.runtime.predict.errors", "{error}", "Predictions refused (input validation) or failed (ONNX Runtime).");

    /// <summary>A start timestamp, or 0 when nobody listens (then <see cref="Predicted"/> records nothing).</summary>
    public static long Start() => PredictDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    public static void Predicted(long started)
    {
        if (started != 0)
        {
            PredictDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public static void Failed() => PredictErrors.Add(1);
}
