using System.Runtime.InteropServices;
using System.Text;
using EdgeDeploy.Runtime.Packages;
using EdgeDeploy.Runtime.Store;
using EdgeDeploy.Runtime.Telemetry;

namespace EdgeDeploy.Runtime.Native;

/// <summary>A device store opened through the C ABI, with the telemetry outbox it records into (if any).</summary>
internal sealed class NativeStore(ModelStore store, TelemetryRecorder? telemetry) : IDisposable
{
    private int _agents;

    public ModelStore Store { get; } = store;

    public TelemetryRecorder? Telemetry { get; } = telemetry;

    /// <summary>Agents started on this store and not yet stopped: the store cannot close under a running agent.</summary>
    public int Agents => Volatile.Read(ref _agents);

    public void AgentStarted() => Interlocked.Increment(ref _agents);

    public void AgentStopped() => Interlocked.Decrement(ref _agents);

    public void Dispose()
    {
        Store.Dispose();
        Telemetry?.Dispose();
    }
}

/// <content>The device store through the C ABI: install through the gate, roll back, predict with the served version, ground truth.</content>
internal static unsafe partial class NativeExports
{
    /// <summary>Opens (or creates) a store; packages are verified against trust_dir; telemetry_db (NULL: none) records predictions.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_open")]
    public static int StoreOpen(byte* storeDir, byte* trustDir, byte* telemetryDb, IntPtr* store) => Guard(() =>
    {
        Require(storeDir != null && trustDir != null && store != null, "store_dir, trust_dir and store must not be NULL.");
        *store = IntPtr.Zero;
        var recorder = telemetryDb == null ? null : TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = Utf8(telemetryDb) });
        try
        {
            var opened = ModelStore.Open(new ModelStoreOptions
            {
                Directory = Utf8(storeDir),
                Trust = TrustStore.Open(Utf8(trustDir)),
                Telemetry = recorder,
                ModelOptions = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu },
            });
            *store = GCHandle.ToIntPtr(GCHandle.Alloc(new NativeStore(opened, recorder)));
        }
        catch
        {
            recorder?.Dispose();
            throw;
        }
    });

    /// <summary>Verifies, gates and activates a signed package; outcome gets the InstallOutcome, version the package's version.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_install")]
    public static int StoreInstall(IntPtr store, byte* packagePath, int* outcome, byte* version, nuint versionCapacity) => Guard(() =>
    {
        Require(packagePath != null && outcome != null, "package_path and outcome must not be NULL.");
        var result = Store(store).Store.Install(Utf8(packagePath));
        *outcome = (int)result.Outcome;
        WriteString(result.Version, version, versionCapacity, "version");
    });

    /// <summary>Switches back to the version that served before the current one; version gets the one now serving.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_rollback")]
    public static int StoreRollback(IntPtr store, byte* version, nuint versionCapacity) => Guard(() =>
    {
        var serving = Store(store).Store.Rollback();
        WriteString(serving, version, versionCapacity, "version");
    });

    /// <summary>The serving version ("" before the first install).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_active_version")]
    public static int StoreActiveVersion(IntPtr store, byte* version, nuint versionCapacity) => Guard(() =>
        WriteString(Store(store).Store.ActiveVersion ?? string.Empty, version, versionCapacity, "version"));

    /// <summary>
    /// Predicts with the serving version: inputs and outputs as edge_predict; version gets the version that served, and
    /// prediction_id (NULL allowed) the 36-character id to pass to edge_store_record_ground_truth.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_predict")]
    public static int StorePredict(IntPtr store, NativeTensor* inputs, int inputCount, NativeTensor* outputs, int outputCount, byte* version, nuint versionCapacity, byte* predictionId) => Guard(() =>
    {
        var s = Store(store);
        var served = s.Store.Predict(ReadInputs(inputs, inputCount, outputs, outputCount));
        for (var o = 0; o < outputCount; o++)
        {
            var t = outputs + o;
            Require(t->Name != null, $"output {o} has no name.");
            NativeTensors.ToBuffer(served.Prediction[Utf8(t->Name)], t);
        }

        WriteString(served.Version, version, versionCapacity, "version");
        if (predictionId != null)
        {
            WriteString(served.PredictionId.ToString("D"), predictionId, 37, "prediction_id");
        }
    });

    /// <summary>Attaches the true label to an earlier prediction (scored per version, recorded by telemetry).</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_record_ground_truth")]
    public static int StoreRecordGroundTruth(IntPtr store, byte* predictionId, double label) => Guard(() =>
    {
        Require(predictionId != null, "prediction_id must not be NULL.");
        Require(Guid.TryParseExact(Utf8(predictionId), "D", out var id), "prediction_id is not an id returned by edge_store_predict.");
        Require(double.IsFinite(label), "label must be finite.");
        Store(store).Store.RecordGroundTruth(id, label);
    });

    /// <summary>
    /// Attaches the true text (NUL-terminated UTF-8, at most 1,024 UTF-16 code units) to an earlier prediction of a
    /// sequence model: recorded by telemetry with a NaN label, so the server scores the package's CER/WER online.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_record_ground_truth_text")]
    public static int StoreRecordGroundTruthText(IntPtr store, byte* predictionId, byte* text) => Guard(() =>
    {
        Require(predictionId != null && text != null, "prediction_id and text must not be NULL.");
        Require(Guid.TryParseExact(Utf8(predictionId), "D", out var id), "prediction_id is not an id returned by edge_store_predict.");
        Store(store).Store.RecordGroundTruth(id, Utf8(text));
    });

    /// <summary>
    /// Attaches the true boxes of an earlier detection: <paramref name="boxCount"/> boxes as x1, y1, x2, y2 and their
    /// classes (at most <see cref="TelemetryEvidence.MaxDetections"/>; 0 for an image with nothing in it, the arrays then
    /// may be NULL). Recorded by telemetry with a NaN label, so the server scores the package's mAP metric online.
    /// </summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_record_ground_truth_boxes")]
    public static int StoreRecordGroundTruthBoxes(IntPtr store, byte* predictionId, float* boxes, long* classes, int boxCount) => Guard(() =>
    {
        Require(predictionId != null, "prediction_id must not be NULL.");
        Require(Guid.TryParseExact(Utf8(predictionId), "D", out var id), "prediction_id is not an id returned by edge_store_predict.");
        Require(boxCount >= 0 && boxCount <= TelemetryEvidence.MaxDetections, $"box_count must be 0 to {TelemetryEvidence.MaxDetections}, not {boxCount}.");
        Require(boxCount == 0 || (boxes != null && classes != null), "boxes and classes must not be NULL when box_count is positive.");
        var s = Store(store);
        s.Store.RecordGroundTruth(
            id,
            EdgeTensor.Create(new ReadOnlySpan<float>(boxes, boxCount * 4).ToArray(), [boxCount, 4]),
            EdgeTensor.Create(new ReadOnlySpan<long>(classes, boxCount).ToArray(), [boxCount]));
    });

    /// <summary>Closes the store; NULL is ignored. Fails (and keeps the store open) while an agent runs on it.</summary>
    [UnmanagedCallersOnly(EntryPoint = "edge_store_close")]
    public static int StoreClose(IntPtr store) => store == IntPtr.Zero ? 0 : Guard(() =>
    {
        var handle = GCHandle.FromIntPtr(store);
        var s = handle.Target as NativeStore ?? throw new EdgeException(EdgeErrorCode.Disposed, "The store handle was closed.");
        Require(s.Agents == 0, "An agent still runs on this store: stop it with edge_agent_stop first.");
        handle.Free();
        s.Dispose();
    });

    private static NativeStore Store(IntPtr handle)
    {
        Require(handle != IntPtr.Zero, "store must not be NULL.");
        return GCHandle.FromIntPtr(handle).Target as NativeStore ?? throw new EdgeException(EdgeErrorCode.Disposed, "The store handle was closed.");
    }

    private static Dictionary<string, EdgeTensor> ReadInputs(NativeTensor* inputs, int inputCount, NativeTensor* outputs, int outputCount)
    {
        Require(outputCount >= 0 && (outputs != null || outputCount == 0), "tensor arrays must not be NULL when their count is positive.");
        return ReadFeeds(inputs, inputCount);
    }

    /// <summary>Writes a NUL-terminated UTF-8 string into a caller buffer; NULL buffer = not wanted; too small = PayloadTooLarge.</summary>
    private static void WriteString(string value, byte* buffer, nuint capacity, string what)
    {
        if (buffer == null)
        {
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        if ((nuint)bytes.Length + 1 > capacity)
        {
            throw new EdgeException(EdgeErrorCode.PayloadTooLarge, $"{what} needs {bytes.Length + 1} bytes; the buffer holds {capacity}.");
        }

        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        buffer[bytes.Length] = 0;
    }
}
