using System.Diagnostics;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.Extensions.Logging;

namespace EdgeDeploy.Runtime.Store;

/// <summary>
/// Runs a candidate on the serving model's inputs off the caller's thread and compares the outputs. At most a few runs
/// are in flight; beyond that, comparisons are skipped rather than slowing or queueing behind real traffic.
/// </summary>
internal sealed class ShadowRunner : IDisposable
{
    private const int MaxInFlight = 4;

    private readonly LoadedVersion _candidate;
    private readonly TelemetryRecorder? _telemetry;
    private readonly HealthTracker _health;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private int _inFlight;
    private long _compared;
    private long _exact;
    private long _labelAgree;
    private long _failures;
    private double _absDiffSum;
    private long _absDiffCount;
    private volatile bool _disposed;

    public ShadowRunner(LoadedVersion candidate, TelemetryRecorder? telemetry, HealthTracker health, ILogger logger)
    {
        _candidate = candidate;
        _telemetry = telemetry;
        _health = health;
        _logger = logger;
    }

    public string Version => _candidate.Version;

    public ShadowStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new ShadowStatistics(
                    _candidate.Version,
                    _compared,
                    _compared == 0 ? 0 : (double)_exact / _compared,
                    _absDiffCount == 0 ? 0 : _absDiffSum / _absDiffCount,
                    _compared == 0 ? 0 : (double)_labelAgree / _compared,
                    _failures);
            }
        }
    }

    public void Submit(Guid servedId, IReadOnlyDictionary<string, EdgeTensor> inputs, Prediction served)
    {
        if (_disposed || Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            return;
        }

        ThreadPool.UnsafeQueueUserWorkItem(_ => Run(servedId, inputs, served), null);
    }

    public void Dispose() => _disposed = true;

    private void Run(Guid servedId, IReadOnlyDictionary<string, EdgeTensor> inputs, Prediction served)
    {
        try
        {
            if (_disposed)
            {
                return;
            }

            _candidate.Model.Validate(inputs);
            var started = Stopwatch.GetTimestamp();
            var shadow = _candidate.Model.TryRunValidated(inputs);
            if (shadow is null)
            {
                return;
            }

            var latency = Stopwatch.GetElapsedTime(started);
            _health.Served(servedId, _candidate, shadow: true, latency, shadow);
            _telemetry?.RecordPrediction(servedId, _candidate.Name, _candidate.Version, latency, inputs, shadow, shadow: true);
            Compare(served, shadow);
        }
        catch (EdgeException ex)
        {
            Interlocked.Increment(ref _failures);
            _health.Failed(_candidate.Version, shadow: true);
            StoreLog.ShadowFailed(_logger, _candidate.Version, ex.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private void Compare(Prediction served, Prediction shadow)
    {
        var exact = true;
        double diff = 0;
        long count = 0;
        foreach (var name in served.Names)
        {
            if (!served.HasOnlyTensors && served.GetValue(name).Kind != EdgeValueKind.Tensor)
            {
                // Sequences and maps: exact when they compare equal within no tolerance; no element differences summed.
                try
                {
                    exact &= ValueComparison.Difference(name, served.GetValue(name), shadow.GetValue(name), 0, 0) is null;
                }
                catch (EdgeException)
                {
                    exact = false;
                }

                continue;
            }

            var a = served[name];
            EdgeTensor b;
            try
            {
                b = shadow[name];
            }
            catch (EdgeException)
            {
                exact = false;
                continue;
            }

            exact &= a.ElementType == b.ElementType && a.Shape.SequenceEqual(b.Shape) && SameData(a, b);
            if (a.ElementType == EdgeElementType.Float && b.ElementType == EdgeElementType.Float && a.ElementCount == b.ElementCount)
            {
                var x = a.AsSpan<float>();
                var y = b.AsSpan<float>();
                for (var i = 0; i < x.Length; i++)
                {
                    diff += Math.Abs(x[i] - y[i]);
                }

                count += x.Length;
            }
        }

        var labelOutput = _candidate.Manifest.Confidence.Output;
        var positive = _candidate.Manifest.Confidence.PositiveClass;
        var agree = Metrics.Read(ScoreOutputs.Of(served, labelOutput), positive).PredictedClass == Metrics.Read(ScoreOutputs.Of(shadow, labelOutput), positive).PredictedClass;
        lock (_lock)
        {
            _compared++;
            _exact += exact ? 1 : 0;
            _labelAgree += agree ? 1 : 0;
            _absDiffSum += diff;
            _absDiffCount += count;
        }
    }

    private static bool SameData(EdgeTensor a, EdgeTensor b) => a.ElementType == EdgeElementType.String
        ? a.AsSpan<string>().SequenceEqual(b.AsSpan<string>())
        : a.AsBytes().SequenceEqual(b.AsBytes());
}
