using System.Diagnostics;
using EdgeDeploy.Runtime;

namespace EdgeDeploy.Cli.Benchmarking;

/// <summary>
/// Throughput against latency for N concurrent <see cref="EdgeModel.PredictAsync(IReadOnlyDictionary{string, EdgeTensor}, CancellationToken)"/>
/// callers, without and with dynamic micro-batching, on the same model, inputs and session settings. The two modes
/// alternate over several rounds so drift on the machine hits both alike.
/// </summary>
internal static class ConcurrencyBenchmark
{
    private const int Rounds = 4;

    public static ConcurrencyReport Run(BenchmarkSettings settings, int concurrency, MicroBatchingOptions batching)
    {
        var modes = new (string Name, MicroBatchingOptions? Batching)[]
        {
            ("unbatched", null),
            (FormattableString.Invariant($"batched (max {batching.MaxBatchSize}, delay {batching.MaxDelay.TotalMilliseconds:0.###} ms)"), batching),
        };
        var models = modes.Select(m => EdgeModel.Load(settings.ModelPath, new EdgeModelOptions
        {
            ExecutionProvider = settings.Provider,
            IntraOpThreads = settings.Threads,
            InterOpThreads = 1,
            MicroBatching = m.Batching,
        })).ToArray();
        try
        {
            var inputs = ModelBenchmark.Inputs(settings, models[0].Schema);
            var perRound = Math.Max(concurrency, settings.Iterations / Rounds);
            var latencies = modes.Select(_ => new List<long>(perRound * Rounds)).ToArray();
            var elapsed = new long[modes.Length];
            foreach (var model in models)
            {
                RunRound(model, inputs, concurrency, Math.Max(concurrency, settings.Warmup), null);
            }

            for (var round = 0; round < Rounds; round++)
            {
                for (var k = 0; k < modes.Length; k++)
                {
                    var m = (k + round) % modes.Length;
                    elapsed[m] += RunRound(models[m], inputs, concurrency, perRound, latencies[m]);
                }
            }

            var results = new List<ConcurrencyResult>();
            for (var m = 0; m < modes.Length; m++)
            {
                var sorted = latencies[m].ToArray();
                Array.Sort(sorted);
                var (batches, requests) = models[m].MicroBatchCounts;
                results.Add(new ConcurrencyResult(
                    modes[m].Name,
                    sorted.Length / (elapsed[m] / (double)Stopwatch.Frequency),
                    Micros(sorted[sorted.Length / 2]),
                    Micros(sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))]),
                    batches == 0 ? 1 : (double)requests / batches,
                    sorted.Length));
            }

            return new ConcurrencyReport(Path.GetFileName(settings.ModelPath), concurrency, results);
        }
        finally
        {
            foreach (var model in models)
            {
                model.Dispose();
            }
        }
    }

    /// <summary>Runs <paramref name="calls"/> predictions from <paramref name="concurrency"/> callers; returns the wall time in ticks.</summary>
    private static long RunRound(EdgeModel model, Dictionary<string, EdgeTensor> inputs, int concurrency, int calls, List<long>? latencies)
    {
        var remaining = calls;
        var perCaller = new List<long>[concurrency];
        var started = Stopwatch.GetTimestamp();
        var callers = Enumerable.Range(0, concurrency).Select(c => Task.Run(async () =>
        {
            var own = perCaller[c] = [];
            while (Interlocked.Decrement(ref remaining) >= 0)
            {
                var t = Stopwatch.GetTimestamp();
                await model.PredictAsync(inputs).ConfigureAwait(false);
                own.Add(Stopwatch.GetTimestamp() - t);
            }
        })).ToArray();
        Task.WaitAll(callers);
        var wall = Stopwatch.GetTimestamp() - started;
        foreach (var own in perCaller)
        {
            latencies?.AddRange(own);
        }

        return wall;
    }

    private static double Micros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}

/// <summary>One concurrency benchmark: the model, the number of callers and each mode's figures.</summary>
internal sealed record ConcurrencyReport(string Model, int Concurrency, IReadOnlyList<ConcurrencyResult> Modes);

/// <summary>Throughput (predictions per second), per-call latency and the mean requests per model run of one mode.</summary>
internal sealed record ConcurrencyResult(string Name, double PerSecond, double P50Micros, double P99Micros, double MeanBatch, int Calls);
