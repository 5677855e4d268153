using System.Diagnostics;
using System.Runtime.InteropServices;
using EdgeDeploy.Runtime;
using EdgeDeploy.Runtime.Telemetry;
using Microsoft.ML.OnnxRuntime;
using OrtElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;

namespace EdgeDeploy.Cli.Benchmarking;

/// <summary>
/// Measures raw ONNX Runtime (IOBinding over preallocated inputs and outputs), the EdgeDeploy fast path and the convenient
/// Predict path on the same model, inputs and session settings, interleaving rounds so drift on the machine hits all three alike.
/// </summary>
internal static class ModelBenchmark
{
    private const int Rounds = 20;

    public static BenchmarkReport Run(string modelPath, int iterations, int threads, int warmup)
    {
        var options = new EdgeModelOptions { ExecutionProvider = ExecutionProviderKind.Cpu, IntraOpThreads = threads, InterOpThreads = 1 };
        using var model = EdgeModel.Load(modelPath, options);

        var shapes = model.Schema.Inputs.ToDictionary(i => i.Name, i => i.Shape.Select(d => d < 0 ? 1L : d).ToArray());
        var builder = model.CreateFastPredictor();
        foreach (var (name, shape) in shapes)
        {
            builder.WithShape(name, shape);
        }

        using var fast = builder.Build();
        var inputs = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        var random = new Random(42);
        foreach (var schema in model.Schema.Inputs)
        {
            inputs[schema.Name] = Fill(fast, schema, random);
        }

        using var raw = new RawOrt(modelPath, threads, model.Schema, fast, inputs);
        var telemetryDb = Path.Combine(Path.GetTempPath(), $"edge-bench-{Environment.ProcessId}.db");
        using var recorder = TelemetryRecorder.Open(new TelemetryOptions { DatabasePath = telemetryDb, MaxRecords = 1_000_000 });

        var variants = new (string Name, Action Call)[]
        {
            ("raw onnxruntime (iobinding)", raw.Run),
            ("edge fast path", fast.Run),
            ("edge predict", () => model.Predict(inputs)),
            ("edge predict + telemetry", () =>
            {
                // What the model store adds per call when telemetry is on: a timed run and one queued record.
                var started = Stopwatch.GetTimestamp();
                var prediction = model.Predict(inputs);
                recorder.RecordPrediction(Guid.Empty, "bench", "1", Stopwatch.GetElapsedTime(started), inputs, prediction, shadow: false);
            }),
        };

        foreach (var v in variants)
        {
            for (var i = 0; i < warmup; i++)
            {
                v.Call();
            }
        }

        var perRound = Math.Max(1, iterations / Rounds);
        var samples = variants.Select(_ => new long[perRound * Rounds]).ToArray();
        var allocated = new long[variants.Length];
        for (var round = 0; round < Rounds; round++)
        {
            for (var k = 0; k < variants.Length; k++)
            {
                var v = (k + round) % variants.Length; // rotate the order each round
                var call = variants[v].Call;
                var times = samples[v];
                var offset = round * perRound;
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < perRound; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    call();
                    times[offset + i] = Stopwatch.GetTimestamp() - start;
                }

                allocated[v] += GC.GetAllocatedBytesForCurrentThread() - before;
            }
        }

        var results = new List<VariantResult>();
        for (var v = 0; v < variants.Length; v++)
        {
            var sorted = samples[v];
            Array.Sort(sorted);
            results.Add(new VariantResult(
                variants[v].Name,
                Micros(Percentile(sorted, 0.50)),
                Micros(Percentile(sorted, 0.99)),
                Micros((long)sorted.Average()),
                (double)allocated[v] / sorted.Length,
                sorted.Length));
        }

        recorder.Flush(TimeSpan.FromSeconds(30));
        var telemetry = recorder.Statistics;
        recorder.Dispose();
        foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(telemetryDb) + "*"))
        {
            File.Delete(file);
        }

        return new BenchmarkReport(Path.GetFileName(modelPath), model.ExecutionProvider.Active.ToString().ToLowerInvariant(), threads, results, telemetry);
    }

    private static long Percentile(long[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * sorted.Length))];

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Fills the fast predictor's input with deterministic data and returns the same data as a tensor.</summary>
    private static EdgeTensor Fill(FastPredictor fast, TensorSchema schema, Random random)
    {
        var shape = fast.GetShape(schema.Name);
        switch (schema.ElementType)
        {
            case EdgeElementType.Float:
                var f = fast.GetInput<float>(schema.Name);
                for (var i = 0; i < f.Length; i++)
                {
                    f[i] = (float)(random.NextDouble() * 2 - 1);
                }

                return EdgeTensor.Create(f.ToArray(), shape);
            case EdgeElementType.Double:
                var d = fast.GetInput<double>(schema.Name);
                for (var i = 0; i < d.Length; i++)
                {
                    d[i] = random.NextDouble() * 2 - 1;
                }

                return EdgeTensor.Create(d.ToArray(), shape);
            case EdgeElementType.Int64:
                // Small non-negative values keep index-like inputs (sample rates, token ids) in range.
                var l = fast.GetInput<long>(schema.Name);
                l.Fill(1);
                return EdgeTensor.Create(l.ToArray(), shape);
            case EdgeElementType.Int32:
                var n = fast.GetInput<int>(schema.Name);
                n.Fill(1);
                return EdgeTensor.Create(n.ToArray(), shape);
            default:
                throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"edge bench fills float, double, int32 and int64 inputs; '{schema.Name}' is {schema.ElementType}.");
        }
    }

    /// <summary>The baseline: plain ONNX Runtime with IOBinding and preallocated outputs, nothing of ours on the call path.</summary>
    private sealed class RawOrt : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly RunOptions _runOptions = new();
        private readonly OrtIoBinding _binding;
        private readonly List<OrtValue> _values = [];
        private readonly List<GCHandle> _pins = [];

        public RawOrt(string path, int threads, ModelSchema schema, FastPredictor fast, Dictionary<string, EdgeTensor> inputs)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            _session = new InferenceSession(path, options);
            _binding = _session.CreateIoBinding();
            foreach (var input in schema.Inputs)
            {
                var tensor = inputs[input.Name];
                var value = input.ElementType switch
                {
                    EdgeElementType.Float => OrtValue.CreateTensorValueFromMemory(tensor.ToArray<float>(), tensor.Shape.ToArray()),
                    EdgeElementType.Double => OrtValue.CreateTensorValueFromMemory(tensor.ToArray<double>(), tensor.Shape.ToArray()),
                    EdgeElementType.Int64 => OrtValue.CreateTensorValueFromMemory(tensor.ToArray<long>(), tensor.Shape.ToArray()),
                    _ => OrtValue.CreateTensorValueFromMemory(tensor.ToArray<int>(), tensor.Shape.ToArray()),
                };
                _values.Add(value);
                _binding.BindInput(input.Name, value);
            }

            foreach (var output in schema.Outputs)
            {
                var value = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, (OrtElementType)(int)output.ElementType, fast.GetShape(output.Name).ToArray());
                _values.Add(value);
                _binding.BindOutput(output.Name, value);
            }
        }

        public void Run() => _session.RunWithBinding(_runOptions, _binding);

        public void Dispose()
        {
            _binding.Dispose();
            foreach (var v in _values)
            {
                v.Dispose();
            }

            foreach (var p in _pins)
            {
                p.Free();
            }

            _runOptions.Dispose();
            _session.Dispose();
        }
    }
}
