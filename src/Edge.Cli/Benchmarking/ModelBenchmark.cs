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

    public static BenchmarkReport Run(BenchmarkSettings settings)
    {
        var options = new EdgeModelOptions
        {
            ExecutionProvider = settings.Provider,
            IntraOpThreads = settings.Threads,
            InterOpThreads = 1,
        };
        var (modelPath, threads, iterations, warmup) = (settings.ModelPath, settings.Threads, settings.Iterations, settings.Warmup);
        using var model = EdgeModel.Load(modelPath, options);

        var inputs = settings.InputJson is { } json ? TensorJson.ReadInputs(json, model.Schema) : RandomInputs(model.Schema, settings.Shapes);

        // One convenient-path run first: it validates the inputs and tells every output's shape, including dimensions
        // no name can resolve (a CNN's feature map follows the image size), which the fast path and the raw baseline
        // must preallocate.
        var first = model.Predict(inputs);
        var builder = model.CreateFastPredictor();
        foreach (var (name, tensor) in inputs)
        {
            builder.WithShape(name, tensor.Shape);
        }

        for (var i = 0; i < first.Names.Count; i++)
        {
            builder.WithShape(first.Names[i], first.Tensors[i].Shape);
        }

        using var fast = builder.Build();
        foreach (var (name, tensor) in inputs)
        {
            CopyInto(fast, name, tensor);
        }

        using var raw = new RawOrt(modelPath, threads, model.ExecutionProvider.Active == ExecutionProviderKind.Cuda ? options.CudaDeviceId : null, model.Schema, fast, inputs);
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
        using var progress = new Commands.TerminalProgress("benchmarking " + Path.GetFileName(modelPath));
        for (var round = 0; round < Rounds; round++)
        {
            progress.Report((long)round * perRound * variants.Length, (long)Rounds * perRound * variants.Length, "timed calls"); // between rounds: never inside a timed loop
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

    /// <summary>Deterministic inputs: shapes from <c>--shape</c>, other dynamic dimensions 1.</summary>
    private static Dictionary<string, EdgeTensor> RandomInputs(ModelSchema schema, IReadOnlyDictionary<string, long[]> shapes)
    {
        foreach (var name in shapes.Keys)
        {
            if (schema.FindInput(name) is null)
            {
                throw new EdgeException(EdgeErrorCode.UnexpectedInput, $"--shape names '{name}', which is not an input of this model (inputs: {string.Join(", ", schema.Inputs.Select(i => i.Name))}).") { TensorName = name };
            }
        }

        var random = new Random(42);
        var inputs = new Dictionary<string, EdgeTensor>(StringComparer.Ordinal);
        foreach (var input in schema.Inputs)
        {
            var shape = shapes.TryGetValue(input.Name, out var given) ? given : input.Shape.Select(d => d < 0 ? 1L : d).ToArray();
            var count = checked((int)shape.Aggregate(1L, (a, d) => checked(a * d)));
            inputs[input.Name] = input.ElementType switch
            {
                EdgeElementType.Float => EdgeTensor.Create(Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), shape),
                EdgeElementType.Double => EdgeTensor.Create(Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).ToArray(), shape),

                // Small non-negative values keep index-like inputs (sample rates, token ids) in range.
                EdgeElementType.Int64 => EdgeTensor.Create(Enumerable.Repeat(1L, count).ToArray(), shape),
                EdgeElementType.Int32 => EdgeTensor.Create(Enumerable.Repeat(1, count).ToArray(), shape),
                _ => throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"edge bench fills float, double, int32 and int64 inputs; '{input.Name}' is {input.ElementType}: give real data with --input @file.json.") { TensorName = input.Name },
            };
        }

        return inputs;
    }

    private static void CopyInto(FastPredictor fast, string name, EdgeTensor tensor)
    {
        switch (tensor.ElementType)
        {
            case EdgeElementType.Float: tensor.AsSpan<float>().CopyTo(fast.GetInput<float>(name)); break;
            case EdgeElementType.Double: tensor.AsSpan<double>().CopyTo(fast.GetInput<double>(name)); break;
            case EdgeElementType.Int64: tensor.AsSpan<long>().CopyTo(fast.GetInput<long>(name)); break;
            case EdgeElementType.Int32: tensor.AsSpan<int>().CopyTo(fast.GetInput<int>(name)); break;
            default: throw new EdgeException(EdgeErrorCode.UnsupportedModel, $"edge bench runs float, double, int32 and int64 inputs; '{name}' is {tensor.ElementType}.") { TensorName = name };
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

        public RawOrt(string path, int threads, int? cudaDevice, ModelSchema schema, FastPredictor fast, Dictionary<string, EdgeTensor> inputs)
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            };
            if (cudaDevice is { } device)
            {
                // The same provider the model under test got, so the ratio compares our overhead, not two providers.
                options.AppendExecutionProvider_CUDA(device);
            }

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
