using System.Collections.Concurrent;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeDeploy.Runtime.Telemetry;

/// <summary>
/// Records predictions and ground truth durably on the device. The caller's cost is one small allocation and a queue
/// write; a background writer summarises inputs, updates drift counts, encodes MessagePack and commits batches to the
/// SQLite outbox at least every <see cref="TelemetryOptions.FlushInterval"/>. Records reach the outbox within that interval;
/// once committed they survive crashes until acknowledged.
/// </summary>
public sealed class TelemetryRecorder : IDisposable
{
    private readonly TelemetryOptions _options;
    private readonly SqliteOutbox _outbox;
    private readonly ConcurrentQueue<Item> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly long _startTimestamp;
    private readonly DateTimeOffset _startTime;
    private readonly Thread _writer;
    private readonly ILogger _logger;
    private readonly Lock _watchLock = new();
    private readonly Dictionary<(string Model, string Version), VersionWatch> _watched = [];
    private long _sampledOut;
    private long _rawInputsRecorded;
    private long _droppedInMemory;
    private long _enqueued;
    private long _written;
    private int _queued;
    private volatile bool _stopping;
    private volatile bool _flushRequested;

    private TelemetryRecorder(TelemetryOptions options)
    {
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<TelemetryRecorder>() ?? NullLogger<TelemetryRecorder>.Instance;
        _outbox = new SqliteOutbox(options.DatabasePath, options.MaxRecords);
        _startTimestamp = options.TimeProvider.GetTimestamp();
        _startTime = options.TimeProvider.GetUtcNow();
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "edge-telemetry" };
        _writer.Start();
        DeviceMetrics.Track(this);
    }

    /// <summary>Records in the outbox not yet acknowledged (kept in memory, no query).</summary>
    internal long OutboxCount => _outbox.Count;

    /// <summary>Predictions recorded with their raw inputs so far (see <see cref="TelemetryOptions.RawInputSampleRate"/>).</summary>
    public long RawInputsRecorded => Interlocked.Read(ref _rawInputsRecorded);

    /// <summary>Counters; the outbox ones are read from the database.</summary>
    public TelemetryStatistics Statistics => new(
        Interlocked.Read(ref _enqueued),
        Interlocked.Read(ref _sampledOut),
        Interlocked.Read(ref _droppedInMemory),
        _outbox.Dropped,
        _outbox.Count,
        _outbox.Acknowledged);

    /// <summary>Opens (or creates) the outbox and starts the writer.</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the options are invalid.</exception>
    /// <exception cref="IOException">The database file cannot be used (not an SQLite database, not writable); it is left unchanged.</exception>
    /// <exception cref="FileNotFoundException">SQLite's native library (libe_sqlite3) is missing.</exception>
    public static TelemetryRecorder Open(TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        return new TelemetryRecorder(options);
    }

    /// <summary>Starts drift tracking for a model version against its package's reference, and tags its predictions with model-card slices.</summary>
    public void Register(PackageManifest manifest) => Register(manifest, readFile: null);

    /// <summary>
    /// <see cref="Register(PackageManifest)"/>, reading the package's files where the manifest's gate metrics need them
    /// for evidence (a CTC vocabulary): the store passes the installed package's verified files.
    /// </summary>
    internal void Register(PackageManifest manifest, Func<string, byte[]>? readFile)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        EvidencePlan? evidence = null;
        try
        {
            evidence = EvidencePlan.Create(manifest, readFile);
        }
        catch (EdgeException ex)
        {
            TelemetryLog.EvidenceUnavailable(_logger, manifest.Name, manifest.Version, ex.Message);
        }

        lock (_watchLock)
        {
            var key = (manifest.Name, manifest.Version);
            if (!_watched.TryGetValue(key, out var existing))
            {
                _watched[key] = new VersionWatch(new DriftMonitor(manifest), new SliceMatcher(manifest), manifest.ModelCard.AllowsRawInputs(), evidence);
            }
            else if (existing.Evidence is null && evidence is not null)
            {
                _watched[key] = existing with { Evidence = evidence }; // registered before without the package's files
            }
        }
    }

    /// <summary>Drift of every reference feature and output for a version, or empty when it is not registered.</summary>
    public IReadOnlyList<DriftScore> GetDrift(string model, string version)
    {
        lock (_watchLock)
        {
            return _watched.TryGetValue((model, version), out var watched) ? watched.Drift.Score() : [];
        }
    }

    /// <summary>Drift counts per reference bin observed since the previous call for a version (the agent reports them); resets them.</summary>
    public IReadOnlyList<DriftCounts> TakeDriftCounts(string model, string version)
    {
        lock (_watchLock)
        {
            return _watched.TryGetValue((model, version), out var watched) ? watched.Drift.TakeCounts() : [];
        }
    }

    /// <summary>Records a prediction (subject to the sample rate). Called by the model store; cheap and non-blocking.</summary>
    public void RecordPrediction(Guid id, string model, string version, TimeSpan latency, IReadOnlyDictionary<string, EdgeTensor> inputs, Prediction prediction, bool shadow)
    {
        if (_options.SampleRate < 1 && Random.Shared.NextDouble() >= _options.SampleRate)
        {
            Interlocked.Increment(ref _sampledOut);
            return;
        }

        // A monotonic timestamp is a fraction of the cost of reading the wall clock; the writer converts it.
        Enqueue(new Item(id, model, version, _options.TimeProvider.GetTimestamp(), latency, inputs, prediction, shadow, double.NaN));
    }

    /// <summary>Records the true label of an earlier prediction.</summary>
    public void RecordGroundTruth(Guid predictionId, double label) =>
        Enqueue(new Item(predictionId, null, null, _options.TimeProvider.GetTimestamp(), default, null, null, false, label));

    /// <summary>Records the true text of an earlier prediction (scored online by a CER/WER metric).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the text is longer than <see cref="TelemetryEvidence.MaxTextLength"/>.</exception>
    public void RecordGroundTruth(Guid predictionId, string text) => RecordTruth(predictionId, StructuredTruth.Text(text));

    /// <summary>Records the true boxes <c>[M, 4]</c> (x1, y1, x2, y2) and their classes <c>[M]</c> of an earlier prediction (scored online by an mAP metric).</summary>
    /// <exception cref="EdgeException"><see cref="EdgeErrorCode.InvalidArgument"/> when the shapes disagree or there are more than <see cref="TelemetryEvidence.MaxDetections"/> boxes.</exception>
    public void RecordGroundTruth(Guid predictionId, EdgeTensor boxes, EdgeTensor classes) => RecordTruth(predictionId, StructuredTruth.Detections(boxes, classes));

    /// <summary>Records structured truth already checked by <see cref="StructuredTruth"/>; its label is NaN.</summary>
    internal void RecordTruth(Guid predictionId, IReadOnlyDictionary<string, EdgeTensor> truth) =>
        Enqueue(new Item(predictionId, null, null, _options.TimeProvider.GetTimestamp(), default, null, null, false, double.NaN) { Truth = truth });

    /// <summary>Blocks until everything recorded so far is committed to the outbox (or the timeout passes).</summary>
    /// <returns>True when it was committed in time.</returns>
    public bool Flush(TimeSpan timeout)
    {
        var target = Interlocked.Read(ref _enqueued);
        _flushRequested = true;
        _signal.Release();
        var deadline = DateTime.UtcNow + timeout;
        while (Interlocked.Read(ref _written) < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>The oldest unacknowledged records, up to <paramref name="max"/>, or null when there are none.</summary>
    public OutboxBatch? ReadBatch(int max = 1000) => _outbox.ReadBatch(max);

    /// <summary>Removes a batch the server has stored. It will never be read again.</summary>
    public void Acknowledge(OutboxBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _outbox.Acknowledge(batch.LastId);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        DeviceMetrics.Untrack(this);
        _signal.Release();
        _writer.Join(TimeSpan.FromSeconds(10));
        _outbox.Dispose();
        _signal.Dispose();
    }

    private void Enqueue(Item item)
    {
        // Lock-free: a bounded count in front of a concurrent queue; the writer wakes on a timer, not per record.
        if (Interlocked.Increment(ref _queued) > _options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _droppedInMemory);
            return;
        }

        _queue.Enqueue(item);
        Interlocked.Increment(ref _enqueued);
    }

    private void WriteLoop()
    {
        // Drain often, commit rarely: encoding promptly lets predictions die young (no GC promotion from the queue),
        // while commits, each an fsync, happen once per flush interval or 4,096 records.
        var drainEvery = TimeSpan.FromTicks(Math.Min(_options.FlushInterval.Ticks, TimeSpan.FromMilliseconds(5).Ticks));
        var batch = new List<(TelemetryRecordKind, long, byte[])>(1024);
        var lastCommit = _options.TimeProvider.GetTimestamp();
        while (true)
        {
            var stopping = _stopping;
            var flushRequested = _flushRequested;
            try
            {
                while (batch.Count < 4096 && _queue.TryDequeue(out var item))
                {
                    Interlocked.Decrement(ref _queued);
                    batch.Add(Encode(item));
                }

                if (batch.Count > 0 && (stopping || flushRequested || batch.Count >= 4096 || _options.TimeProvider.GetElapsedTime(lastCommit) >= _options.FlushInterval))
                {
                    _outbox.Append(batch);
                    Interlocked.Add(ref _written, batch.Count);
                    batch.Clear();
                    lastCommit = _options.TimeProvider.GetTimestamp();
                }

                if (flushRequested && batch.Count == 0)
                {
                    _flushRequested = false;
                }
            }
            catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException or EdgeException)
            {
                TelemetryLog.WriteFailed(_logger, batch.Count, ex.Message);
                Interlocked.Add(ref _written, batch.Count); // lost: do not let Flush wait for them forever
                batch.Clear();
            }

            if (stopping && _queue.IsEmpty && batch.Count == 0)
            {
                return;
            }

            if (batch.Count < 4096)
            {
                _signal.Wait(drainEvery); // Flush and Dispose release it early
            }
        }
    }

    private (TelemetryRecordKind, long, byte[]) Encode(Item item)
    {
        var timestampMs = (_startTime + _options.TimeProvider.GetElapsedTime(_startTimestamp, item.Timestamp)).ToUnixTimeMilliseconds();
        if (item.Prediction is null)
        {
            return (TelemetryRecordKind.GroundTruth, timestampMs, TelemetryCodec.Encode(new GroundTruthRecord(item.Id, item.Label, timestampMs) { Truth = item.Truth }));
        }

        VersionWatch? watch;
        lock (_watchLock)
        {
            _watched.TryGetValue((item.Model!, item.Version!), out watch);
        }

        if (!item.Shadow)
        {
            watch?.Drift.Observe(item.Inputs!, item.Prediction);
        }

        var summaries = item.Inputs!.Select(kv => TelemetryCodec.Summarise(kv.Key, kv.Value)).ToList();
        var outputs = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        for (var i = 0; i < item.Prediction.Names.Count; i++)
        {
            // Small tensor outputs only: sequences and maps are not recorded.
            if ((item.Prediction.HasOnlyTensors || item.Prediction.Values[i].Kind == EdgeValueKind.Tensor) && TelemetryCodec.IsSmall(item.Prediction.Tensors[i]))
            {
                outputs[item.Prediction.Names[i]] = item.Prediction.Tensors[i];
            }
        }

        var slices = watch?.Slices.Match(item.Inputs!) ?? 0;
        var record = new PredictionRecord(item.Id, item.Model!, item.Version!, timestampMs, item.Latency.TotalMicroseconds, item.Shadow, summaries, outputs, slices)
        {
            RawInputs = RawInputs(watch, item),
            Evidence = Evidence(watch, item),
        };
        return (TelemetryRecordKind.Prediction, timestampMs, TelemetryCodec.Encode(record));
    }

    /// <summary>
    /// The raw inputs to record with a prediction, or null. Only for a registered version whose card allows it (an
    /// unregistered version's card is unknown, so nothing), never for shadow runs, for the sampled share, and only
    /// numeric inputs within <see cref="TelemetryOptions.RawInputMaxElements"/>.
    /// </summary>
    private IReadOnlyDictionary<string, EdgeTensor>? RawInputs(VersionWatch? watch, Item item)
    {
        if (watch is not { RawInputsAllowed: true } || item.Shadow || _options.RawInputSampleRate <= 0
            || (_options.RawInputSampleRate < 1 && Random.Shared.NextDouble() >= _options.RawInputSampleRate))
        {
            return null;
        }

        long elements = 0;
        foreach (var (_, tensor) in item.Inputs!)
        {
            elements += tensor.ElementCount;
            if (tensor.ElementType is not (EdgeElementType.Float or EdgeElementType.Double or EdgeElementType.Int64 or EdgeElementType.Int32) || elements > _options.RawInputMaxElements)
            {
                return null;
            }
        }

        Interlocked.Increment(ref _rawInputsRecorded);
        return item.Inputs;
    }

    /// <summary>
    /// The evidence the version's gate metrics need (shadow runs too), or null. An output that does not fit the declared
    /// metric is logged (the first time, then at every power of ten) and the prediction is recorded without evidence.
    /// </summary>
    private IReadOnlyDictionary<string, EdgeTensor>? Evidence(VersionWatch? watch, Item item)
    {
        if (watch?.Evidence is not { } plan)
        {
            return null;
        }

        try
        {
            return plan.Compute(item.Prediction!);
        }
        catch (Exception ex) when (ex is EdgeException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            var failures = Interlocked.Increment(ref watch.EvidenceFailures);
            if (IsPowerOfTen(failures))
            {
                TelemetryLog.EvidenceFailed(_logger, item.Model!, item.Version!, failures, ex.Message);
            }

            return null;
        }
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n >= 10 && n % 10 == 0)
        {
            n /= 10;
        }

        return n == 1;
    }

    /// <summary>
    /// What the writer computes per registered version: drift counts and slice tags; whether its card allows raw inputs;
    /// the evidence its gate metrics need (null: none).
    /// </summary>
    private sealed record VersionWatch(DriftMonitor Drift, SliceMatcher Slices, bool RawInputsAllowed, EvidencePlan? Evidence)
    {
        /// <summary>Predictions recorded without evidence because computing it failed (written by the writer only).</summary>
        public long EvidenceFailures;
    }

    private sealed record Item(Guid Id, string? Model, string? Version, long Timestamp, TimeSpan Latency, IReadOnlyDictionary<string, EdgeTensor>? Inputs, Prediction? Prediction, bool Shadow, double Label)
    {
        public IReadOnlyDictionary<string, EdgeTensor>? Truth { get; init; }
    }
}
